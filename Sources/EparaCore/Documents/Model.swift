/// The values every stage works on once documents are read. JSON output encodes them with
/// snake_case keys whose names carry their unit (`memory_gib`, `latency_ms`).

public enum DeviceClass: String, Codable, Hashable, Sendable, CaseIterable {
    case gpu
    case embeddedGPU = "embedded-gpu"
    case cpu
}

/// A kind of device: the catalog's numbers that the latency model runs on.
public struct DeviceType: Codable, Hashable, Sendable {
    public var name: String
    public var deviceClass: DeviceClass
    /// Memory usable by models (on Jetsons and CPUs, what the OS leaves free).
    public var memoryGib: Double
    /// Peak dense throughput by precision.
    public var fp16Tflops: Double
    public var fp32Tflops: Double
    public var int8Tops: Double
    public var memoryBandwidthGbytesPerS: Double
    /// Fixed cost per kernel (layer) launch; dominates small models at batch 1.
    public var kernelOverheadUs: Double
    /// Fraction of peak compute and memory bandwidth that real inference runtimes reach.
    public var computeEfficiency: Double
    public var memoryEfficiency: Double
    public var source: String

    public init(
        name: String, deviceClass: DeviceClass, memoryGib: Double, fp16Tflops: Double, fp32Tflops: Double,
        int8Tops: Double, memoryBandwidthGbytesPerS: Double, kernelOverheadUs: Double,
        computeEfficiency: Double, memoryEfficiency: Double, source: String
    ) {
        self.name = name
        self.deviceClass = deviceClass
        self.memoryGib = memoryGib
        self.fp16Tflops = fp16Tflops
        self.fp32Tflops = fp32Tflops
        self.int8Tops = int8Tops
        self.memoryBandwidthGbytesPerS = memoryBandwidthGbytesPerS
        self.kernelOverheadUs = kernelOverheadUs
        self.computeEfficiency = computeEfficiency
        self.memoryEfficiency = memoryEfficiency
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case name, deviceClass = "class", memoryGib, fp16Tflops, fp32Tflops, int8Tops, memoryBandwidthGbytesPerS,
            kernelOverheadUs, computeEfficiency, memoryEfficiency, source
    }

    /// Peak operations per second for a compute precision. 4-bit weights are dequantized into
    /// 8-bit or 16-bit math, so they run at the int8 rate. (A CPU without half-precision
    /// arithmetic should list its fp32 figure as `fp16`.)
    public func peakTflops(_ precision: Precision) -> Double {
        switch precision {
        case .fp32: fp32Tflops
        case .fp16: fp16Tflops
        case .int8, .int4: int8Tops
        }
    }
}

public enum Precision: String, Codable, Hashable, Sendable, CaseIterable {
    case fp32, fp16, int8, int4
}

public enum ModelKind: String, Codable, Hashable, Sendable {
    case vision
    case llm
}

/// A model and the numbers that size its work: per item for vision models, per token for LLMs.
public struct ModelSpec: Codable, Hashable, Sendable {
    public var name: String
    public var kind: ModelKind
    public var precision: Precision
    public var parameters: Double
    public var bytesPerWeight: Double
    /// Vision: work per item (image or frame).
    public var gflopsPerItem: Double
    /// Vision: activation memory per item of a batch.
    public var activationMibPerItem: Double
    /// Kernels launched per forward pass (about the layer count after fusion).
    public var kernels: Int
    /// LLM: transformer layers (pipeline stages split on them).
    public var layers: Int
    /// LLM: hidden size (tensor-parallel all-reduce volume).
    public var hiddenSize: Int
    /// LLM: KV-cache bytes per token of context, all layers.
    public var kvBytesPerToken: Double
    /// LLM: parameters of an input embedding table that decoding reads one row of per token
    /// (0 when the table is tied to the output head, which reads all of it).
    public var embeddingParameters: Double
    /// Bytes a request carries over the network to the instance (an image, a prompt).
    public var inputBytes: Double
    /// Bytes of the answer (masks, boxes, or per generated token for LLMs).
    public var outputBytes: Double
    public var source: String

