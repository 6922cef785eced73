import EparaClassify
import EparaCore
import EparaPlan

/// What the request handler needs to know about one service, in the units it works in (seconds).
public struct ServiceInfo: Sendable {
    public var name: String
    /// One of EPARA's four category labels, `latency/single-gpu` etc.
    public var category: String
    public var isFrequency: Bool
    public var isLLM: Bool
    public var model: ModelSpec
    /// End-to-end deadline of a request (an LLM's first token), seconds.
    public var deadlineS: Double
    /// LLM: time-per-output-token bound, seconds.
    public var tpotS: Double?
    public var streams: Int
    public var fps: Double
    /// Mean offered rate from the Services document, requests (frames) per second.
    public var ratePerS: Double
    /// Burstiness of its requests (the Services' demand.cv), nil when not given.
    public var cv: Double?
    public var inputTokens: Double
    public var outputTokens: Double
    public var priority: Double
    /// Nodes where its requests arrive.
    public var origins: [NodeIndex]
}

/// One pipeline stage of an instance: the device it runs on and its batch times.
public struct StageInfo: Sendable {
    public var device: DeviceIndex
    public var node: NodeIndex
    /// Vision: seconds for a batch of b items at index b (index 0 unused).
    public var batchS: [Double]
    /// Seconds to hand a batch of b items to the next stage (index 0 unused); empty for the last stage.
    public var handoffS: [Double]
}

public struct InstanceInfo: Sendable {
    public var id: String
    public var service: ServiceIndex
    /// Node whose handler owns the instance's queue (its first stage's node).
    public var node: NodeIndex
    public var stages: [StageInfo]
    public var batch: Int
    public var framesPacked: Int
    /// Requests per second within SLO, as planned.
    public var capacityPerS: Double
    public var loadS: Double
    /// Every node the instance occupies (a model-parallel group may span several).
    public var nodes: [NodeIndex]
    /// LLM iteration times (nil for vision models).
    public var llm: LLMTiming?
}

/// A plan turned into tables read through typed indices: what the request-handling core reads on
/// every request, so that no string is hashed on the hot path and no node is taken for a service.
public struct Deployment: Sendable {
    public var plan: Plan
    public var services: Table<ServiceIndex, ServiceInfo>
    public var serviceIndex: [String: ServiceIndex]
    public var nodes: Table<NodeIndex, ClusterNode>
    public var nodeIndex: [String: NodeIndex]
    /// Every device of the cluster, in cluster order.
    public var devices: Table<DeviceIndex, DeviceRef>
    public var deviceIndex: [DeviceRef: DeviceIndex]
    /// The plan's instances, in its order (the core adds those of later plans after them).
    public var instances: Table<InstanceIndex, InstanceInfo>
    /// Instances of each service.
    public var instancesOf: Table<ServiceIndex, [InstanceIndex]>
    /// Links between sites, degraded by faults. Per site pair, not per node pair: a
    /// 10,000-node fleet would need 100 million node pairs.
    var siteLinks: Grid<SiteIndex, SiteIndex, Link>
    /// Site of each node.
    var siteOfNode: Table<NodeIndex, SiteIndex>
    public let latency: LatencyModel

    public init(plan: Plan) {
        self.plan = plan
        latency = LatencyModel(catalog: plan.catalog)
        nodes = Table(plan.cluster.nodes)
        nodeIndex = Dictionary(uniqueKeysWithValues: nodes.indexed().map { ($1.name, $0) })
        devices = Table()
        for node in nodes {
            for group in node.devices {
                for index in 0..<group.count { devices.append(DeviceRef(node: node.name, device: group.type, index: index)) }
            }
        }
        deviceIndex = Dictionary(uniqueKeysWithValues: devices.indexed().map { ($1, $0) })
        let sites = Table<SiteIndex, String>(Array(Set(nodes.map(\.site))).sorted())
        let siteIndex = Dictionary(uniqueKeysWithValues: sites.indexed().map { ($1, $0) })
        siteOfNode = Table(nodes.map { siteIndex[$0.site]! })
        siteLinks = Grid(rows: sites.count, columns: sites.count) { a, b in plan.cluster.network.link(sites[a], sites[b]) }
        services = Table()
        serviceIndex = [:]
        let nodes = self.nodes
        for classified in plan.services {
            let spec = classified.spec
            let model = plan.catalog.model(spec.model)!
            var origins =
                spec.origin.isEmpty
                ? Array(nodes.indices)
                : nodes.indices.filter { i in
                    spec.origin.contains(nodes[i].name) || spec.origin.contains(nodes[i].site)
                }
            if origins.isEmpty { origins = Array(nodes.indices) }
            let index = services.nextIndex
            services.append(
                ServiceInfo(
                    name: spec.name, category: classified.category.label, isFrequency: classified.category.request == .frequency,
                    isLLM: model.kind == .llm, model: model, deadlineS: spec.deadlineMs / 1000, tpotS: spec.slo.tpotMs.map { $0 / 1000 },
                    streams: spec.stream?.streams ?? 0, fps: spec.stream?.fps ?? 0, ratePerS: spec.offeredRate,
                    cv: spec.demand?.cv, inputTokens: spec.demand?.inputTokens ?? 0, outputTokens: spec.demand?.outputTokens ?? 0,
                    priority: spec.priority, origins: origins))
            serviceIndex[spec.name] = index
        }
        instances = Table()
        instancesOf = Table(repeating: [], count: services.count)
        for instance in plan.instances {
            guard let service = serviceIndex[instance.service] else { continue }
            let info = Self.instanceInfo(
                instance, service: service, model: services[service].model, plan: plan, latency: latency,
                nodeIndex: nodeIndex, deviceIndex: deviceIndex)
            instancesOf[service].append(instances.nextIndex)
            instances.append(info)
        }
    }

