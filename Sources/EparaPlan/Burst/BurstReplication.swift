import EparaCore
import HeapModule

/// Spare memory becomes attainment under bursts (placement's second phase). The first phase
/// covers each service's mean demand; a burst of one service still queues on the few devices
/// that hold it. Here, replicas of bursty latency-sensitive services go wherever memory is left
/// — single devices, or pipelines over 2, 4 or 8 devices of a node (AlpaServe's finding: a
/// pipeline takes a new request every stage time, so a burst drains faster than on one device
/// even when the model fits there) — as long as each one raises the goodput the burst
/// estimator expects. Co-resident models share the device's model server (its runtime memory
/// paid once) and its time: a replica reserves no share (`share` 0) and runs at full speed in
/// the time the device's other instances leave, which the estimator prices as queueing.
struct BurstReplication {
    let problem: Problem
    let estimator: BurstEstimator
    let placement: Placement

    /// One way to add a replica of a market's service.
    struct Unit {
        var candidate: Candidate
        /// A stable name, for ordering.
        var key: String
    }

    /// A market whose service takes part: latency-sensitive requests on a non-LLM model.
    struct Pool {
        var market: Int
        var context: ServiceContext
        var workload: BurstEstimator.Workload
        var members: [Int]
        var units: [Unit]
    }

    struct Outcome {
        /// Instances added, numbered on from the candidates (`index` = candidates.count + k).
        var extra: [Candidate]
        var chosen: [Int]
        /// Expected attainment per market (only the markets that took part).
        var attainment: [Int: Double]
        var added: Int
        /// Expected weighted goodput of the markets that took part.
        var score: Double
    }

    static let pipelineDegrees = [2, 4, 8]
    /// Units tried per market: the nearest and fastest devices and pipelines with memory left.
    static let unitsPerMarket = 24

    /// Latency-sensitive request services, vision and LLM alike (an LLM replica as a burst sees
    /// it: its time to first token, and a new request every 1 ÷ its throughput). Frequency
    /// services (cameras) are steady by construction: the first phase covers them.
    func eligible(_ ctx: ServiceContext) -> Bool {
        !ctx.isFrequency && ctx.service.demand != nil
    }

    /// LLM replicas stay single-device units: a pipeline of an LLM is the first phase's choice
    /// (model parallelism for what one device cannot hold), not a way to drain a burst.
    func pipelinesHelp(_ ctx: ServiceContext) -> Bool { ctx.model.kind == .vision }

    /// Burstiness: what the state store observed, else what the Services say, else Poisson
    /// (observed demand overrides declared demand the same way).
    func cv(_ ctx: ServiceContext) -> Double {
        problem.options.observed?.cvByService[ctx.service.name] ?? ctx.service.demand?.cv ?? 1
    }

    /// The requests a market's pool meets: its demand (without the provision's headroom), the
    /// service's burstiness and deadline, and (`answersVary`) LLM answers of exponential length.
    /// The burst phase and AlpaServe's search both replay this; AlpaServe's simulator times
    /// every request of a model alike (its profiled latency), so its search asks for no variation.
    func arrivals(market: Int, ctx: ServiceContext, answersVary: Bool = true) -> BurstEstimator.Workload {
        BurstEstimator.Workload(
            ratePerS: placement.markets[market].demand / max(placement.markets[market].provision, 1), cv: cv(ctx),
            deadlineS: ctx.deadlineMs / 1000, seed: Self.seed(ctx.service.name, market),
            serviceCv: answersVary && ctx.model.kind == .llm ? 1 : 0)
    }

    /// Full-speed timing of a chosen or candidate instance, network included.
    func replica(_ c: Candidate) -> BurstReplica {
        if c.isModelParallel || c.share == 0 {
            return BurstReplica(latencyS: (c.latencyMs + c.networkMs) / 1000, periodS: 1 / max(c.capacityPerS, 1e-9))
        }
        // A time-sliced instance was planned at t / share; the device runs it at full speed.
        return BurstReplica(latencyS: (c.latencyMs * c.share + c.networkMs) / 1000, periodS: c.share / max(c.capacityPerS, 1e-9))
    }

