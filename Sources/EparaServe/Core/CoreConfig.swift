import EparaCore
import EparaDocuments

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
    /// chunks of a chunked step. nil: the scheduler's default (`LLMScheduler.defaultTokenBudget`).
    public var prefillTokenBudget: Int?
    /// The token budget in force.
    public var tokenBudget: Int { prefillTokenBudget ?? llmScheduler.defaultTokenBudget }
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
