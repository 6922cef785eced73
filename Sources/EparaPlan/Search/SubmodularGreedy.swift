import EparaCore

/// EPARA's first phase: CELF greedy over the policy's stages, the better of unit-cost and
/// cost-benefit (either alone can be far from the optimum under knapsack-like limits; the
/// better of the two is not). When both leave demand unserved, an unlucky stage order may be
/// the cause: both run once more over all candidates at once.
struct SubmodularGreedy: PlacementSearch {
    func search(in space: SearchSpace, from start: SearchOutcome?) -> SearchOutcome {
        let placement = space.placement
        let lazy = space.problem.options.lazy
        let staged = space.problem.stages
        var runs: [(String, Placement.Result)] = [
            ("staged unit-cost", placement.run(stages: staged, lazy: lazy)),
            ("staged cost-benefit", placement.run(stages: staged, lazy: lazy, costBenefit: true)),
        ]
        if staged.count > 1 && runs.allSatisfy({ $0.1.leavesDemandUnserved }) {
            let flat = [PlacementStage(name: "all instances", admits: { _ in true }, acceptsTies: false)]
            runs.append(("unstaged unit-cost", placement.run(stages: flat, lazy: lazy)))
            runs.append(("unstaged cost-benefit", placement.run(stages: flat, lazy: lazy, costBenefit: true)))
        }
        let (variant, result) = runs.reduce(runs[0]) { best, next in next.1.objective > best.1.objective + 1e-9 ? next : best }
        return SearchOutcome(
            chosen: result.chosen, objective: result.objective, evaluations: runs.reduce(0) { $0 + $1.1.evaluations },
            stages: result.stageCounts.map {
                .init(name: "\($0.name) (\(variant))", placed: $0.placed, objective: $0.objective.rounded(places: 6))
            })
    }
}
