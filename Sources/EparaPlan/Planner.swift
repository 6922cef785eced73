import EparaClassify
import EparaCore

public struct PlanOptions: Sendable {
    public var policy: Policy
    /// EPARA with parts turned off (ablations); empty for the full method.
    public var without: Set<Ablation> = []
    public var observed: ObservedDemand?
    public var previous: Plan?
    public var allowPartial: Bool
    /// CELF lazy evaluation (false: plain greedy, for comparison).
    public var lazy: Bool
    public var memoryHeadroom: Double
    public var maxBatch: Int
    /// Placement window: a move's model-load time is charged against this much service.
    public var windowS: Double
    /// A new placement must beat the previous one by this fraction of φ to replace it.
    public var hysteresis: Double
    /// Capacity placement aims for, as a multiple of the demand: requests do not arrive evenly,
    /// and a device planned to 100% busy misses deadlines whenever a burst comes. Shortfalls and
    /// predictions are still judged against the demand itself.
    public var provision: Double = 1.25

    public init(
        policy: Policy = .epara, observed: ObservedDemand? = nil, previous: Plan? = nil, allowPartial: Bool = false,
        lazy: Bool = true, memoryHeadroom: Double = 0.9, maxBatch: Int = 64, windowS: Double = 60, hysteresis: Double = 0.02
    ) {
        self.policy = policy
        self.observed = observed
        self.previous = previous
        self.allowPartial = allowPartial
        self.lazy = lazy
        self.memoryHeadroom = memoryHeadroom
        self.maxBatch = maxBatch
        self.windowS = windowS
        self.hysteresis = hysteresis
    }
}

/// The cluster cannot carry the workload; each shortfall says what is missing.
public struct PlanShortfallError: Error, Sendable {
    public var shortfalls: [Shortfall]
}

public enum Planner {
    public static func plan(_ workload: ClassifiedWorkload, options: PlanOptions = PlanOptions()) throws(PlanShortfallError) -> Plan {
        var solved = Problem(workload: workload, options: options).solve()
        // Headroom must not cost real demand: where the provisioned plan leaves demand unserved,
        // plan for the demand alone and keep whichever serves more.
        if options.provision > 1, !solved.shortfalls.isEmpty {
            var exact = options
            exact.provision = 1
            let tight = Problem(workload: workload, options: exact).solve()
            if tight.predicted.goodputPerS > solved.predicted.goodputPerS + 1e-9 { solved = tight }
        }
        // The settings asked for (replanning asks again, the fallback included), not the fallback's.
        solved.settings = PlanSettings(options)
        // Nothing changed, in the inputs or the placement: hand back the plan in force, byte for byte.
        if var previous = options.previous, previous.inputDigest == solved.inputDigest, previous.deployment == solved.deployment {
            previous.moves = []
            solved = previous
        }
        if !options.allowPartial && !solved.shortfalls.isEmpty {
            throw PlanShortfallError(shortfalls: solved.shortfalls)
        }
        return solved
    }
}

/// One planning problem: the slots, services, candidates and markets of a policy.
struct Problem {
    let workload: ClassifiedWorkload
    let options: PlanOptions
    let latency: LatencyModel
    let slots: [Slot]
    let slotIndex: [String: [Int]]
    let contexts: [ServiceContext]
    let rules: PolicyRules
    /// One offer per class of equivalent devices (false: one per device, as a reference for tests).
    let groupsEquivalentDevices: Bool

