import EparaCore

/// Where every placement search works: the problem, its candidates and the placement limits
/// (memory and device time) they are checked against.
struct SearchSpace {
    let problem: Problem
    let candidates: CandidateTable
    let placement: Placement

    init(problem: Problem) {
        self.problem = problem
        let (candidates, markets) = problem.buildCandidates()
        self.candidates = candidates
        placement = Placement(
            candidates: candidates, markets: markets, slotMemory: problem.slots.map(\.usableMemoryGib),
            slotOverhead: problem.slots.map(\.runtimeOverheadGib))
    }

    /// The chosen candidate of index `i`: a concrete candidate, or one of `extra`.
    func candidate(_ i: Int, extra: [Candidate]) -> Candidate {
        i < candidates.count ? candidates[i] : extra[i - candidates.count]
    }
}

/// What a search found: the instances chosen (candidate indices; `extra` numbered on from the
/// candidates), with what it knows of them.
struct SearchOutcome {
    var chosen: [Int]
    /// Instances that are not candidates of the table (burst replicas, AlpaServe's units).
    var extra: [Candidate] = []
    /// φ, or the search's own score where it has no φ (AlpaServe's expected goodput).
    var objective: Double
    var evaluations: Int
    var stages: [SolverStats.StageStats]
    /// What the burst estimator expects of each market it planned (bounds the fluid prediction).
    var burstAttainment: [Int: Double] = [:]

    /// The chosen instances themselves.
    func picked(in space: SearchSpace) -> [Candidate] { chosen.map { space.candidate($0, extra: extra) } }
}

/// One way of choosing instances, or of improving a choice: the submodular greedy, round robin,
/// AlpaServe's search, hysteresis against the plan in force, the burst phase, the simulation
/// refinement. A policy's planning is a sequence of them (`Problem.searches`), each starting
/// from what the one before found (nil for the first).
protocol PlacementSearch {
    func search(in space: SearchSpace, from start: SearchOutcome?) -> SearchOutcome
}