    static func instanceInfo(
        _ instance: Instance, service: ServiceIndex, model: ModelSpec, plan: Plan, latency: LatencyModel,
        nodeIndex: [String: NodeIndex], deviceIndex: [DeviceRef: DeviceIndex]
    ) -> InstanceInfo {
        let maxBatch = max(instance.batch, 1)
        var stages: [StageInfo] = []
        if instance.stages.isEmpty {
            let ref = instance.devices[0]
            let device = plan.catalog.device(ref.device)!
            let times = (0...maxBatch).map { b in b == 0 ? 0 : latency.batchLatencyMs(model, on: device, batch: b) / 1000 }
            stages.append(StageInfo(device: deviceIndex[ref]!, node: nodeIndex[ref.node]!, batchS: times, handoffS: []))
        } else {
            // A stage runs on the first device of its tensor-parallel set (the group owns the others).
            var used = Set<DeviceRef>()
            for (s, stage) in instance.stages.enumerated() {
                let ref = instance.devices.first { $0.node == stage.node && $0.device == stage.device && !used.contains($0) }!
                let members = instance.devices.filter { $0.node == stage.node && $0.device == stage.device && !used.contains($0) }
                    .prefix(stage.tensorParallel)
                used.formUnion(members)
                let device = plan.catalog.device(stage.device)!
                let node = plan.cluster.node(stage.node)!
                let times = (0...maxBatch).map { b -> Double in
                    guard b > 0 else { return 0 }
                    return latency.batchLatencyMs(
                        model, on: device, batch: b, fraction: stage.layerFraction,
                        tensorParallel: stage.tensorParallel) / 1000
                }
                var handoff: [Double] = []
                if s + 1 < instance.stages.count, let next = plan.cluster.node(instance.stages[s + 1].node) {
                    let link = plan.cluster.link(from: node, to: next)
                    handoff = (0...maxBatch).map { b in
                        b == 0 ? 0 : link.transferMs(bytes: latency.activationBytes(model, tokens: Double(b))) / 1000
                    }
                }
                stages.append(StageInfo(device: deviceIndex[ref]!, node: nodeIndex[stage.node]!, batchS: times, handoffS: handoff))
            }
        }
        let nodes = Array(Set(instance.devices.compactMap { nodeIndex[$0.node] })).sorted()
        return InstanceInfo(
            id: instance.id, service: service, node: stages[0].node, stages: stages,
            batch: maxBatch, framesPacked: max(instance.framesPacked, 1), capacityPerS: instance.capacityPerS,
            loadS: LatencyModel.loadSeconds(model), nodes: nodes,
            llm: model.kind == .llm ? LLMTiming(instance: instance, model: model, plan: plan, latency: latency) : nil)
    }

    /// The link from node a to node b: a node's own interconnect, else its site's link to the other's.
    @inline(__always) public func link(_ a: NodeIndex, _ b: NodeIndex) -> Link {
        a == b ? nodes[a].interconnect : siteLinks[siteOfNode[a], siteOfNode[b]]
    }

    /// Seconds to move `bytes` from node a to node b (0 on the same node).
    @inline(__always) public func transferS(bytes: Double, from a: NodeIndex, to b: NodeIndex) -> Double {
        if a == b { return 0 }
        let link = siteLinks[siteOfNode[a], siteOfNode[b]]
        return (link.latencyMs + bytes * 8 / (link.bandwidthMbps * 1000)) / 1000
    }

    /// Replaces the link between two sites (both directions), for link faults; nil restores the
    /// cluster's.
    public mutating func setLink(sites: (String, String), to link: Link?) {
        guard let a = nodes.firstIndex(where: { $0.site == sites.0 }).map({ siteOfNode[$0] }),
            let b = nodes.firstIndex(where: { $0.site == sites.1 }).map({ siteOfNode[$0] })
        else { return }
        siteLinks[a, b] = link ?? plan.cluster.network.link(sites.0, sites.1)
        siteLinks[b, a] = link ?? plan.cluster.network.link(sites.1, sites.0)
    }
}

