import ArgumentParser
import EparaCore
import EparaDocuments
import EparaServe

/// How the request handler serves, in either engine: sync, dispatch, forwarding, early drop,
/// LLM iterations, and the Run's windows.
struct HandlingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Period of information sync between nodes (0: none; dispatch follows the plan's routing).",
            valueName: "duration"))
    var syncInterval = DurationArgument("2s")

    @Option(help: ArgumentHelp("Sim: period of in-run replanning from the observed demand (0: never).", valueName: "duration"))
    var replanEvery = DurationArgument("60s")

    @Option(help: "Times a request may be forwarded between nodes.")
    var maxOffload: Int = 3

    @Flag(
        inversion: .prefixedNo,
        help: "Drop a request as soon as it can no longer meet its deadline (the default); --no-early-drop serves it, late, instead.")
    var earlyDrop = true

    @Option(help: "Variability of execution times: coefficient of variation around the latency model (0: exact).")
    var serviceTimeCv: Double = 0

    @Option(
        help:
            "Sim: how LLM instances schedule their iterations: chunked (chunked prefill, as vLLM V1, SGLang and llama.cpp's server run: decode tokens first, prompt chunks with the rest of the token budget) or prefill-first (vLLM V0: waiting prompts run alone, ahead of the decodes)."
    )
    var llmScheduler: LLMScheduler = .chunked

    @Option(
        help: ArgumentHelp(
            "Sim: tokens one LLM iteration takes at most (vLLM --max-num-batched-tokens, llama.cpp --batch-size; default \(LLMScheduler.chunked.defaultTokenBudget) chunked, \(LLMScheduler.prefillFirst.defaultTokenBudget) prefill-first).",
            valueName: "tokens"))
    var tokenBudget: Int?

    @Option(
        help:
            "Dispatch: best-completion (the default of epara and alpaserve), local (the best completion among the instances of the node where a request arrives; the default of local) or plan-weights (the plan's routing; the default of round-robin)."
    )
    var dispatch: DispatchMode?

    @Option(help: ArgumentHelp("Length of the Run's time windows.", valueName: "duration"))
    var window = DurationArgument("10s")

    func validate() throws {
        try window.requirePositive("--window")
        guard serviceTimeCv >= 0, serviceTimeCv <= 4 else { throw ValidationError("--service-time-cv must be from 0 to 4") }
        guard (0...16).contains(maxOffload) else { throw ValidationError("--max-offload must be from 0 to 16") }
        if let tokenBudget, !(16...1_048_576).contains(tokenBudget) { throw ValidationError("--token-budget must be from 16 to 1048576") }
    }

    /// Core settings of either engine: each policy's own dispatch unless --dispatch says otherwise.
    func coreConfig(for plan: Plan) -> CoreConfig {
        CoreConfig(
            dispatch: dispatch ?? plan.servingDispatch, maxOffload: maxOffload,
            earlyDrop: earlyDrop, syncIntervalS: syncInterval.seconds, llmScheduler: llmScheduler,
            prefillTokenBudget: tokenBudget, serviceTimeCV: serviceTimeCv)
    }
}

extension DispatchMode: ExpressibleByArgument {}
extension LLMScheduler: ExpressibleByArgument {}
