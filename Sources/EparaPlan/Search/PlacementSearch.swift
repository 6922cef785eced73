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

    /// A service's best full-device configuration (by capacity) on each device that has one.
    func singles(of service: Int) -> [Candidate] {
        var bySlot: [Int: Candidate] = [:]
        for (o, offer) in candidates.offers.enumerated() where offer.service == service && !offer.isModelParallel && offer.share == 1 {
            for slot in candidates.members(ofOffer: o) where (bySlot[slot]?.capacityPerS ?? -1) < offer.capacityPerS {
                bySlot[slot] = candidates.candidate(ofOffer: o, on: slot)
            }
        }
        return bySlot.sorted { $0.key < $1.key }.map(\.value)
    }

    /// A service's model-parallel groups.
    func groups(of service: Int) -> [Candidate] {
        candidates.offers.filter { $0.service == service && $0.isModelParallel }
    }

    /// Every single-device configuration of a service on one device.
    func configurations(of service: Int, on slot: Int) -> [Candidate] {
        candidates.offers.indices.compactMap { o in
            let offer = candidates.offers[o]
            guard offer.service == service, !offer.isModelParallel, candidates.members(ofOffer: o).contains(slot) else { return nil }
            return candidates.candidate(ofOffer: o, on: slot)
        }
    }

    /// The memory and device time a set of instances takes.
    func occupancy(of design: [Candidate]) -> Placement.State {
        occupancy(of: design, fitting: false)!
    }

    /// The same, or nil when `fitting` and an instance does not fit beside those before it.
    func occupancy(of design: [Candidate], fitting: Bool) -> Placement.State? {
        var state = placement.initialState()
        for c in design {
            if fitting && !placement.fits(c, state) { return nil }
            placement.apply(c, to: &state)
        }
        return state
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

    /// What serving the plan in the simulator measured, when a search simulated it.
    var measured: PlanMeasurement?
    /// What the simulation refinement did.
    var search: SearchSummary?

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
