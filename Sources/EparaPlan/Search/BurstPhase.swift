import EparaCore

/// The second phase: spare memory becomes attainment under bursts (`BurstReplication`).
struct BurstPhase: PlacementSearch {
    func search(in space: SearchSpace, from start: SearchOutcome?) -> SearchOutcome {
        guard var outcome = start else { preconditionFailure("the burst phase follows a search") }
        let result = BurstReplication(problem: space.problem, estimator: BurstEstimator(), placement: space.placement).run(
            candidates: space.candidates, chosen: outcome.chosen)
        outcome.extra = result.extra
        outcome.chosen = result.chosen
        outcome.burstAttainment = result.attainment
        if result.added > 0 {
            outcome.stages.append(.init(name: "burst replicas", placed: result.added, objective: outcome.objective.rounded(places: 6)))
        }
        return outcome
    }
}