    init(workload: ClassifiedWorkload, options: PlanOptions, groupsEquivalentDevices: Bool = true) {
        self.workload = workload
        self.options = options
        self.groupsEquivalentDevices = groupsEquivalentDevices
        let rules = PolicyRules.rules(for: options.policy, without: options.without)
        self.rules = rules
        latency = LatencyModel(catalog: workload.catalog)
        let down = Set(options.observed?.nodesDown ?? [])
        let typeNames = Set(workload.cluster.nodes.filter { !down.contains($0.name) }.flatMap { $0.devices.map(\.type) }).sorted()
        let typeIndex = Dictionary(uniqueKeysWithValues: typeNames.enumerated().map { ($1, $0) })
        var slots: [Slot] = []
        for node in workload.cluster.nodes.sorted(by: { $0.name < $1.name }) where !down.contains(node.name) {
            for group in node.devices {
                guard let type = workload.catalog.device(group.type) else { continue }
                for k in 0..<group.count {
                    slots.append(
                        Slot(
                            ref: DeviceRef(node: node.name, device: type.name, index: k), node: node, type: type,
                            typeIndex: typeIndex[type.name]!, usableMemoryGib: type.memoryGib * options.memoryHeadroom,
                            runtimeOverheadGib: latency.runtimeOverheadGib(on: type)))
                }
            }
        }
        self.slots = slots
        var index: [String: [Int]] = [:]
        for (i, slot) in slots.enumerated() { index["\(slot.ref.node)|\(slot.ref.device)", default: []].append(i) }
        slotIndex = index
        let upNodes = workload.cluster.nodes.filter { !down.contains($0.name) }.map(\.name).sorted()
        contexts = workload.services.enumerated().compactMap { i, classified in
            guard classified.servable, let model = workload.catalog.model(classified.spec.model) else { return nil }
            let service = classified.spec
            let demand = options.observed?.demandPerS[service.name] ?? service.offeredRate
            var origins: [(String, Double)]
            if let observed = options.observed?.demandByOrigin[service.name], !observed.isEmpty {
                origins = observed.keys.sorted().filter { upNodes.contains($0) }.map { ($0, observed[$0]!) }
            } else {
                let names =
                    service.origin.isEmpty
                    ? upNodes
                    : upNodes.filter { node in
                        service.origin.contains(node) || service.origin.contains(workload.cluster.node(node)?.site ?? "")
                    }
                origins = names.map { ($0, demand / Double(max(names.count, 1))) }
            }
            return ServiceContext(
                index: i, classified: classified, model: model,
                weight: rules.weight(of: service, demandPerS: demand), demandPerS: demand,
                origins: origins)
        }
    }

    /// What makes two devices interchangeable for one service: every fact a candidate's value
    /// reads from its device (`CandidateTable`).
    struct DeviceClassKey: Hashable {
        var type: Int
        /// With local markets, the node (its market); otherwise nil.
        var node: String?
        var network: [Double]
        var carries: [Bool]
        var inPreviousPlan: Bool
        /// Set only when devices are not grouped (each its own class).
        var slot: Int?
    }

