// The Services document: each service's model, SLO, demand, origins and backend.

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
