import EparaCore

/// The `alpaserve` baseline: AlpaServe's placement (Li et al., OSDI'23; alpa-projects/mms,
/// `ModelParallelismSearch` over `replica_placement_fast_greedy`) on epara's candidates.
///
/// - Group configurations: for each degree k = 1, 2, 4, 8 (not above a node's devices of one
///   type), every node's devices of each type cut into groups of k consecutive devices (what is
///   left, into smaller powers of two), each group one pipeline of k stages.
/// - Within a configuration, greedy selective replication from an empty cluster: simulate the
///   placement on the workload, take the group that was sent the fewest requests, and give it
///   the model with the most requests unserved that it does not hold and that fits its memory;
///   repeat until nothing more fits (memory is always filled; no improvement test).
/// - The configuration whose simulation serves the most requests within their SLO wins.
///
/// Every service is treated alike (no categories: no frame packing, no priorities; a request
/// is a request), each request goes to the replica that would answer first, and a request that
/// would miss its deadline is dropped, as AlpaServe's simulator does. The simulation is the
/// planner's burst estimator, per service, with the other services on a device as its load.
struct AlpaServeSearch {
    /// AlpaServe's search as one of the planner's searches (it starts from an empty cluster).
    struct Step: PlacementSearch {
        func search(in space: SearchSpace, from start: SearchOutcome?) -> SearchOutcome {
            let estimator = BurstEstimator()
            let search = AlpaServeSearch(
                problem: space.problem, estimator: estimator, placement: space.placement,
                burst: BurstReplication(problem: space.problem, estimator: estimator, placement: space.placement))
            let outcome = search.run(candidates: space.candidates)
            return SearchOutcome(
                chosen: outcome.chosen, extra: outcome.extra, objective: outcome.score, evaluations: estimator.simulations,
                stages: [
                    .init(name: "alpaserve group search and greedy replication", placed: outcome.added, objective: outcome.score.rounded(places: 6))
                ], burstAttainment: outcome.attainment)
        }
    }

    let problem: Problem
    let estimator: BurstEstimator
    let placement: Placement
    let burst: BurstReplication

    struct Group {
        var slots: [Int]
        /// The unit each service would add on this group, when it has one.
        var units: [Int: Candidate]
    }

    func run(candidates: CandidateTable) -> BurstReplication.Outcome {
        var contextOf: [Int: ServiceContext] = [:]
        for ctx in problem.contexts { contextOf[ctx.index] = ctx }
        let markets = Set(candidates.offers.map(\.market))
        let largest =
            Dictionary(grouping: problem.slots.indices) { "\(problem.slots[$0].ref.node)|\(problem.slots[$0].ref.device)" }
            .values.map(\.count).max() ?? 1
        var best: BurstReplication.Outcome? = nil
        // Without model parallelism: single-device groups only (AlpaServe's selective replication, sr-greedy).
        let degrees = !problem.rules.modelParallel ? [1] : [1] + BurstReplication.pipelineDegrees
        for degree in degrees where degree <= largest {
            let outcome = fill(candidates: candidates, markets: markets, degree: degree, contexts: contextOf)
            if best.map({ outcome.score > $0.score * (1 + 1e-6) + 1e-9 }) ?? true { best = outcome }
        }
        return best ?? BurstReplication.Outcome(extra: [], chosen: [], attainment: [:], added: 0, score: 0)
    }

    /// Groups of one configuration: each node's devices of a type in consecutive runs of
    /// `degree`, the rest in smaller powers of two.
    func groups(degree: Int) -> [[Int]] {
        var result: [[Int]] = []
        for (_, members) in problem.slotIndex.sorted(by: { $0.key < $1.key }) {
            var start = 0
            var size = degree
            while start < members.count {
                while size > members.count - start { size /= 2 }
                result.append(Array(members[start..<(start + size)]))
                start += size
            }
        }
        return result
    }