    /// Every candidate of every service, with its market, reach and penalty; single-device
    /// candidates once per class of equivalent devices.
    func buildCandidates() -> (candidates: CandidateTable, markets: [FlowMarket]) {
        let allocator = Allocator(
            cluster: workload.cluster, latency: latency, rules: rules, maxBatch: options.maxBatch,
            headroom: options.memoryHeadroom)
        var table = CandidateTable()
        var markets: [FlowMarket] = []
        let previousIDs = Set(options.previous?.instances.map(\.id) ?? [])
        // Costs weigh a device by its compute relative to the cluster's mean device.
        let meanTflops = slots.isEmpty ? 1 : slots.reduce(0) { $0 + $1.type.fp16Tflops } / Double(slots.count)
        let typeCount = (slots.map(\.typeIndex).max() ?? -1) + 1
        let siteNames = Array(Set(slots.map(\.node.site))).sorted()
        let siteIndex = Dictionary(uniqueKeysWithValues: siteNames.enumerated().map { ($1, $0) })
        let siteOfSlot = slots.map { siteIndex[$0.node.site]! }
        for ctx in contexts {
            // Where a candidate of this service may stand, and with which market and reach.
            let place: (Candidate, Int) -> Candidate?
            var networkOf: (Int) -> ([Double], [Bool]) = { _ in ([], []) }
            if rules.localMarkets {
                // One market per origin node; instances only where the requests arrive.
                var marketOf: [String: Int] = [:]
                for origin in ctx.origins {
                    marketOf[origin.node] = markets.count
                    markets.append(
                        FlowMarket(
                            weight: ctx.weight, groupDemand: [origin.demandPerS * options.provision],
                            provision: options.provision))
                }
                place = { c, _ in
                    let nodes = Set(c.slots.map { slots[$0].ref.node })
                    guard nodes.count == 1, let m = marketOf[nodes.first!], c.latencyMs <= ctx.deadlineMs else { return nil }
                    var c = c
                    c.market = m
                    c.reach = [0]
                    return c
                }
            } else {
                // One market per service; its demand in groups by origin site.
                let groups = originGroups(ctx)
                let market = markets.count
                markets.append(
                    FlowMarket(
                        weight: ctx.weight, groupDemand: groups.map { $0.demand * options.provision },
                        provision: options.provision))
                // Network time from a group's slowest origin to each node, and whether the links
                // carry the group's payload. Links join sites, so these depend on the node's site
                // only, unless the node is an origin itself: once per site and per origin node.
                let originNames = Set(groups.flatMap { $0.nodes.map(\.name) })
                var bySite: [([Double], [Bool])?] = Array(repeating: nil, count: siteNames.count)
                var byOrigin: [String: ([Double], [Bool])] = [:]
                func entryFacts(_ slot: Int) -> ([Double], [Bool]) {
                    let name = slots[slot].ref.node
                    let isOrigin = originNames.contains(name)
                    if isOrigin, let facts = byOrigin[name] { return facts }
                    if !isOrigin, let facts = bySite[siteOfSlot[slot]] { return facts }
                    let entry = slots[slot].node
                    // A group's origins share a site, so every one but the entry node itself sees
                    // the same path: one link lookup per group.
                    let network = groups.map { group in
                        group.nodes.first { $0.name != entry.name }
                            .map { Router.networkMs(ctx, from: $0, to: entry, cluster: workload.cluster) } ?? 0
                    }
                    let ok = groups.map { group in
                        Router.linkCarries(ctx, demandPerS: group.demand, from: group.nodes, to: entry, cluster: workload.cluster)
                    }
                    if isOrigin { byOrigin[name] = (network, ok) } else { bySite[siteOfSlot[slot]] = (network, ok) }
                    return (network, ok)
                }
                networkOf = entryFacts
                place = { c, slot in
                    var c = c
                    c.market = market
                    let (network, ok) = entryFacts(slot)
                    c.reach = groups.indices.filter { ok[$0] && network[$0] + c.latencyMs <= ctx.deadlineMs }
                    c.networkMs = c.reach.map { network[$0] }.max() ?? 0
                    return c.reach.isEmpty ? nil : c
                }
            }
            func priced(_ c: Candidate) -> Candidate {
                var c = c
                c.cost = c.slots.enumerated().reduce(0) { sum, entry in
                    let slot = slots[entry.element]
                    return sum + max(c.share, c.memoryGib[entry.offset] / slot.type.memoryGib) * slot.type.fp16Tflops / meanTflops
                }
                c.penalty = penalty(c, ctx: ctx, market: markets[c.market], previousIDs: previousIDs)
                return c
            }
            var classes: [[Int]] = []
            var classOffers: [[Candidate]] = []
            if rules.allowsSingleDevice(ctx) {
                // Configurations depend on the device type only: search once per type.
                var byType: [[Candidate]?] = Array(repeating: nil, count: typeCount)
                // Class of each key seen; -1 when its devices offer nothing.
                var classOfKey: [DeviceClassKey: Int] = [:]
                let name = ctx.service.name
                for (i, slot) in slots.enumerated() {
                    if byType[slot.typeIndex] == nil { byType[slot.typeIndex] = allocator.singleCandidates(ctx, on: slot.type) }
                    let configurations = byType[slot.typeIndex]!
                    guard !configurations.isEmpty else { continue }
                    let (network, carries) = networkOf(i)
                    let key = DeviceClassKey(
                        type: slot.typeIndex, node: rules.localMarkets ? slot.ref.node : nil, network: network, carries: carries,
                        inPreviousPlan: !previousIDs.isEmpty && previousIDs.contains("\(name)@\(slot.ref.id)"),
                        slot: groupsEquivalentDevices ? nil : i)
                    if let known = classOfKey[key] {
                        if known >= 0 { classes[known].append(i) }
                        continue
                    }
                    let offers = configurations.compactMap { c -> Candidate? in
                        var c = c
                        c.slots = [i]
                        return place(c, i).map(priced)
                    }
                    guard !offers.isEmpty else {
                        classOfKey[key] = -1
                        continue
                    }
                    classOfKey[key] = classes.count
                    classes.append([i])
                    classOffers.append(offers)
                }
            }
            let groups =
                rules.allowsGroups(ctx)
                ? allocator.groupCandidates(ctx, slotIndex: slotIndex).compactMap { place($0, $0.slots[0]).map(priced) } : []
            table.append(service: ctx.index, slotCount: slots.count, classes: classes, offers: classOffers, groups: groups)
        }
        return (table, markets)
    }