    /// AlpaServe's search, within the services that take part: replicas on single devices added
    /// to the first phase's instances, or those services moved wholly onto pipelines of 2, 4 or
    /// 8 devices (one partition of each node's devices per degree), each filled greedily; the
    /// best expected goodput wins, the first phase's own placement on a tie.
    /// `byMarket` below lists offers (`CandidateTable.offers`); `chosen`, concrete candidates.
    func run(candidates: CandidateTable, chosen: [Int]) -> Outcome {
        var contextOf: [Int: ServiceContext] = [:]
        for ctx in problem.contexts { contextOf[ctx.index] = ctx }
        let offers = candidates.offers
        let byMarket = Dictionary(grouping: offers.indices) { offers[$0].market }
        let taking = Set(
            placement.markets.indices.filter { market in
                guard let first = byMarket[market]?.first, let ctx = contextOf[offers[first].service] else { return false }
                return eligible(ctx) && placement.markets[market].demand > 0
            })
        guard !taking.isEmpty else { return Outcome(extra: [], chosen: chosen, attainment: [:], added: 0, score: 0) }
        var best = fill(candidates: candidates, byMarket: byMarket, chosen: chosen, markets: taking, degree: 1, contexts: contextOf)
        // Bursts that single devices absorb gain nothing from pipelines.
        if best.attainment.values.allSatisfy({ $0 >= 0.999 }) { return best }
        let kept = chosen.filter { i in
            let c = candidates[i]
            return !taking.contains(c.market) || contextOf[c.service].map { !pipelinesHelp($0) } ?? true
        }
        // Without model parallelism (the ablation), replicas stay on single devices.
        for degree in Self.pipelineDegrees where problem.rules.modelParallel {
            let option = fill(candidates: candidates, byMarket: byMarket, chosen: kept, markets: taking, degree: degree, contexts: contextOf)
            if option.score > best.score * (1 + 1e-6) + 1e-9 { best = option }
        }
        return best
    }

