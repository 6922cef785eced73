/// Enumerates model-parallel groups of a cluster's devices, smallest first and, for one size,
/// in EPARA's order of preference: inside one node (tensor parallel over its links), then
/// inside one site, then across sites (pipeline stages over the network).
public enum ModelParallelCandidates {
    /// Upper bound on group size tried: beyond 16 devices per instance the inter-stage
    /// transfers of edge links dominate, and enumeration cost grows with it.
    public static let maximumDegree = 16

    struct Slot: Hashable {
        var node: ClusterNode
        var device: DeviceType
    }

    public static func groups(
        for model: ModelSpec, in cluster: Cluster, latency: LatencyModel,
        headroom: Double = 0.9, maximumDegree: Int = maximumDegree
    ) -> [ParallelGroup] {
        var slots: [Slot] = []
        for node in cluster.nodes.sorted(by: { $0.name < $1.name }) {
            for group in node.devices {
                guard let device = latency.catalog.device(group.type) else { continue }
                slots.append(contentsOf: Array(repeating: Slot(node: node, device: device), count: group.count))
            }
        }
        let byMemory = slots.sorted { rank($0, $1, memoryFirst: true) }
        let bySpeed = slots.sorted { rank($0, $1, memoryFirst: false) }
        let total = min(slots.count, maximumDegree)
        guard total >= 2 else { return [] }
        var seen = Set<ParallelGroup>()
        var result: [ParallelGroup] = []
        func add(_ chosen: [Slot]) {
            let group = makeGroup(chosen, model: model, latency: latency)
            if seen.insert(group).inserted { result.append(group) }
        }
        for k in 2...total {
            // Inside one node.
            for node in cluster.nodes.sorted(by: { $0.name < $1.name }) {
                for order in [byMemory, bySpeed] {
                    let local = order.filter { $0.node.name == node.name }
                    if local.count >= k { add(Array(local.prefix(k))) }
                }
            }
            // Inside one site.
            for site in cluster.sites {
                for order in [byMemory, bySpeed] {
                    let local = order.filter { $0.node.site == site }
                    if local.count >= k { add(Array(local.prefix(k))) }
                }
            }
            // Across sites.
            for order in [byMemory, bySpeed] where order.count >= k {
                add(Array(order.prefix(k)))
            }
        }
        return result
    }

    static func rank(_ a: Slot, _ b: Slot, memoryFirst: Bool) -> Bool {
        let ka = (a.device.memoryGib, a.device.memoryBandwidthGbytesPerS)
        let kb = (b.device.memoryGib, b.device.memoryBandwidthGbytesPerS)
        let (pa, pb) = memoryFirst ? (ka, kb) : ((ka.1, ka.0), (kb.1, kb.0))
        if pa != pb { return pa > pb }
        return (a.node.name, a.device.name) < (b.node.name, b.device.name)
    }

    /// One stage per (node, device type); stages ordered by site, then node, so that the
    /// pipeline crosses each network link once.
    static func makeGroup(_ chosen: [Slot], model: ModelSpec, latency: LatencyModel) -> ParallelGroup {
        var counts: [String: (slot: Slot, count: Int)] = [:]
        for slot in chosen {
            let key = "\(slot.node.name)\u{0}\(slot.device.name)"
            counts[key, default: (slot, 0)].count += 1
        }
        let stages = counts.values.sorted {
            ($0.slot.node.site, $0.slot.node.name, $0.slot.device.name) < ($1.slot.node.site, $1.slot.node.name, $1.slot.device.name)
        }
        let fractions = latency.balancedFractions(model, stages: stages.map { ($0.slot.device, $0.count) })
        return ParallelGroup(
            stages: zip(stages, fractions).map { entry, fraction in
                ParallelGroup.Stage(
                    node: entry.slot.node.name, device: entry.slot.device.name,
                    tensorParallel: entry.count, layerFraction: fraction.rounded(places: 6))
            })
    }
}
