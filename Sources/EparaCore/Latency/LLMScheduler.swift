/// How an LLM instance's server schedules its iterations (Vidur's replica scheduler). The
/// simulator runs each LLM instance with it; the planner prices LLM replicas under it.
public enum LLMScheduler: String, Sendable, CaseIterable {
    /// Chunked prefill (vLLM V1, llama.cpp's server, Sarathi-Serve; SGLang with mixed chunks):
    /// every step carries one token for each running sequence and spends what is left of the
    /// token budget on prompt chunks, first come first served, at most the instance's batch of
    /// sequences admitted.
    case chunked
    /// Prefill first (vLLM V0): waiting prompts run alone, ahead of the decode steps.
    case prefillFirst = "prefill-first"

    /// Tokens one iteration takes at most when nothing says otherwise: 2048 for chunked prefill
    /// (vLLM's OpenAI server on GPUs under 70 GB, llama.cpp's default batch, SGLang's chunk on
    /// small GPUs), 8192 for prefill-first (vLLM V0's).
    public var defaultTokenBudget: Int {
        switch self {
        case .chunked: 2048
        case .prefillFirst: 8192
        }
    }
}