    public init(
        name: String, kind: ModelKind, precision: Precision, parameters: Double, bytesPerWeight: Double,
        gflopsPerItem: Double = 0, activationMibPerItem: Double = 0, kernels: Int, layers: Int = 0,
        hiddenSize: Int = 0, kvBytesPerToken: Double = 0, embeddingParameters: Double = 0, inputBytes: Double, outputBytes: Double,
        source: String
    ) {
        self.name = name
        self.kind = kind
        self.precision = precision
        self.parameters = parameters
        self.bytesPerWeight = bytesPerWeight
        self.gflopsPerItem = gflopsPerItem
        self.activationMibPerItem = activationMibPerItem
        self.kernels = kernels
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.kvBytesPerToken = kvBytesPerToken
        self.embeddingParameters = embeddingParameters
        self.inputBytes = inputBytes
        self.outputBytes = outputBytes
        self.source = source
    }

    public var weightsGib: Double { parameters * bytesPerWeight / 1_073_741_824 }
}

/// Measured latencies of a model on a device type; they override the analytic estimate.
public struct Profile: Codable, Hashable, Sendable {
    public struct Point: Codable, Hashable, Sendable {
        public var batch: Int
        public var latencyMs: Double
        public init(batch: Int, latencyMs: Double) {
            self.batch = batch
            self.latencyMs = latencyMs
        }
    }

    public var model: String
    public var device: String
    /// Vision: latency of one batch. LLM: time of one decode step at that batch size.
    public var points: [Point]
    /// LLM only: prefill time per prompt token, when measured.
    public var prefillMsPerToken: Double?
    /// LLM only: the most sequences the measured server runs at once (llama.cpp's `--parallel`,
    /// vLLM's `--max-num-seqs`): the planner gives an instance on this device no larger batch.
    public var maxSequences: Int?
    public var source: String

    public init(
        model: String, device: String, points: [Point], prefillMsPerToken: Double? = nil, maxSequences: Int? = nil, source: String
    ) {
        self.model = model
        self.device = device
        self.points = points.sorted { $0.batch < $1.batch }
        self.prefillMsPerToken = prefillMsPerToken
        self.maxSequences = maxSequences
        self.source = source
    }
}

public struct Catalog: Codable, Hashable, Sendable {
    public var devices: [DeviceType]
    public var models: [ModelSpec]
    public var profiles: [Profile]

    public init(devices: [DeviceType] = [], models: [ModelSpec] = [], profiles: [Profile] = []) {
        self.devices = devices
        self.models = models
        self.profiles = profiles
    }

    public func device(_ name: String) -> DeviceType? { devices.first { $0.name == name } }
    public func model(_ name: String) -> ModelSpec? { models.first { $0.name == name } }
    public func profile(model: String, device: String) -> Profile? {
        profiles.first { $0.model == model && $0.device == device }
    }

    /// `overlay` wins for entries of the same name (a user's catalog over the built-in one).
    public func merged(with overlay: Catalog) -> Catalog {
        func merge<T>(_ base: [T], _ top: [T], key: (T) -> String) -> [T] {
            var result = base.filter { item in !top.contains { key($0) == key(item) } }
            result.append(contentsOf: top)
            return result.sorted { key($0) < key($1) }
        }
        return Catalog(
            devices: merge(devices, overlay.devices) { $0.name },
            models: merge(models, overlay.models) { $0.name },
            profiles: merge(profiles, overlay.profiles) { "\($0.model)@\($0.device)" }
        )
    }

    /// Only the entries that `names` refer to, so that an output carries what it needs and no more.
    public func restricted(devices deviceNames: Set<String>, models modelNames: Set<String>) -> Catalog {
        Catalog(
            devices: devices.filter { deviceNames.contains($0.name) },
            models: models.filter { modelNames.contains($0.name) },
            profiles: profiles.filter { deviceNames.contains($0.device) && modelNames.contains($0.model) }
        )
    }
}

