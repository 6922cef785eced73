import EparaCore

extension PlanSettings {
    public init(_ options: PlanOptions) {
        self.init(
            memoryHeadroom: options.memoryHeadroom, maxBatch: options.maxBatch, allowPartial: options.allowPartial,
            windowS: options.windowS, hysteresis: options.hysteresis, provision: options.provision,
            searchBudget: options.simulator == nil || options.searchBudget.evaluations == Int.max ? nil : options.searchBudget.evaluations)
    }

    /// Options for planning again as this plan was planned (policy and ablations from the plan).
    public func options(policy: Policy, without: Set<Ablation>) -> PlanOptions {
        var options = PlanOptions(
            policy: policy, allowPartial: allowPartial, memoryHeadroom: memoryHeadroom, maxBatch: maxBatch,
            windowS: windowS, hysteresis: hysteresis)
        options.provision = provision
        options.searchBudget = SearchBudget(evaluations: searchBudget ?? 0)
        options.without = without
        return options
    }
}

extension Plan {
    /// The options to plan again with: this plan's own, its policy and ablations.
    public var replanOptions: PlanOptions {
        // Every plan read has a policy; only `Plan.unplaced` has none, and it is never replanned.
        let policy = self.policy ?? .epara
        let without = Set((solver.without ?? []).compactMap(Ablation.init(rawValue:)))
        var options = settings?.options(policy: policy, without: without) ?? PlanOptions(policy: policy, allowPartial: true)
        options.without = without
        return options
    }
}