    func fill(
        candidates: CandidateTable, byMarket: [Int: [Int]], chosen start: [Int], markets taking: Set<Int>, degree: Int,
        contexts contextOf: [Int: ServiceContext]
    ) -> Outcome {
        var extra: [Candidate] = []
        let base = candidates.count
        // The first phase's instances, materialised once: `at` is asked for them on every replica added.
        let placed = Dictionary(start.map { ($0, candidates[$0]) }, uniquingKeysWith: { a, _ in a })
        func at(_ i: Int) -> Candidate { i < base ? placed[i] ?? candidates[i] : extra[i - base] }
        var chosen = start
        let slots = problem.slots
        guard var state = placement.state(of: chosen) else {
            return Outcome(extra: [], chosen: chosen, attainment: [:], added: 0, score: -1)
        }
        // Markets that take part, with their pool and the units that could join it.
        var pools: [Pool] = []
        for market in taking.sorted() {
            guard let first = byMarket[market]?.first, let ctx = contextOf[candidates.offers[first].service] else { continue }
            let workload = arrivals(market: market, ctx: ctx)
            let members = chosen.filter { at($0).market == market }
            pools.append(
                Pool(
                    market: market, context: ctx, workload: workload, members: members,
                    units: units(
                        for: market, ctx: ctx, own: byMarket[market] ?? [], candidates: candidates,
                        degree: pipelinesHelp(ctx) ? degree : 1)))
        }

        // Mean device time each market's instances take, per device: its demand spread over its
        // instances by speed (dispatch by earliest completion sends more to the faster ones).
        func utilization() -> (total: [Double], byMarket: [Int: [Int: Double]]) {
            var total = Array(repeating: 0.0, count: slots.count)
            var byMarket: [Int: [Int: Double]] = [:]
            // In market order: sums in a fixed order keep plans byte-identical run to run.
            for (market, members) in Dictionary(grouping: chosen, by: { at($0).market }).sorted(by: { $0.key < $1.key }) {
                let speed = members.map { 1 / replica(at($0)).periodS }
                let sum = speed.reduce(0, +)
                let demand = placement.markets[market].demand / max(placement.markets[market].provision, 1)
                for (k, i) in members.enumerated() {
                    let c = at(i)
                    let busy = sum > 0 ? demand * speed[k] / sum * replica(c).periodS : 0
                    for slot in c.slots {
                        total[slot] += busy
                        byMarket[market, default: [:]][slot, default: 0] += busy
                    }
                }
            }
            return (total, byMarket)
        }
        /// The pool's replicas (and `extra`), each with the share of its devices' time the other
        /// services take.
        func members(_ p: Pool, plus extra: Candidate?, _ u: (total: [Double], byMarket: [Int: [Int: Double]])) -> [(Candidate, Double)] {
            let own = u.byMarket[p.market] ?? [:]
            var members = p.members.map { at($0) }
            if let extra { members.append(extra) }
            return members.map { c in (c, c.slots.map { u.total[$0] - (own[$0] ?? 0) }.max() ?? 0) }
        }
        /// The pool as bursts meet it: each replica slowed by what the other services on its
        /// devices keep busy; an LLM pool stepped as chunked prefill runs it.
        func attainment(_ p: Pool, _ u: (total: [Double], byMarket: [Int: [Int: Double]]), plus extra: Candidate? = nil) -> Double {
            let pool = members(p, plus: extra, u)
            guard p.context.model.kind == .llm else {
                return estimator.attainment(p.workload, pool: pool.map { replica($0).sharing(utilization: $1) })
            }
            return estimator.llm.attainment(
                llmWorkload(p.context, p.workload), pool: pool.map { llmReplica($0, ctx: p.context, othersUtilization: $1) },
                arrivals: estimator)
        }
        // One replica of a service per device: two on one device would wait for each other,
        // which the estimator (other services' load only) would not see.
        func hosts(_ p: Pool, _ unit: Unit) -> Bool {
            p.members.contains { !Set(at($0).slots).isDisjoint(with: unit.candidate.slots) }
        }
        // LLMs and vision models do not share a device here: an LLM iteration (a prefill of
        // thousands of tokens) holds the device longer than a vision deadline lasts, which the
        // estimator, pricing other services as the time they take, would not see. Measured both
        // ways (docs/plan.md §2): vision replicas allowed beside LLMs cost small and edge-lab
        // half their capacity at 99%.
        var kindsOnSlot: [Int: Set<ModelKind>] = [:]
        func record(_ c: Candidate) {
            guard let kind = contextOf[c.service]?.model.kind else { return }
            for slot in c.slots { kindsOnSlot[slot, default: []].insert(kind) }
        }
        for i in chosen { record(at(i)) }
        func mixes(_ p: Pool, _ unit: Unit) -> Bool {
            unit.candidate.slots.contains { kindsOnSlot[$0].map { !$0.isSubset(of: [p.context.model.kind]) } ?? false }
        }

        var u = utilization()
        var current = pools.map { attainment($0, u) }
        var added = 0
        let totalDemand = pools.reduce(0) { $0 + $1.workload.ratePerS * $1.context.weight }
        let minimumGain = 1e-5 * max(totalDemand, 1e-9)
        // Lazy greedy over (pool, unit): a stale gain is re-evaluated when it tops the heap.
        struct Entry: Comparable {
            var gain: Double
            var pool: Int
            var unit: Int
            static func < (a: Entry, b: Entry) -> Bool { (a.gain, -a.pool, -a.unit) < (b.gain, -b.pool, -b.unit) }
        }
        func gain(_ p: Int, _ k: Int) -> Double? {
            let unit = pools[p].units[k]
            guard !hosts(pools[p], unit), !mixes(pools[p], unit), placement.fits(unit.candidate, state) else { return nil }
            let after = attainment(pools[p], u, plus: unit.candidate)
            return pools[p].context.weight * pools[p].workload.ratePerS * (after - current[p])
        }
        var heap = Heap<Entry>()
        for p in pools.indices where current[p] < 0.9999 {
            for k in pools[p].units.indices {
                if let g = gain(p, k), g > minimumGain { heap.insert(Entry(gain: g, pool: p, unit: k)) }
            }
        }
        while let top = heap.popMax(), added < 4 * slots.count {
            guard let fresh = gain(top.pool, top.unit), fresh > minimumGain else { continue }
            if let next = heap.max, fresh < next.gain {
                heap.insert(Entry(gain: fresh, pool: top.pool, unit: top.unit))
                continue
            }
            var c = pools[top.pool].units[top.unit].candidate
            c.index = base + extra.count
            extra.append(c)
            placement.apply(c, to: &state)
            record(c)
            chosen.append(c.index)
            pools[top.pool].members.append(c.index)
            added += 1
            u = utilization()
            current = pools.map { attainment($0, u) }
        }
        var result: [Int: Double] = [:]
        for (p, pool) in pools.enumerated() { result[pool.market] = current[p] }
        let score = pools.indices.reduce(0) { $0 + pools[$1].context.weight * pools[$1].workload.ratePerS * current[$1] }
        return Outcome(extra: extra, chosen: chosen, attainment: result, added: added, score: score)
    }