    /// A service's origins grouped by site, with their demand.
    func originGroups(_ ctx: ServiceContext) -> [(site: String, nodes: [ClusterNode], demand: Double)] {
        var bySite: [String: (nodes: [ClusterNode], demand: Double)] = [:]
        for origin in ctx.origins {
            guard let node = workload.cluster.node(origin.node) else { continue }
            bySite[node.site, default: ([], 0)].nodes.append(node)
            bySite[node.site, default: ([], 0)].demand += origin.demandPerS
        }
        return bySite.keys.sorted().map { (site: $0, nodes: bySite[$0]!.nodes, demand: bySite[$0]!.demand) }
    }

    /// Penalties of φ, in the same unit as its gain (weighted requests per second):
    /// - resources: 0.1% of the market's value per device-equivalent taken (the candidate's
    ///   cost), so that of two equal gains the one leaving more for others wins;
    /// - expected SLO violation: 1% of what it serves when its latency reaches the deadline,
    ///   nothing at half the deadline or less, quadratic in between;
    /// - moving: an instance the previous plan did not have serves nothing while its model
    ///   loads (weights at 1 GB/s plus 2 s to start), charged against the placement window.
    func penalty(_ c: Candidate, ctx: ServiceContext, market: FlowMarket, previousIDs: Set<String>) -> Double {
        var p = 1e-3 * market.weight * market.demand * c.cost
        let reachable = c.reach.reduce(0) { $0 + market.groupDemand[$1] }
        let served = min(reachable, c.capacityPerS)
        // A pack's wait for its frames is deterministic; only the processing part is at risk.
        let budget = max(ctx.deadlineMs - c.packWaitMs, 1e-9)
        let excess = max(0, (c.latencyMs - c.packWaitMs) / budget - 0.5) / 0.5
        p += market.weight * served * 0.01 * excess * excess
        if options.previous != nil && !previousIDs.contains(instanceID(c)) {
            let loadS = LatencyModel.loadSeconds(ctx.model)
            p += market.weight * served * loadS / options.windowS
        }
        return p
    }

    /// `service@device[+device…]`: where the instance runs. Several instances of one service may
    /// share a device (each a model server with its share of time); those get `~2`, `~3`, ….
    func instanceID(_ c: Candidate) -> String {
        "\(workload.services[c.service].name)@" + c.slots.map { slots[$0].ref.id }.joined(separator: "+")
    }

    /// Unique ids for the chosen candidates (by candidate index); on a shared device, larger
    /// shares first.
    func instanceIDs(_ picked: [Candidate]) -> [Int: String] {
        let byBase = Dictionary(grouping: picked) { instanceID($0) }
        var ids: [Int: String] = [:]
        for (base, members) in byBase {
            let ordered = members.sorted { a, b in (a.share, a.batch, -a.index) > (b.share, b.batch, -b.index) }
            for (k, c) in ordered.enumerated() { ids[c.index] = k == 0 ? base : "\(base)~\(k + 1)" }
        }
        return ids
    }

    /// What identifies an instance across plans: where it runs and how.
    static func configurationKey(base: String, share: Double, batch: Int, framesPacked: Int) -> String {
        "\(base)|\(share)|\(batch)|\(framesPacked)"
    }

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

