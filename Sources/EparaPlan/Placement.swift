import HeapModule

/// One stage of the staged greedy: which candidates it may add and whether a zero gain is accepted.
struct PlacementStage {
    var name: String
    var admits: (Candidate) -> Bool
    var acceptsTies: Bool
}

/// Maximises φ(Θ) = Σ_m w_m · served_m(Θ) − Σ_{i∈Θ} penalty_i over sets Θ of candidates
/// that fit every device's memory and time. served_m is min(D_m, S_m) for one origin group and
/// the max flow from origin groups to instances otherwise; both are submodular in Θ, so a
/// candidate's gain can only shrink as Θ grows: lazy (CELF) evaluation
/// re-evaluates a candidate only when its stale gain still tops the heap.
///
/// The greedy walks offers (`CandidateTable`): an offer stands for one configuration on each
/// device of its class, all of equal gain, so it competes with the concrete index of the first
/// of those devices it still fits on — the device one-candidate-per-device would pick, by the
/// same tie-break — and after a placement it stays for the next.
struct Placement {
    let candidates: CandidateTable
    let markets: [FlowMarket]
    let slotMemory: [Double]
    /// Runtime memory counted in each instance but paid once per device (`Slot.runtimeOverheadGib`).
    let slotOverhead: [Double]

    struct Result {
        var chosen: [Int]
        var objective: Double
        var evaluations: Int
        var stageCounts: [(name: String, placed: Int, objective: Double)]
        /// Whether some market is left short of its demand.
        var leavesDemandUnserved: Bool
    }

    /// A model-parallel group takes the whole time (share 1) of each of its devices, so the
    /// share limit alone keeps groups off shared devices and other instances off a group's.
    struct State {
        var memoryUsed: [Double]
        var shareUsed: [Double]
        /// Instances on each device.
        var residents: [Int]
        var markets: [FlowMarket]
        var objective = 0.0
        var chosen: [Int] = []
        /// `chosen` as a set: a concrete candidate is placed once.
        var taken: Set<Int> = []
    }

    func initialState() -> State {
        State(
            memoryUsed: Array(repeating: 0, count: slotMemory.count), shareUsed: Array(repeating: 0, count: slotMemory.count),
            residents: Array(repeating: 0, count: slotMemory.count), markets: markets)
    }

    /// Memory `c` adds on its j-th device: its own, less the model server's when one runs there.
    @inline(__always) func memory(_ c: Candidate, _ j: Int, _ state: State) -> Double {
        let slot = c.slots[j]
        return state.residents[slot] > 0 ? c.memoryGib[j] - slotOverhead[slot] : c.memoryGib[j]
    }

    func fits(_ c: Candidate, _ state: State) -> Bool {
        for (j, slot) in c.slots.enumerated() {
            if state.memoryUsed[slot] + memory(c, j, state) > slotMemory[slot] + 1e-9 { return false }
            if state.shareUsed[slot] + c.share > 1 + 1e-9 { return false }
        }
        return true
    }

    /// Whether single-device candidate `c` fits on `slot` (one of its class's devices).
    @inline(__always) func fits(_ c: Candidate, on slot: Int, _ state: State) -> Bool {
        let memory = state.residents[slot] > 0 ? c.memoryGib[0] - slotOverhead[slot] : c.memoryGib[0]
        return state.memoryUsed[slot] + memory <= slotMemory[slot] + 1e-9 && state.shareUsed[slot] + c.share <= 1 + 1e-9
    }

    /// The first device of offer `o`'s class it fits on and is not yet placed on, with the
    /// concrete index there; a model-parallel group's own devices.
    func firstFit(_ o: Int, _ state: State) -> (slot: Int, index: Int)? {
        if candidates.offers[o].deviceClass < 0 {
            let index = candidates.offers[o].index
            return !state.taken.contains(index) && fits(candidates.offers[o], state) ? (candidates.offers[o].slots[0], index) : nil
        }
        for slot in candidates.members(ofOffer: o) where fits(candidates.offers[o], on: slot, state) {
            let index = candidates.index(ofOffer: o, on: slot)
            if !state.taken.contains(index) { return (slot, index) }
        }
        return nil
    }

    func gain(_ c: Candidate, _ state: State) -> Double {
        let m = state.markets[c.market]
        return m.weight * m.gain(capacity: c.capacityPerS, reach: c.reach) - c.penalty
    }

    func apply(_ c: Candidate, gain: Double, to state: inout State) {
        apply(c, to: &state)
        state.markets[c.market].add(capacity: c.capacityPerS, reach: c.reach)
        state.objective += gain
        state.chosen.append(c.index)
        state.taken.insert(c.index)
    }

    /// Takes `c`'s memory and share on its devices (without a market: burst replicas).
    func apply(_ c: Candidate, to state: inout State) {
        for (j, slot) in c.slots.enumerated() {
            state.memoryUsed[slot] += memory(c, j, state)
            state.shareUsed[slot] += c.share
            state.residents[slot] += 1
        }
    }