/// Bandwidth and latency of a network path.
public struct Link: Codable, Hashable, Sendable {
    public var bandwidthMbps: Double
    public var latencyMs: Double

    public init(bandwidthMbps: Double, latencyMs: Double) {
        self.bandwidthMbps = bandwidthMbps
        self.latencyMs = latencyMs
    }

    /// Time to move `bytes` over this link, one way.
    public func transferMs(bytes: Double) -> Double {
        latencyMs + bytes * 8 / (bandwidthMbps * 1000)
    }
}

public struct DeviceGroup: Codable, Hashable, Sendable {
    public var type: String
    public var count: Int

    public init(type: String, count: Int) {
        self.type = type
        self.count = count
    }
}

public struct ClusterNode: Codable, Hashable, Sendable {
    public var name: String
    public var site: String
    public var devices: [DeviceGroup]
    /// Between devices inside this node (PCIe or NVLink).
    public var interconnect: Link
    /// URL of the node's live gateway, for the other gateways (`serve --engine live --node`).
    public var address: String?

    public init(name: String, site: String, devices: [DeviceGroup], interconnect: Link = Network.pcie4) {
        self.name = name
        self.site = site
        self.devices = devices
        self.interconnect = interconnect
    }
}

public struct SiteLink: Codable, Hashable, Sendable {
    public var sites: [String]
    public var bandwidthMbps: Double
    public var latencyMs: Double

    public init(sites: [String], bandwidthMbps: Double, latencyMs: Double) {
        self.sites = sites
        self.bandwidthMbps = bandwidthMbps
        self.latencyMs = latencyMs
    }

    public var link: Link { Link(bandwidthMbps: bandwidthMbps, latencyMs: latencyMs) }
}

public struct Network: Codable, Hashable, Sendable {
    /// Between any two nodes that no site link describes.
    public var `default`: Link
    public var links: [SiteLink] {
        didSet { linkIndex = Self.index(links) }
    }
    /// Link by site pair: planning asks for links in its inner loops, and a cluster of many
    /// sites has links quadratic in their number.
    private var linkIndex: [String: Int]

    /// PCIe 4.0 x16: 32 GB/s per direction (PCI-SIG), about 10 µs per transfer.
    public static let pcie4 = Link(bandwidthMbps: 256_000, latencyMs: 0.01)
    /// When a Cluster names no network: switched gigabit Ethernet, 0.5 ms.
    public static let gigabitLAN = Link(bandwidthMbps: 1000, latencyMs: 0.5)

    public init(default: Link = Network.gigabitLAN, links: [SiteLink] = []) {
        self.default = `default`
        self.links = links
        linkIndex = Self.index(links)
    }

    enum CodingKeys: String, CodingKey { case `default`, links }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(default: try container.decode(Link.self, forKey: .default), links: try container.decode([SiteLink].self, forKey: .links))
    }

    static func key(_ a: String, _ b: String) -> String { a < b ? "\(a)\u{0}\(b)" : "\(b)\u{0}\(a)" }

    static func index(_ links: [SiteLink]) -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, link) in links.enumerated() where link.sites.count == 2 {
            index[key(link.sites[0], link.sites[1])] = index[key(link.sites[0], link.sites[1])] ?? i
        }
        return index
    }

    /// The link between two sites (order does not matter).
    public func link(_ a: String, _ b: String) -> Link {
        linkIndex[Self.key(a, b)].map { links[$0].link } ?? `default`
    }
}

public struct Cluster: Codable, Hashable, Sendable {
    public var name: String
    public var nodes: [ClusterNode] {
        didSet { nodeIndex = Self.index(nodes) }
    }
    public var network: Network
    /// Position of each node by name: planning looks nodes up in its inner loops.
    private var nodeIndex: [String: Int]

    public init(name: String, nodes: [ClusterNode], network: Network) {
        self.name = name
        self.nodes = nodes
        self.network = network
        nodeIndex = Self.index(nodes)
    }