    func solve() -> Plan {
        let (candidates, markets) = buildCandidates()
        let placement = Placement(
            candidates: candidates, markets: markets, slotMemory: slots.map(\.usableMemoryGib),
            slotOverhead: slots.map(\.runtimeOverheadGib))
        if rules.search == .alpaServe {
            // AlpaServe's own search: group configurations, greedy selective replication by simulation.
            let estimator = BurstEstimator()
            let search = AlpaServeSearch(
                problem: self, estimator: estimator, placement: placement,
                burst: BurstReplication(problem: self, estimator: estimator, placement: placement))
            let outcome = search.run(candidates: candidates)
            let objective = outcome.score
            return assemble(
                candidates: candidates, extra: outcome.extra, placement: placement, chosen: outcome.chosen, objective: objective,
                evaluations: estimator.simulations,
                stageStats: [
                    .init(
                        name: "alpaserve group search and greedy replication", placed: outcome.added,
                        objective: objective.rounded(places: 6))
                ],
                burstAttainment: outcome.attainment)
        }
        var chosen: [Int]
        var evaluations = 0
        var stageStats: [SolverStats.StageStats] = []
        var objective: Double
        if rules.search == .roundRobin {
            chosen = roundRobinPlacement(placement)
            objective = placement.objective(of: chosen) ?? 0
            stageStats = [.init(name: "round robin", placed: chosen.count, objective: objective.rounded(places: 6))]
        } else {
            // CELF: the better of unit-cost and cost-benefit greedy over EPARA's stages. When both
            // leave demand unserved, an unlucky stage order may be the cause: try both once more
            // over all candidates at once.
            let staged = stages
            var runs: [(String, Placement.Result)] = [
                ("staged unit-cost", placement.run(stages: staged, lazy: options.lazy)),
                ("staged cost-benefit", placement.run(stages: staged, lazy: options.lazy, costBenefit: true)),
            ]
            if staged.count > 1 && runs.allSatisfy({ $0.1.leavesDemandUnserved }) {
                let flat = [PlacementStage(name: "all instances", admits: { _ in true }, acceptsTies: false)]
                runs.append(("unstaged unit-cost", placement.run(stages: flat, lazy: options.lazy)))
                runs.append(("unstaged cost-benefit", placement.run(stages: flat, lazy: options.lazy, costBenefit: true)))
            }
            let (variant, result) = runs.reduce(runs[0]) { best, next in next.1.objective > best.1.objective + 1e-9 ? next : best }
            chosen = result.chosen
            evaluations = runs.reduce(0) { $0 + $1.1.evaluations }
            objective = result.objective
            stageStats = result.stageCounts.map {
                .init(name: "\($0.name) (\(variant))", placed: $0.placed, objective: $0.objective.rounded(places: 6))
            }
        }
        // Hysteresis: keep the previous placement unless the new one is clearly better — by the
        // objective as a whole, or by serving a market (a service at its origins) at least 1% of
        // its demand more: a small service's shortfall must not hide in a large total.
        if let previous = options.previous {
            var byKey: [String: [Int]] = [:]
            let previousServices = Set(previous.instances.map(\.service))
            candidates.forEachConcrete { c in
                guard previousServices.contains(workload.services[c.service].name) else { return }
                byKey[Self.configurationKey(base: instanceID(c), share: c.share, batch: c.batch, framesPacked: c.framesPacked), default: []].append(
                    c.index)
            }
            var old: [Int] = []
            for instance in previous.instances {
                let base = String(instance.id.split(separator: "~").first ?? "")
                let key = Self.configurationKey(base: base, share: instance.share, batch: instance.batch, framesPacked: instance.framesPacked)
                if let match = byKey[key]?.first(where: { !old.contains($0) }) { old.append(match) }
            }
            if old.count == previous.instances.count, let oldObjective = placement.objective(of: old),
                objective <= oldObjective + options.hysteresis * abs(oldObjective),
                let oldServed = placement.servedPerMarket(of: old), let newServed = placement.servedPerMarket(of: chosen),
                !zip(zip(oldServed, newServed), placement.markets).contains(where: { pair, market in
                    pair.1 - pair.0 > 0.01 * market.demand + 1e-9
                })
            {
                chosen = old
                objective = oldObjective
            }
        }
        // Second phase: spare memory becomes attainment under bursts.
        var extra: [Candidate] = []
        var burstAttainment: [Int: Double] = [:]
        if rules.burstReplicas {
            let outcome = BurstReplication(problem: self, estimator: BurstEstimator(), placement: placement).run(
                candidates: candidates, chosen: chosen)
            extra = outcome.extra
            chosen = outcome.chosen
            burstAttainment = outcome.attainment
            if outcome.added > 0 {
                stageStats.append(.init(name: "burst replicas", placed: outcome.added, objective: objective.rounded(places: 6)))
            }
        }
        return assemble(
            candidates: candidates, extra: extra, placement: placement, chosen: chosen, objective: objective,
            evaluations: evaluations, stageStats: stageStats, burstAttainment: burstAttainment)
    }

