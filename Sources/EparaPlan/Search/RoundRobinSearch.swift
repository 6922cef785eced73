import EparaCore

/// The round-robin baseline: one full-device instance per service per round, on the next
/// device in turn where it fits, until each service's capacity covers its demand.
struct RoundRobinSearch: PlacementSearch {
    func search(in space: SearchSpace, from start: SearchOutcome?) -> SearchOutcome {
        let chosen = Self.placement(space.problem, space.placement)
        let objective = space.placement.objective(of: chosen) ?? 0
        return SearchOutcome(
            chosen: chosen, objective: objective, evaluations: 0,
            stages: [.init(name: "round robin", placed: chosen.count, objective: objective.rounded(places: 6))])
    }

    /// The chosen candidates, in the order they were placed.
    static func placement(_ problem: Problem, _ placement: Placement) -> [Int] {
        var state = placement.initialState()
        let table = placement.candidates
        let byService = Dictionary(grouping: table.offers.indices.filter { table.offers[$0].share == 1 }) { table.offers[$0].service }
        var supply: [Int: Double] = [:]
        var pointer = 0
        var progress = true
        let count = max(problem.slots.count, 1)
        while progress {
            progress = false
            for ctx in problem.contexts where supply[ctx.index, default: 0] < ctx.demandPerS {
                guard let options = byService[ctx.index] else { continue }
                // The next fitting candidate whose first device comes at or after the pointer.
                var pick: (distance: Int, candidate: Candidate)? = nil
                for o in options {
                    for slot in table.members(ofOffer: o) {
                        let distance = (slot - pointer + count) % count
                        if let known = pick, (known.distance, known.candidate.index) <= (distance, table.index(ofOffer: o, on: slot)) {
                            continue
                        }
                        let c = table.candidate(ofOffer: o, on: slot)
                        if placement.fits(c, state) { pick = (distance, c) }
                    }
                }
                guard let pick = pick?.candidate else { continue }
                placement.apply(pick, gain: placement.gain(pick, state), to: &state)
                supply[ctx.index, default: 0] += pick.capacityPerS
                pointer = (pick.slots.last! + 1) % count
                progress = true
            }
        }
        return state.chosen
    }
}