    static func seed(_ name: String, _ market: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return h ^ UInt64(market)
    }

    /// Single devices (the market's full-device candidates, the best batch per device) and
    /// pipelines over consecutive devices of one node and type, nearest and fastest first.
    /// `own`: the market's offers.
    func units(for market: Int, ctx: ServiceContext, own: [Int], candidates: CandidateTable, degree: Int) -> [Unit] {
        let keeps = { (known: Candidate, c: Candidate) in known.capacityPerS >= c.capacityPerS }
        func time(_ c: Candidate) -> Double {
            let r = replica(c)
            return r.latencyS + r.periodS
        }
        func byTimeAndKey(_ a: Unit, _ b: Unit) -> Bool { (time(a.candidate), a.key) < (time(b.candidate), b.key) }
        if degree > 1 {
            let bySlot = Self.bestOnEachDevice(own, candidates, keeps: keeps)
            let units = pipelines(ctx: ctx, singles: bySlot.sorted(by: { $0.key < $1.key }).map(\.value), degree: degree)
            return Array(units.sorted(by: byTimeAndKey).prefix(Self.unitsPerMarket))
        }
        // A class's devices take equal time: list the devices of the fastest classes only, in
        // the order of (time, key) that sorting every device's unit would give.
        let best = Self.bestOfferPerClass(own, candidates, keeps: keeps).map { o in
            var c = candidates.offers[o]
            c.share = 0
            c.modes = [.batching, .gpuSharing]
            c.penalty = 0
            return (offer: o, template: c, time: time(c))
        }
        let byTime = Dictionary(grouping: best, by: \.time)
        var units: [Unit] = []
        for t in byTime.keys.sorted() where units.count < Self.unitsPerMarket {
            var tied: [Unit] = []
            for entry in byTime[t]! {
                for slot in candidates.members(ofOffer: entry.offer) {
                    var c = entry.template
                    c.slots = [slot]
                    c.index = candidates.index(ofOffer: entry.offer, on: slot)
                    tied.append(Unit(candidate: c, key: "\(c.slots)"))
                }
            }
            units += tied.sorted { $0.key < $1.key }
        }
        return Array(units.prefix(Self.unitsPerMarket))
    }

    /// The best full-device single candidate of `own` (offers) on each device: per class of
    /// devices, the first offer that `keeps` does not prefer what was found before over, placed
    /// on each of the class's devices (a class's devices all have the same offers).
    static func bestOnEachDevice(
        _ own: [Int], _ candidates: CandidateTable, keeps: (_ known: Candidate, _ next: Candidate) -> Bool
    ) -> [Int: Candidate] {
        var bySlot: [Int: Candidate] = [:]
        for o in bestOfferPerClass(own, candidates, keeps: keeps) {
            for c in candidates.concrete(ofOffer: o) { bySlot[c.slots[0]] = c }
        }
        return bySlot
    }