    /// `burstAttainment`: what the burst estimator expects of each market it planned, which
    /// bounds the prediction (a fluid prediction alone says 1.0 for a burst that queues).
    /// `extra`: instances the burst phase added, numbered on from the candidates.
    func assemble(
        candidates: CandidateTable, extra: [Candidate], placement: Placement, chosen: [Int], objective: Double, evaluations: Int,
        stageStats: [SolverStats.StageStats], burstAttainment: [Int: Double] = [:]
    ) -> Plan {
        let picked = chosen.map { $0 < candidates.count ? candidates[$0] : extra[$0 - candidates.count] }
        let ids = instanceIDs(picked)
        // Offers stand for their whole class here: the facts read are per service and type.
        let everyOffer = [candidates.offers, extra].joined()
        let offersByService = Dictionary(grouping: everyOffer, by: \.service)
        var instances: [Instance] = picked.map { c in
            Instance(
                id: ids[c.index]!, service: workload.services[c.service].name,
                devices: c.slots.map { slots[$0].ref }, stages: c.stages, batch: c.batch, framesPacked: c.framesPacked,
                share: c.share, capacityPerS: c.capacityPerS.rounded(places: 4), latencyMs: c.latencyMs.rounded(places: 4),
                tpotMs: c.tpotMs.map { $0.rounded(places: 4) }, memoryGibPerDevice: c.memoryGib.map { $0.rounded(places: 4) },
                modes: c.modes.names)
        }
        instances.sort { $0.id < $1.id }
        var routes: [Route] = []
        var allocations: [Allocation] = []
        var shortfalls: [Shortfall] = []
        var totalGoodput = 0.0, totalDemand = 0.0
        // Frame packing is always in the bound's table; the policy's own table only differs without it.
        let packedCapacity = singleDeviceCapacity(framePacking: true)
        let policyCapacity = rules.frameParallel ? packedCapacity : singleDeviceCapacity(framePacking: false)
        for ctx in contexts {
            let own = picked.filter { $0.service == ctx.index }
            let placed = own.map { c in
                PlacedInstance(id: ids[c.index]!, entry: slots[c.slots[0]].node, capacityPerS: c.capacityPerS, latencyMs: c.latencyMs)
            }.sorted { $0.id < $1.id }
            let outcome = Router.route(ctx, instances: placed, cluster: workload.cluster, dispatch: rules.dispatch)
            routes.append(contentsOf: outcome.routes)
            let supply = own.reduce(0) { $0 + $1.capacityPerS }
            var goodput = min(outcome.goodputPerS, ctx.demandPerS)
            let ownMarkets = Set((offersByService[ctx.index] ?? []).map(\.market))
            if !ownMarkets.isEmpty, ownMarkets.allSatisfy({ burstAttainment[$0] != nil }) {
                // In market order: a sum over a Set's order would differ run to run in the last digit.
                let expected = ownMarkets.sorted().reduce(0) { sum, m in
                    sum + placement.markets[m].demand / max(placement.markets[m].provision, 1) * burstAttainment[m]!
                }
                goodput = min(goodput, expected)
            }
            totalGoodput += goodput
            totalDemand += ctx.demandPerS
            var modes = Set(own.flatMap(\.modes.names))
            if own.count > 1 { modes.insert("DP") }
            let best = policyCapacity[ctx.index]?.max() ?? 0
            allocations.append(
                Allocation(
                    service: ctx.service.name, category: ctx.classified.category.label,
                    modes: ["BS", "MT", "MF", "DP", "MP", "TP", "PP"].filter(modes.contains), demandPerS: ctx.demandPerS.rounded(places: 6),
                    supplyPerS: supply.rounded(places: 4), instances: placed.map(\.id), replicas: own.count,
                    minReplicasPerStream: ctx.service.stream.map { s in best > 0 ? Int((s.fps / best).rounded(.up)) : 0 },
                    predictedGoodputPerS: goodput.rounded(places: 4),
                    predictedAttainment: ctx.demandPerS > 0 ? (goodput / ctx.demandPerS).rounded(places: 4) : 1))
            if supply < ctx.demandPerS * (1 - 1e-9) {
                shortfalls.append(
                    Shortfall(
                        service: ctx.service.name, demandPerS: ctx.demandPerS.rounded(places: 4),
                        supplyPerS: supply.rounded(places: 4),
                        reason: missing(ctx, supply: supply, own: offersByService[ctx.index] ?? [], bestSingle: best)))
            }
        }
        for classified in workload.services where !classified.servable {
            shortfalls.append(
                Shortfall(
                    service: classified.name, demandPerS: classified.spec.offeredRate, supplyPerS: 0,
                    reason: classified.unservableReason ?? "no configuration meets its SLO"))
        }
        var uses: [DeviceUse] = []
        var memoryUsed = Array(repeating: 0.0, count: slots.count), shareUsed = Array(repeating: 0.0, count: slots.count)
        var onSlot: [[String]] = Array(repeating: [], count: slots.count)
        for c in picked {
            for (j, s) in c.slots.enumerated() {
                // One model server per device: its runtime memory counts once.
                memoryUsed[s] += onSlot[s].isEmpty ? c.memoryGib[j] : c.memoryGib[j] - slots[s].runtimeOverheadGib
                shareUsed[s] += c.share
                onSlot[s].append(ids[c.index]!)
            }
        }
        for (i, slot) in slots.enumerated() {
            uses.append(
                DeviceUse(
                    device: slot.ref, memoryGib: slot.type.memoryGib.rounded(places: 4),
                    memoryUsedGib: memoryUsed[i].rounded(places: 4), shareUsed: shareUsed[i].rounded(places: 4),
                    instances: onSlot[i].sorted()))
        }
        let bound = upperBound(candidates: everyOffer, singleCapacity: packedCapacity)
        let observed = options.observed
        let digestInput = DigestInput(
            workload: workload.inputDigest, policy: options.policy.rawValue, headroom: options.memoryHeadroom,
            maxBatch: options.maxBatch, windowS: options.windowS, observed: observed,
            without: options.without.isEmpty ? nil : options.without.sorted().map(\.rawValue))
        var moves: [Move] = []
        if let previous = options.previous {
            let before = Set(previous.instances.map(\.id)), after = Set(instances.map(\.id))
            moves += previous.instances.filter { !after.contains($0.id) }.map { Move(kind: .remove, service: $0.service, instance: $0.id) }
            moves += instances.filter { !before.contains($0.id) }.map { Move(kind: .add, service: $0.service, instance: $0.id) }
            moves.sort { ($0.instance, $0.kind.rawValue) < ($1.instance, $1.kind.rawValue) }
        }
        return Plan(
            inputDigest: JSONOutput.digest(digestInput), workloadDigest: workload.inputDigest, policy: options.policy.rawValue,
            cluster: workload.cluster,
            catalog: workload.catalog, services: workload.services, allocations: allocations, instances: instances,
            routing: routes.sorted { ($0.service, $0.origin) < ($1.service, $1.origin) }, devices: uses,
            predicted: Prediction(
                goodputPerS: totalGoodput.rounded(places: 4), demandPerS: totalDemand.rounded(places: 4),
                attainment: totalDemand > 0 ? (totalGoodput / totalDemand).rounded(places: 4) : 1,
                upperBoundGoodputPerS: bound.rounded(places: 4),
                fractionOfUpperBound: bound > 0 ? (totalGoodput / bound).rounded(places: 4) : 1),
            solver: SolverStats(
                policy: options.policy.rawValue, candidates: candidates.count + extra.count, objectiveEvaluations: evaluations,
                lazy: options.lazy, objective: objective.rounded(places: 6), stages: stageStats,
                without: options.without.isEmpty ? nil : options.without.sorted().map(\.rawValue)),
            shortfalls: shortfalls, moves: moves,
            state: observed.map {
                StateSummary(
                    runId: $0.runId, windowsRead: $0.windowsRead, nodesDown: $0.nodesDown,
                    observedDemandPerS: $0.demandPerS.mapValues { $0.rounded(places: 6) },
                    observedCv: $0.cv, source: $0.source)
            })
    }

