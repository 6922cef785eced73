import EparaCore

/// How a policy dispatches a service's requests over its instances.
enum Dispatch {
    /// EPARA: each origin's requests go to the instances with the best estimated completion
    /// (network there and back + processing), filling each instance up to its capacity.
    case nearest
    /// Only instances on the node where the request arrives.
    case local
    /// Equal shares to every instance, blind to speed and network.
    case roundRobin
    /// Capacity-aware but network-blind (a single-cluster scheduler such as AlpaServe's).
    case capacityOnly
}

struct PlacedInstance {
    var id: String
    var entry: ClusterNode
    var capacityPerS: Double
    var latencyMs: Double
}

enum Router {
    struct Outcome {
        var routes: [Route]
        var goodputPerS: Double
    }

    static func networkMs(_ ctx: ServiceContext, from origin: ClusterNode, to node: ClusterNode, cluster: Cluster) -> Double {
        if origin.name == node.name { return 0 }
        let link = cluster.link(from: origin, to: node)
        // The request's payload (an image, or the prompt's tokens) there; the answer (or, for an
        // LLM, its first token) back.
        return link.transferMs(bytes: ctx.model.inputBytes * max(ctx.inputTokens, 1)) + link.transferMs(bytes: ctx.model.outputBytes)
    }

    /// Whether the links from a group of origins (nodes of one site) to a node can carry the
    /// group's requests: their payload must stay under 80% of the link's bandwidth (camera
    /// streams do not cross a 100 Mbps site link just because one frame's transfer time would
    /// fit the deadline). Origins in another site share the one link between the sites; inside a
    /// site each node has its own path.
    static func linkCarries(
        _ ctx: ServiceContext, demandPerS: Double, from origins: [ClusterNode], to node: ClusterNode,
        cluster: Cluster
    ) -> Bool {
        let remote = origins.filter { $0.name != node.name }
        guard let first = remote.first else { return true }
        let megabitsEach = demandPerS / Double(origins.count) * ctx.model.inputBytes * max(ctx.inputTokens, 1) * 8 / 1e6
        let load = first.site != node.site ? megabitsEach * Double(remote.count) : megabitsEach
        return cluster.link(from: first, to: node).bandwidthMbps * 0.8 >= load
    }

    static func route(_ ctx: ServiceContext, instances: [PlacedInstance], cluster: Cluster, dispatch: Dispatch) -> Outcome {
        let origins = ctx.origins.compactMap { o in cluster.node(o.node).map { (node: $0, demand: o.demandPerS) } }
        var assigned: [[Double]] = Array(repeating: Array(repeating: 0, count: instances.count), count: origins.count)
        let network: [[Double]] = origins.map { o in instances.map { networkMs(ctx, from: o.node, to: $0.entry, cluster: cluster) } }
        var feasible: [[Bool]] = []
        for (oi, _) in origins.enumerated() {
            feasible.append(
                instances.indices.map { i in
                    let allowed = dispatch != .local || origins[oi].node.name == instances[i].entry.name
                    return allowed && network[oi][i] + instances[i].latencyMs <= ctx.deadlineMs
                })
        }
        var goodput = 0.0
        switch dispatch {
        case .nearest, .local, .capacityOnly:
            var pairs: [(o: Int, i: Int, cost: Double)] = []
            for oi in origins.indices {
                for i in instances.indices where feasible[oi][i] {
                    let cost = dispatch == .capacityOnly ? instances[i].latencyMs : network[oi][i] + instances[i].latencyMs
                    pairs.append((oi, i, cost))
                }
            }
            pairs.sort { ($0.cost, instances[$0.i].id, origins[$0.o].node.name) < ($1.cost, instances[$1.i].id, origins[$1.o].node.name) }
            var remainingDemand = origins.map(\.demand)
            var remainingCapacity = instances.map(\.capacityPerS)
            for pair in pairs {
                let flow = min(remainingDemand[pair.o], remainingCapacity[pair.i])
                guard flow > 0 else { continue }
                assigned[pair.o][pair.i] += flow
                remainingDemand[pair.o] -= flow
                remainingCapacity[pair.i] -= flow
                goodput += flow
            }
            // Demand beyond capacity still has to go somewhere: spread it over the feasible
            // instances in proportion to their capacity (it will queue, and be counted late).
            for oi in origins.indices where remainingDemand[oi] > 1e-12 {
                let options = instances.indices.filter { feasible[oi][$0] }
                let total = options.reduce(0) { $0 + instances[$1].capacityPerS }
                for i in options where total > 0 { assigned[oi][i] += remainingDemand[oi] * instances[i].capacityPerS / total }
            }
        case .roundRobin:
            let k = Double(instances.count)
            guard k > 0 else { break }
            for oi in origins.indices { for i in instances.indices { assigned[oi][i] = origins[oi].demand / k } }
            for i in instances.indices {
                let load = origins.indices.reduce(0) { $0 + assigned[$1][i] }
                let inTime = origins.indices.filter { feasible[$0][i] }.reduce(0) { $0 + assigned[$1][i] }
                if load > 0 { goodput += min(load, instances[i].capacityPerS) * inTime / load }
            }
        }
        var routes: [Route] = []
        for (oi, origin) in origins.enumerated() {
            let total = assigned[oi].reduce(0, +)
            let targets = instances.indices.filter { assigned[oi][$0] > 1e-12 }.map { i in
                RouteTarget(
                    instance: instances[i].id, weight: (assigned[oi][i] / total).rounded(places: 6),
                    networkMs: network[oi][i].rounded(places: 3))
            }.sorted { $0.instance < $1.instance }
            routes.append(
                Route(
                    service: ctx.service.name, origin: origin.node.name, demandPerS: origin.demand.rounded(places: 6),
                    targets: targets))
        }
        return Outcome(routes: routes, goodputPerS: goodput)
    }
}