/// LLM iteration times for one instance, memoised: a prefill of n prompt tokens, a decode step of
/// b sequences with a mean context of c tokens. Prompts are rounded up to 16 tokens and contexts to 64 so
/// that a day of traffic needs a few thousand evaluations of the latency model, not millions.
public final class LLMTiming: @unchecked Sendable {
    let model: ModelSpec
    let group: ParallelGroup?
    let device: DeviceType
    let cluster: Cluster
    let latency: LatencyModel
    @exclusivity(unchecked) private var prefill: [Int: Double] = [:]
    /// Decode step times by batch size, then context bucket; NaN where not yet evaluated. A
    /// table rather than a dictionary: the simulator reads it for every decode step.
    @exclusivity(unchecked) private var decode: [[Double]] = []
    static let bucket = 64
    /// Prompts are rounded up to 16 tokens: a 64-token bucket made a 75-token prompt one of 128,
    /// and a small model's prefill on a CPU nearly twice as long as the server measured.
    static let prefillBucket = 16
    /// Tokens the instance's KV cache holds: its memory less the weights and the runtime's own
    /// (single-device instances; a model-parallel group's cache is not bounded here).
    let cacheTokens: Double

    init(instance: Instance, model: ModelSpec, plan: Plan, latency: LatencyModel) {
        self.model = model
        group = instance.stages.isEmpty ? nil : ParallelGroup(stages: instance.stages)
        device = plan.catalog.device(instance.devices[0].device)!
        cluster = plan.cluster
        self.latency = latency
        if group == nil, let memory = instance.memoryGibPerDevice.first, model.kvBytesPerToken > 0 {
            let free = memory - model.weightsGib - latency.runtimeOverheadGib(on: device)
            cacheTokens = max(free, 0) * 1_073_741_824 / model.kvBytesPerToken
        } else {
            cacheTokens = .infinity
        }
    }

    /// One chunked-prefill step: `promptTokens` prompt tokens and one token for each of `decodes`
    /// sequences with a mean context of `context`. A mixed step streams the weights once and
    /// computes every token, so it takes the longer of the decode step and a prefill of all its
    /// tokens (both from the latency model or the catalog's measured profile).
    public func stepS(promptTokens: Int, decodes: Int, context: Double) -> Double {
        if promptTokens == 0 { return decodeS(batch: decodes, context: context) }
        if decodes == 0 { return prefillS(tokens: promptTokens) }
        return max(decodeS(batch: decodes, context: context), prefillS(tokens: promptTokens + decodes))
    }

    public func prefillS(tokens: Int) -> Double {
        let key = (max(tokens, 1) + Self.prefillBucket - 1) / Self.prefillBucket
        if let t = prefill[key] { return t }
        let n = Double(key * Self.prefillBucket)
        let t: Double
        if let group {
            t = (latency.timing(model, on: group, in: cluster, batch: 1, inputTokens: n, context: n)?.latencyMs ?? .infinity) / 1000
        } else {
            t = latency.prefillMs(model, on: device, inputTokens: n) / 1000
        }
        prefill[key] = t
        return t
    }

    public func decodeS(batch: Int, context: Double) -> Double {
        decodeS(batch: batch, bucket: Self.decodeBucket(context))
    }

    /// The bucket a decode step's mean context falls in.
    @inline(__always) static func decodeBucket(_ context: Double) -> Int { min(Int(context) / bucket + 1, (1 << 20) - 1) }

    /// A decode step's time for a batch size and a context bucket.
    @inline(__always) func decodeS(batch: Int, bucket: Int) -> Double {
        if batch < decode.count, bucket < decode[batch].count {
            let t = decode[batch][bucket]
            if !t.isNaN { return t }
        }
        return evaluateDecode(batch: batch, bucket: bucket)
    }

    private func evaluateDecode(batch: Int, bucket: Int) -> Double {
        let c = Double(bucket * Self.bucket)
        let t: Double
        if let group {
            t = (latency.timing(model, on: group, in: cluster, batch: batch, inputTokens: 1, context: c)?.tpotMs ?? .infinity) / 1000
        } else {
            t = latency.decodeStepMs(model, on: device, batch: batch, context: c) / 1000
        }
        if decode.count <= batch { decode.append(contentsOf: repeatElement([], count: batch + 1 - decode.count)) }
        if decode[batch].count <= bucket { decode[batch].append(contentsOf: repeatElement(.nan, count: bucket + 1 - decode[batch].count)) }
        decode[batch][bucket] = t
        return t
    }
}