    struct DigestInput: Encodable {
        var workload: String
        var policy: String
        var headroom: Double
        var maxBatch: Int
        var windowS: Double
        var observed: ObservedDemand?
        var without: [String]?
    }

    /// The cluster's device types, in name order.
    var deviceTypes: [DeviceType] {
        Dictionary(slots.map { ($0.type.name, $0.type) }, uniquingKeysWith: { a, _ in a }).values.sorted { $0.name < $1.name }
    }

    /// Full-device capacity of each service (by workload index) on each of `deviceTypes`, with or
    /// without frame packing for its streams.
    func singleDeviceCapacity(framePacking: Bool) -> [Int: [Double]] {
        let types = deviceTypes
        var result: [Int: [Double]] = [:]
        for ctx in contexts {
            result[ctx.index] = types.map { type in
                latency.configurations(
                    ctx.service, model: ctx.model, on: type, packsFrames: framePacking && ctx.isFrequency,
                    maxBatch: options.maxBatch, headroom: options.memoryHeadroom
                ).first?.capacityPerS ?? 0
            }
        }
        return result
    }

    /// `own`: the service's candidates (an offer for each class of devices is enough).
    func missing(_ ctx: ServiceContext, supply: Double, own: [Candidate], bestSingle: Double) -> String {
        let unmet = ctx.demandPerS - supply
        if own.isEmpty {
            return "no device or model-parallel group of the cluster meets its SLO from where its requests arrive"
        }
        let best = own.max { ($0.capacityPerS / Double($0.slots.count), $1.index) < ($1.capacityPerS / Double($1.slots.count), $0.index) }!
        let type = slots[best.slots[0]].type.name
        let perInstance = best.capacityPerS
        let more = Int((unmet / max(perInstance, 1e-9)).rounded(.up))
        let unit =
            best.isModelParallel
            ? "groups of \(best.slots.count) devices like \(best.stages.map(\.device).joined(separator: "+"))" : "\(type) devices"
        return "placed \(Classifier.format(supply))/s of \(Classifier.format(ctx.demandPerS))/s; about \(more) more \(unit) "
            + "(\(Classifier.format(perInstance))/s each) would cover the remaining \(Classifier.format(unmet))/s"
    }

    /// Fluid upper bound on goodput over this policy's candidates plus full-device single
    /// instances of every service with frame packing (so it bounds the other policies too).
    func upperBound(candidates: some Sequence<Candidate>, singleCapacity: [Int: [Double]]) -> Double {
        let types = deviceTypes
        let typeIndex = Dictionary(uniqueKeysWithValues: types.enumerated().map { ($1.name, $0) })
        var capacity = Array(repeating: Array(repeating: 0.0, count: types.count), count: workload.services.count)
        for (service, row) in singleCapacity { capacity[service] = row }
        for c in candidates {
            let perDevice = c.capacityPerS / c.share / Double(c.slots.count)
            for slot in c.slots {
                let d = typeIndex[slots[slot].type.name]!
                capacity[c.service][d] = max(capacity[c.service][d], perDevice)
            }
        }
        var demand = Array(repeating: 0.0, count: workload.services.count)
        for ctx in contexts { demand[ctx.index] = ctx.demandPerS }
        let counts = types.map { t in Double(slots.filter { $0.type.name == t.name }.count) }
        return FluidBound.solve(demand: demand, capacity: capacity, devices: counts)
    }
}
