import EparaCore

/// What identifies an instance across plans: its service, where it runs and how.
struct ConfigurationKey: Hashable {
    var service: String
    var devices: [DeviceRef]
    var share: Double
    var batch: Int
    var framesPacked: Int

    init(_ instance: Instance) {
        self.init(
            service: instance.service, devices: instance.devices, share: instance.share, batch: instance.batch,
            framesPacked: instance.framesPacked)
    }

    init(service: String, devices: [DeviceRef], share: Double, batch: Int, framesPacked: Int) {
        self.service = service
        self.devices = devices
        self.share = share
        self.batch = batch
        self.framesPacked = framesPacked
    }
}

extension Problem {
    func configurationKey(_ c: Candidate) -> ConfigurationKey {
        ConfigurationKey(
            service: workload.services[c.service].name, devices: c.slots.map { slots[$0].ref }, share: c.share, batch: c.batch,
            framesPacked: c.framesPacked)
    }
}

/// Keep the placement in force unless the new one is clearly better — by the objective as a
/// whole, or by serving a market (a service at its origins) at least 1% of its demand more: a
/// small service's shortfall must not hide in a large total. Plans change only for a reason, so
/// replanning on noisy observations does not churn instances.
///
/// It judges φ, so it follows a search that has one (the greedy, round robin). AlpaServe's
/// search has none and, as AlpaServe does, replans from scratch.
struct Hysteresis: PlacementSearch {
    func search(in space: SearchSpace, from start: SearchOutcome?) -> SearchOutcome {
        guard var outcome = start else { preconditionFailure("hysteresis follows a search") }
        let problem = space.problem, placement = space.placement
        guard let previous = problem.options.previous, outcome.extra.isEmpty else { return outcome }
        let previousServices = Set(previous.instances.map(\.service))
        var byKey: [ConfigurationKey: [Int]] = [:]
        space.candidates.forEachConcrete { c in
            guard previousServices.contains(problem.workload.services[c.service].name) else { return }
            byKey[problem.configurationKey(c), default: []].append(c.index)
        }
        var old: [Int] = []
        for instance in previous.instances {
            if let match = byKey[ConfigurationKey(instance)]?.first(where: { !old.contains($0) }) { old.append(match) }
        }
        guard old.count == previous.instances.count, let oldObjective = placement.objective(of: old),
            outcome.objective <= oldObjective + problem.options.hysteresis * abs(oldObjective),
            let oldServed = placement.servedPerMarket(of: old), let newServed = placement.servedPerMarket(of: outcome.chosen),
            !zip(zip(oldServed, newServed), placement.markets).contains(where: { pair, market in
                pair.1 - pair.0 > 0.01 * market.demand + 1e-9
            })
        else { return outcome }
        outcome.chosen = old
        outcome.objective = oldObjective
        return outcome
    }
}