    /// The offer `bestOnEachDevice` places on each class's devices, in class order.
    static func bestOfferPerClass(
        _ own: [Int], _ candidates: CandidateTable, keeps: (_ known: Candidate, _ next: Candidate) -> Bool
    ) -> [Int] {
        var byClass: [Int32: Int] = [:]
        for o in own {
            let c = candidates.offers[o]
            guard !c.isModelParallel, c.share == 1 else { continue }
            if let known = byClass[c.deviceClass], keeps(candidates.offers[known], c) { continue }
            byClass[c.deviceClass] = o
        }
        return byClass.sorted { $0.key < $1.key }.map(\.value)
    }

    /// `batching`: the largest batch whose latency stays within half the deadline, so that a
    /// burst drains at b requests per stage time. Off: on AlpaServe's setting, batch 2 on
    /// 4-stage pipelines measured 0.976 against batch 1's 0.993 (the batch's own latency costs
    /// more of the deadline than its throughput gives back), and AlpaServe's search runs batch 1.
    func pipelines(ctx: ServiceContext, singles: [Candidate], degree k: Int, batching: Bool = false) -> [Unit] {
        let slots = problem.slots
        var result: [Unit] = []
        // The network facts of a node come from a single-device candidate there.
        var reachOnNode: [String: Candidate] = [:]
        for c in singles { reachOnNode[slots[c.slots[0]].ref.node] = reachOnNode[slots[c.slots[0]].ref.node] ?? c }
        // A pipeline's timing depends on the device type and the node's interconnect only.
        var known: [String: (GroupTiming, [Double], [Double], Int)?] = [:]
        for (key, members) in problem.slotIndex.filter({ $0.value.count >= k }).sorted(by: { $0.key < $1.key }) {
            guard let first = members.first, let template = reachOnNode[slots[first].ref.node] else { continue }
            let node = slots[first].node, device = slots[first].type
            do {
                let shape = "\(device.name)|\(node.interconnect.bandwidthMbps)|\(node.interconnect.latencyMs)"
                if known[shape] == nil {
                    let fractions = problem.latency.balancedFractions(ctx.model, stages: Array(repeating: (device, 1), count: k))
                    let group = ParallelGroup(
                        stages: fractions.map {
                            ParallelGroup.Stage(node: node.name, device: device.name, tensorParallel: 1, layerFraction: $0.rounded(places: 6))
                        })
                    var best: (GroupTiming, [Double], [Double], Int)? = nil
                    for b in LatencyModel.batchSizes(upTo: batching ? problem.options.maxBatch : 1) {
                        let memory = fractions.map { problem.latency.memoryGib(ctx.model, on: device, batch: b, fraction: $0) }
                        guard memory.allSatisfy({ $0 <= slots[first].usableMemoryGib }),
                            let timing = problem.latency.timing(ctx.model, on: group, in: problem.workload.cluster, batch: b), timing.fits,
                            timing.latencyMs + template.networkMs <= ctx.deadlineMs / 2
                        else { break }
                        if Double(b) / timing.bottleneckMs > Double(best?.3 ?? 0) / (best?.0.bottleneckMs ?? 1) * (1 + 1e-9) {
                            best = (timing, fractions, memory, b)
                        }
                    }
                    known[shape] = .some(best)
                }
                guard let (timing, fractions, memory, batch) = known[shape] ?? nil else { continue }
                let group = ParallelGroup(
                    stages: fractions.map {
                        ParallelGroup.Stage(node: node.name, device: device.name, tensorParallel: 1, layerFraction: $0.rounded(places: 6))
                    })
                for start in stride(from: 0, to: members.count - k + 1, by: k) {
                    var c = template
                    c.slots = Array(members[start..<(start + k)])
                    c.memoryGib = memory
                    c.share = 0
                    c.batch = batch
                    c.framesPacked = 1
                    c.packWaitMs = 0
                    c.capacityPerS = Double(batch) * 1000 / timing.bottleneckMs
                    c.latencyMs = timing.latencyMs
                    c.tpotMs = nil
                    c.stages = group.stages
                    c.modes =
                        batch > 1 ? [.batching, .modelParallel, .pipelineParallel, .gpuSharing] : [.modelParallel, .pipelineParallel, .gpuSharing]
                    c.penalty = 0
                    result.append(Unit(candidate: c, key: "\(key)#\(start)x\(k)"))
                }
            }
        }
        return result
    }
}
