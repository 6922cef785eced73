import EparaCore

extension RunSettings {
    /// A Run's settings from the request handler's: dispatch as it was done (without sync, nodes
    /// follow the plan's routing). The defaults are a live run's: no seed, no simulated sync loss
    /// or execution-time variability, no in-run replanning.
    public init(
        core: CoreConfig, windowS: Double, seed: UInt64 = 0, syncLoss: Double = 0, replanEveryS: Double = 0,
        serviceTimeCv: Double = 0
    ) {
        self.init(
            seed: seed, dispatch: core.syncIntervalS > 0 ? core.dispatch.rawValue : DispatchMode.planWeights.rawValue,
            syncIntervalS: core.syncIntervalS, syncLoss: syncLoss, replanEveryS: replanEveryS, maxOffload: core.maxOffload,
            earlyDrop: core.earlyDrop, windowS: windowS, serviceTimeCv: serviceTimeCv, llmScheduler: core.llmScheduler.rawValue,
            tokenBudget: core.tokenBudget)
    }
}
