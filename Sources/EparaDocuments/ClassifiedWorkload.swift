import EparaCore
import Foundation

/// Where the classification rules draw their lines. Defaults are documented in docs/classify.md.
public struct Thresholds: Codable, Hashable, Sendable {
    /// A single device "meets" an SLO when SLO / latency is at least this (room for queueing and network).
    public var minSlack: Double
    /// A model "fits" a device when it needs at most this fraction of the device's memory.
    public var memoryHeadroom: Double
    /// Streams slower than this are treated request by request (latency-sensitive).
    public var minStreamFps: Double
    /// Largest batch the capacity estimate tries.
    public var maxBatch: Int

    public init(minSlack: Double = 1.2, memoryHeadroom: Double = 0.9, minStreamFps: Double = 1, maxBatch: Int = 64) {
        self.minSlack = minSlack
        self.memoryHeadroom = memoryHeadroom
        self.minStreamFps = minStreamFps
        self.maxBatch = maxBatch
    }
}

/// The facts that decided a service's category, written out so a person can check the call.
public struct Evidence: Codable, Hashable, Sendable {
    /// The device type in the cluster that serves one request fastest while holding the model.
    public var bestDevice: String?
    /// Latency of one request alone on the best device (vision: one item; LLM: time to first token).
    public var singleDeviceLatencyMs: Double?
    /// LLM only: time per output token alone on the best device.
    public var singleDeviceTpotMs: Double?
    /// SLO / latency on the best device (for LLMs the tighter of TTFT and TPOT); below 1 misses the SLO.
    public var slackRatio: Double?
    /// Requests per second one best device sustains within the SLO, at its best batch size.
    public var deviceCapacityPerS: Double?
    public var bestBatch: Int?
    /// Offered load over one best device's capacity: how many such devices the demand fills.
    public var loadDeviceEquivalents: Double?
    public var modelMemoryGib: Double
    public var largestDeviceMemoryGib: Double
    public var largestDevice: String
    /// Model memory over the largest device's memory.
    public var memoryRatio: Double
    /// Fewest devices that together hold the model and meet the SLO (1 when one device does).
    public var minModelParallelDegree: Int?
    /// The smallest group found, when model parallelism is needed.
    public var modelParallelGroup: ParallelGroup?
    public var modelParallelLatencyMs: Double?
    public var modelParallelTpotMs: Double?

    public init(
        bestDevice: String? = nil, singleDeviceLatencyMs: Double? = nil, singleDeviceTpotMs: Double? = nil,
        slackRatio: Double? = nil, deviceCapacityPerS: Double? = nil, bestBatch: Int? = nil, loadDeviceEquivalents: Double? = nil,
        modelMemoryGib: Double, largestDeviceMemoryGib: Double, largestDevice: String, memoryRatio: Double,
        minModelParallelDegree: Int? = nil, modelParallelGroup: ParallelGroup? = nil, modelParallelLatencyMs: Double? = nil,
        modelParallelTpotMs: Double? = nil
    ) {
        self.bestDevice = bestDevice
        self.singleDeviceLatencyMs = singleDeviceLatencyMs
        self.singleDeviceTpotMs = singleDeviceTpotMs
        self.slackRatio = slackRatio
        self.deviceCapacityPerS = deviceCapacityPerS
        self.bestBatch = bestBatch
        self.loadDeviceEquivalents = loadDeviceEquivalents
        self.modelMemoryGib = modelMemoryGib
        self.largestDeviceMemoryGib = largestDeviceMemoryGib
        self.largestDevice = largestDevice
        self.memoryRatio = memoryRatio
        self.minModelParallelDegree = minModelParallelDegree
        self.modelParallelGroup = modelParallelGroup
        self.modelParallelLatencyMs = modelParallelLatencyMs
        self.modelParallelTpotMs = modelParallelTpotMs
    }
}

public struct Category: Codable, Hashable, Sendable {
    public var request: RequestCategory
    /// Nil when the service cannot be served by any configuration of the cluster.
    public var resource: ResourceCategory?
    /// `latency/single-gpu`-style label, one of EPARA's four categories.
    public var label: String
    /// True when the Services document declared (part of) the category, overriding the rules.
    public var declared: Bool
    /// One sentence on why.
    public var reason: String

    public init(request: RequestCategory, resource: ResourceCategory? = nil, label: String, declared: Bool, reason: String) {
        self.request = request
        self.resource = resource
        self.label = label
        self.declared = declared
        self.reason = reason
    }
}

public struct ClassifiedService: Codable, Hashable, Sendable {
    public var name: String
    public var spec: Service
    public var modelKind: ModelKind
    public var category: Category
    public var evidence: Evidence
    public var servable: Bool
    public var unservableReason: String?

    public init(
        name: String, spec: Service, modelKind: ModelKind, category: Category, evidence: Evidence, servable: Bool,
        unservableReason: String? = nil
    ) {
        self.name = name
        self.spec = spec
        self.modelKind = modelKind
        self.category = category
        self.evidence = evidence
        self.servable = servable
        self.unservableReason = unservableReason
    }
}

/// The classify stage's output: its inputs plus a category and evidence per service.
public struct ClassifiedWorkload: Codable, Hashable, Sendable {
    public var apiVersion = DocumentReader.apiVersion
    public var kind = "ClassifiedWorkload"
    public var inputDigest: String
    public var thresholds: Thresholds
    public var cluster: Cluster
    public var catalog: Catalog
    public var services: [ClassifiedService]
    public var summary: [String: Int]

    public init(
        inputDigest: String, thresholds: Thresholds, cluster: Cluster, catalog: Catalog, services: [ClassifiedService],
        summary: [String: Int]
    ) {
        self.inputDigest = inputDigest
        self.thresholds = thresholds
        self.cluster = cluster
        self.catalog = catalog
        self.services = services
        self.summary = summary
    }
}
