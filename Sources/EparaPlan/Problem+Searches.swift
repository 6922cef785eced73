import EparaClassify
import EparaCore

// The greedy's stages and the round-robin baseline's placement.
extension Problem {
    var stages: [PlacementStage] {
        let priorityServices = Set(contexts.filter { $0.service.priority > 1 }.map(\.index))
        guard rules.stagedByCategory else {
            return [PlacementStage(name: "all instances", admits: { _ in true }, acceptsTies: false)]
        }
        return [
            PlacementStage(name: "priority services", admits: { priorityServices.contains($0.service) }, acceptsTies: true),
            PlacementStage(name: "single-device instances", admits: { !$0.isModelParallel }, acceptsTies: false),
            PlacementStage(name: "model-parallel groups", admits: { $0.isModelParallel }, acceptsTies: false),
        ]
    }

    /// Round-robin placement: one full-device instance per service per round, on the next
    /// device in turn where it fits, until each service's capacity covers its demand.
    func roundRobinPlacement(_ placement: Placement) -> [Int] {
        var state = placement.initialState()
        let table = placement.candidates
        let byService = Dictionary(grouping: table.offers.indices.filter { table.offers[$0].share == 1 }) { table.offers[$0].service }
        var supply: [Int: Double] = [:]
        var pointer = 0
        var progress = true
        let count = max(slots.count, 1)
        while progress {
            progress = false
            for ctx in contexts where supply[ctx.index, default: 0] < ctx.demandPerS {
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