    func fill(candidates table: CandidateTable, markets: Set<Int>, degree: Int, contexts: [Int: ServiceContext]) -> BurstReplication.Outcome {
        var extra: [Candidate] = []
        var state = placement.initialState()
        let candidates = table.offers
        let byMarket = Dictionary(grouping: candidates.indices) { candidates[$0].market }
        // Per market: its service, the workload the estimator replays, and its replicas.
        struct Pool {
            var market: Int
            var context: ServiceContext
            var workload: BurstEstimator.Workload
            var members: [Candidate] = []
        }
        var pools: [Pool] = markets.sorted().compactMap { market in
            guard let first = byMarket[market]?.first, let ctx = contexts[candidates[first].service] else { return nil }
            let workload = burst.arrivals(market: market, ctx: ctx, answersVary: false)
            guard workload.ratePerS > 0 else { return nil }
            return Pool(market: market, context: ctx, workload: workload)
        }
        // What each market would place on each group: a single device's best candidate, or a
        // pipeline over the group's devices.
        var groupList: [Group] = groups(degree: degree).map { Group(slots: $0, units: [:]) }
        for (p, pool) in pools.enumerated() {
            let own = byMarket[pool.market] ?? []
            // AlpaServe's search runs batch 1; a larger batch only where batch 1 is not offered.
            let bySlot = BurstReplication.bestOnEachDevice(own, table) { known, c in
                (known.batch == 1 && c.batch != 1) || (known.batch == c.batch && known.capacityPerS >= c.capacityPerS)
            }
            let pipelines =
                degree > 1 && pool.context.model.kind == .vision
                ? burst.pipelines(ctx: pool.context, singles: bySlot.sorted(by: { $0.key < $1.key }).map(\.value), degree: degree) : []
            let groups = own.compactMap { candidates[$0].isModelParallel ? candidates[$0] : nil }
            for g in groupList.indices {
                let slots = groupList[g].slots
                var unit: Candidate?
                if slots.count == 1 {
                    unit = bySlot[slots[0]]
                } else if let pipeline = pipelines.first(where: { $0.candidate.slots == slots }) {
                    unit = pipeline.candidate
                } else {
                    // A model that needs several devices: the allocator's group on these devices.
                    unit = groups.first { Set($0.slots) == Set(slots) }
                }
                guard var c = unit else { continue }
                c.share = 0
                c.penalty = 0
                c.modes.insert(.gpuSharing)
                groupList[g].units[p] = c
            }
        }
        // Device time each pool's replicas take (its demand spread over them by speed), kept up
        // to date as replicas are added: only the pool that grew changes.
        var total = Array(repeating: 0.0, count: problem.slots.count)
        var own: [[Int: Double]] = Array(repeating: [:], count: pools.count)
        func contribution(_ p: Int) -> [Int: Double] {
            let speed = pools[p].members.map { 1 / burst.replica($0).periodS }
            let sum = speed.reduce(0, +)
            var busy: [Int: Double] = [:]
            for (k, c) in pools[p].members.enumerated() where sum > 0 {
                let b = pools[p].workload.ratePerS * speed[k] / sum * burst.replica(c).periodS
                for slot in c.slots { busy[slot, default: 0] += b }
            }
            return busy
        }
        func refresh(_ p: Int) {
            for (slot, b) in own[p] { total[slot] -= b }
            own[p] = contribution(p)
            for (slot, b) in own[p] { total[slot] += b }
        }
        func attainment(_ p: Int) -> Double {
            estimator.attainment(
                pools[p].workload,
                pool: pools[p].members.map { c in
                    burst.replica(c).sharing(utilization: c.slots.map { total[$0] - (own[p][$0] ?? 0) }.max() ?? 0)
                })
        }
        // Requests each group is sent: its replicas' shares of their services' demand.
        var poolsOn: [[Int]] = Array(repeating: [], count: groupList.count)
        var groupOf: [[Int]: Int] = [:]
        for (g, group) in groupList.enumerated() { groupOf[group.slots] = g }
        func sent(_ g: Int) -> Double {
            poolsOn[g].reduce(0) { $0 + pools[$1].workload.ratePerS / Double(max(pools[$1].members.count, 1)) }
        }
        var current = pools.indices.map { attainment($0) }
        var chosen: [Int] = []
        var added = 0
        // AlpaServe fills memory; past the point where its simulation serves every request in
        // time, more replicas change nothing it can see, so the search stops there.
        while added < 64 * problem.slots.count, current.contains(where: { $0 < 0.9999 }) {
            let unserved = pools.indices.map { pools[$0].workload.ratePerS * (1 - current[$0]) }
            let groupOrder = groupList.indices.map { ($0, sent($0)) }.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
            let modelOrder = pools.indices.sorted { (unserved[$0], $0) > (unserved[$1], $1) }
            var pick: (group: Int, pool: Int)? = nil
            search: for g in groupOrder {
                for p in modelOrder {
                    guard let unit = groupList[g].units[p], !poolsOn[g].contains(p), placement.fits(unit, state) else { continue }
                    pick = (g, p)
                    break search
                }
            }
            guard let (g, p) = pick, var unit = groupList[g].units[p] else { break }
            unit.index = table.count + extra.count
            extra.append(unit)
            placement.apply(unit, to: &state)
            pools[p].members.append(unit)
            poolsOn[g].append(p)
            chosen.append(unit.index)
            added += 1
            refresh(p)
            // The pools that share the devices it took, and its own, see a new picture.
            var touched = Set(poolsOn[g])
            for c in pools[p].members { if let h = groupOf[c.slots] { touched.formUnion(poolsOn[h]) } }
            for q in touched { current[q] = attainment(q) }
        }
        var result: [Int: Double] = [:]
        var score = 0.0
        for p in pools.indices {
            let a = attainment(p)
            result[pools[p].market] = a
            score += pools[p].workload.ratePerS * a
        }
        return BurstReplication.Outcome(extra: extra, chosen: chosen, attainment: result, added: added, score: score)
    }
}
