public enum DispatchMode: String, Sendable, CaseIterable {
    /// EPARA: the instance with the best estimated completion from the last synced state.
    case bestCompletion = "best-completion"
    /// Follow the plan's routing weights (the baselines, and EPARA without information sync).
    case planWeights = "plan-weights"
    /// EPARA's handler kept to the node where the request arrives: the instance there with the
    /// best estimated completion (the `local` baseline), never forwarded.
    case local

    /// How a policy's requests are dispatched when nothing says otherwise: EPARA's handler, and
    /// AlpaServe's controller (the replica that would answer first, as its simulator does), by
    /// estimated completion; `local` the same among its own node's instances; `round-robin` by
    /// its plan's routing (equal shares).
    public static func `default`(forPolicy policy: String) -> DispatchMode {
        switch policy {
        case "epara", "alpaserve": .bestCompletion
        case "local": .local
        default: .planWeights
        }
    }
}

/// How an LLM instance's server schedules its iterations (Vidur's replica scheduler).
public enum LLMScheduler: String, Sendable, CaseIterable {
    /// Chunked prefill (vLLM V1, llama.cpp's server, Sarathi-Serve; SGLang with mixed chunks):
    /// every step carries one token for each running sequence and spends what is left of the
    /// token budget on prompt chunks, first come first served, at most the instance's batch of
    /// sequences admitted.
    case chunked
    /// Prefill first (vLLM V0): waiting prompts run alone, ahead of the decode steps.
    case prefillFirst = "prefill-first"
}

/// How the request-handling core behaves, besides the plan it serves.
public struct CoreConfig: Sendable {
    public var dispatch: DispatchMode
    /// Times a request may be forwarded from one node's handler to another's.
    public var maxOffload: Int
    /// Drop a request as soon as it can no longer meet its deadline.
    public var earlyDrop: Bool
    /// Seconds between information syncs (0: none; a node knows only its own state).
    public var syncIntervalS: Double
    /// A peer whose sync messages stop for this many periods is treated as down.
    public var missedSyncsForDown: Int
    /// How LLM instances schedule their iterations.
    public var llmScheduler: LLMScheduler = .chunked
    /// Largest number of tokens one LLM iteration takes (vLLM's max_num_batched_tokens,
    /// llama.cpp's --batch-size): prompts of a prefill-first iteration, decode tokens and prompt
    /// chunks of a chunked step. nil: 2048 for chunked prefill (vLLM's OpenAI server on GPUs
    /// under 70 GB, llama.cpp's default batch, SGLang's chunk on small GPUs), 8192 for
    /// prefill-first (vLLM V0's).
    public var prefillTokenBudget: Int?
    /// The token budget in force.
    public var tokenBudget: Int { prefillTokenBudget ?? (llmScheduler == .chunked ? 2048 : 8192) }
    /// Variability of execution times around the latency model's (coefficient of variation of a
    /// Gamma factor with mean 1; 0: every batch takes exactly the modelled time).
    public var serviceTimeCV: Double
    public var seed: UInt64
    /// Run an LLM's consecutive decode steps as one event where the executor allows it
    /// (DecodeRuns.swift): the same results, fewer events. Off only to prove that.
    public var coalescesDecodeSteps = true

    public init(
        dispatch: DispatchMode = .bestCompletion, maxOffload: Int = 3, earlyDrop: Bool = true, syncIntervalS: Double = 2,
        missedSyncsForDown: Int = 3, llmScheduler: LLMScheduler = .chunked, prefillTokenBudget: Int? = nil, serviceTimeCV: Double = 0,
        seed: UInt64 = 1
    ) {
        self.llmScheduler = llmScheduler
        self.dispatch = dispatch
        self.maxOffload = maxOffload
        self.earlyDrop = earlyDrop
        self.syncIntervalS = syncIntervalS
        self.missedSyncsForDown = missedSyncsForDown
        self.prefillTokenBudget = prefillTokenBudget
        self.serviceTimeCV = serviceTimeCV
        self.seed = seed
    }

    /// Whether requests are dispatched by following the plan's routing weights (also EPARA's
    /// handler when there is no information sync to estimate completions from).
    var followsPlanWeights: Bool { dispatch == .planWeights || syncIntervalS <= 0 }
}