    /// The state a given set leaves (nil when it does not fit).
    func state(of set: [Int]) -> State? {
        var state = initialState()
        for i in set {
            let c = candidates[i]
            guard fits(c, state) else { return nil }
            apply(c, gain: gain(c, state), to: &state)
        }
        return state
    }

    /// φ of a given set, for tests and the exhaustive comparison.
    func objective(of set: [Int]) -> Double? { state(of: set)?.objective }

    /// Demand each market gets served by a given set (nil when the set does not fit).
    func servedPerMarket(of set: [Int]) -> [Double]? { state(of: set)?.markets.map(\.served) }

    /// Heap entry ordered by (gain bound, then lower candidate index first) so that lazy and
    /// plain greedy break ties the same way. `index` is the concrete candidate the offer
    /// stands for (or, stale, one it stood for: never above the one it stands for now).
    struct Entry: Comparable {
        var bound: Double
        var index: Int
        var offer: Int
        static func < (a: Entry, b: Entry) -> Bool {
            a.bound != b.bound ? a.bound < b.bound : a.index > b.index
        }
    }

    /// `costBenefit` ranks candidates by gain per unit of cost instead of gain (the second half
    /// of CELF: with knapsack-like limits, either greedy alone can be far from the optimum, the
    /// better of the two is not).
    func run(stages: [PlacementStage], lazy: Bool, costBenefit: Bool = false) -> Result {
        var state = initialState()
        var evaluations = 0
        var counts: [(String, Int, Double)] = []
        for stage in stages {
            let before = state.chosen.count
            let admitted = candidates.offers.indices.filter { stage.admits(candidates.offers[$0]) }
            if lazy {
                lazyGreedy(admitted, stage: stage, costBenefit: costBenefit, state: &state, evaluations: &evaluations)
            } else {
                plainGreedy(admitted, stage: stage, costBenefit: costBenefit, state: &state, evaluations: &evaluations)
            }
            counts.append((stage.name, state.chosen.count - before, state.objective))
        }
        let short = state.markets.contains { $0.served < $0.demand * (1 - 1e-9) }
        return Result(
            chosen: state.chosen, objective: state.objective, evaluations: evaluations, stageCounts: counts,
            leavesDemandUnserved: short)
    }

    func accepts(_ gain: Double, _ stage: PlacementStage) -> Bool {
        stage.acceptsTies ? gain >= 0 : gain > 1e-12
    }

    /// The heap key: gain, or gain per cost. Positive gains keep their order under division by
    /// a positive cost, and a zero or negative gain stays at or below zero.
    func key(_ gain: Double, _ c: Candidate, _ costBenefit: Bool) -> Double {
        costBenefit ? gain / max(c.cost, 1e-9) : gain
    }

    func lazyGreedy(_ admitted: [Int], stage: PlacementStage, costBenefit: Bool, state: inout State, evaluations: inout Int) {
        var heap = Heap<Entry>()
        let offers = candidates.offers
        for o in admitted {
            guard let (_, index) = firstFit(o, state) else { continue }
            evaluations += 1
            heap.insert(Entry(bound: key(gain(offers[o], state), offers[o], costBenefit), index: index, offer: o))
        }
        while let top = heap.popMax() {
            // Resources only shrink: an offer that fits nowhere is dropped for good.
            guard let (slot, index) = firstFit(top.offer, state) else { continue }
            evaluations += 1
            let g = gain(offers[top.offer], state)
            let fresh = Entry(bound: key(g, offers[top.offer], costBenefit), index: index, offer: top.offer)
            if let next = heap.max, fresh < next {
                heap.insert(fresh)
                continue
            }
            guard accepts(g, stage) else { break }
            apply(candidates.candidate(ofOffer: top.offer, on: slot), gain: g, to: &state)
            // Its gain now bounds what it adds on its class's next device.
            if offers[top.offer].deviceClass >= 0 { heap.insert(fresh) }
        }
    }

    func plainGreedy(_ admitted: [Int], stage: PlacementStage, costBenefit: Bool, state: inout State, evaluations: inout Int) {
        var remaining = admitted
        let offers = candidates.offers
        while true {
            var best: (entry: Entry, slot: Int)? = nil
            var survivors: [Int] = []
            for o in remaining {
                guard let (slot, index) = firstFit(o, state) else { continue }
                survivors.append(o)
                evaluations += 1
                let entry = Entry(bound: key(gain(offers[o], state), offers[o], costBenefit), index: index, offer: o)
                if best.map({ $0.entry < entry }) ?? true { best = (entry, slot) }
            }
            guard let (chosen, slot) = best else { return }
            let g = gain(offers[chosen.offer], state)
            guard accepts(g, stage) else { return }
            apply(candidates.candidate(ofOffer: chosen.offer, on: slot), gain: g, to: &state)
            remaining = survivors
        }
    }
}
