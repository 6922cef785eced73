import EparaClassify
import EparaCore

// The candidate instances a problem offers the search: every service's configurations, their
// markets, reach and penalties.
extension Problem {
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
}