    enum CodingKeys: String, CodingKey { case name, nodes, network }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name), nodes: try container.decode([ClusterNode].self, forKey: .nodes),
            network: try container.decode(Network.self, forKey: .network))
    }

    static func index(_ nodes: [ClusterNode]) -> [String: Int] {
        Dictionary(nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var sites: [String] { Array(Set(nodes.map(\.site))).sorted() }

    public func node(_ name: String) -> ClusterNode? { nodeIndex[name].map { nodes[$0] } }

    /// The path between two nodes: their interconnect when they are the same node.
    public func link(from a: ClusterNode, to b: ClusterNode) -> Link {
        a.name == b.name ? a.interconnect : network.link(a.site, b.site)
    }
}

public struct SLO: Codable, Hashable, Sendable {
    /// End-to-end deadline of one request or frame.
    public var latencyMs: Double?
    /// LLM: time to first token.
    public var ttftMs: Double?
    /// LLM: time per output token after the first.
    public var tpotMs: Double?

    public init(latencyMs: Double? = nil, ttftMs: Double? = nil, tpotMs: Double? = nil) {
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.tpotMs = tpotMs
    }
}

public struct Demand: Codable, Hashable, Sendable {
    public var ratePerS: Double
    public var inputTokens: Double?
    public var outputTokens: Double?
    /// Coefficient of variation of the gaps between requests: 1 for Poisson arrivals, above 1
    /// for bursty ones (AlpaServe's and EPARA's traces: 2 to 8). Nil: not known (Poisson assumed).
    public var cv: Double?

    public init(ratePerS: Double, inputTokens: Double? = nil, outputTokens: Double? = nil, cv: Double? = nil) {
        self.ratePerS = ratePerS
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cv = cv
    }
}

public struct StreamDemand: Codable, Hashable, Sendable {
    public var streams: Int
    public var fps: Double

    public init(streams: Int, fps: Double) {
        self.streams = streams
        self.fps = fps
    }
}

public struct DeclaredCategory: Codable, Hashable, Sendable {
    public var request: RequestCategory?
    public var resource: ResourceCategory?

    public init(request: RequestCategory? = nil, resource: ResourceCategory? = nil) {
        self.request = request
        self.resource = resource
    }
}

public enum BackendKind: String, Codable, Hashable, Sendable, CaseIterable {
    case openai
    case kserveV2 = "kserve-v2"
    case emulated
}

public struct Backend: Codable, Hashable, Sendable {
    public var type: BackendKind
    public var url: String?
    /// Name of the model at the backend, when it differs from the service's.
    public var model: String?
}

public struct Service: Codable, Hashable, Sendable {
    public var name: String
    public var model: String
    public var slo: SLO
    public var demand: Demand?
    public var stream: StreamDemand?
    /// Sites or nodes where requests arrive; empty means every node.
    public var origin: [String]
    public var priority: Double
    public var category: DeclaredCategory?
    public var backend: Backend?

    public init(
        name: String, model: String, slo: SLO, demand: Demand? = nil, stream: StreamDemand? = nil,
        origin: [String] = [], priority: Double = 1, category: DeclaredCategory? = nil, backend: Backend? = nil
    ) {
        self.name = name
        self.model = model
        self.slo = slo
        self.demand = demand
        self.stream = stream
        self.origin = origin
        self.priority = priority
        self.category = category
        self.backend = backend
    }

    /// Requests (or frames) per second the service must take.
    public var offeredRate: Double {
        if let stream { return Double(stream.streams) * stream.fps }
        return demand?.ratePerS ?? 0
    }
}

/// Everything the classify stage reads: the cluster, its services, and the catalog that sizes them.
public struct Workload: Codable, Hashable, Sendable {
    public var cluster: Cluster
    public var services: [Service]
    public var catalog: Catalog

    public init(cluster: Cluster, services: [Service], catalog: Catalog) {
        self.cluster = cluster
        self.services = services
        self.catalog = catalog
    }
}
