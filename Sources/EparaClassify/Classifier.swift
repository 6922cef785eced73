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
}

public struct ClassifiedService: Codable, Hashable, Sendable {
    public var name: String
    public var spec: Service
    public var modelKind: ModelKind
    public var category: Category
    public var evidence: Evidence
    public var servable: Bool
    public var unservableReason: String?
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

    public init(inputDigest: String, thresholds: Thresholds, cluster: Cluster, catalog: Catalog, services: [ClassifiedService],
                summary: [String: Int]) {
        self.inputDigest = inputDigest
        self.thresholds = thresholds
        self.cluster = cluster
        self.catalog = catalog
        self.services = services
        self.summary = summary
    }
}

public enum Classifier {
    /// Classifies every service of `workload`. Pure: the same workload and thresholds give the same value.
    public static func classify(_ workload: Workload, thresholds: Thresholds = Thresholds()) -> ClassifiedWorkload {
        let usedDevices = Set(workload.cluster.nodes.flatMap { $0.devices.map(\.type) })
        let usedModels = Set(workload.services.map(\.model))
        let catalog = workload.catalog.restricted(devices: usedDevices, models: usedModels)
        let model = LatencyModel(catalog: catalog)
        let services = workload.services.map { classify($0, cluster: workload.cluster, latency: model, thresholds: thresholds) }
        var summary: [String: Int] = [:]
        for label in ["latency/single-gpu", "latency/multi-gpu", "frequency/single-gpu", "frequency/multi-gpu", "unservable"] {
            summary[label] = services.filter { $0.servable ? $0.category.label == label : label == "unservable" }.count
        }
        let input = Workload(cluster: workload.cluster, services: workload.services, catalog: catalog)
        return ClassifiedWorkload(inputDigest: JSONOutput.digest(input), thresholds: thresholds, cluster: workload.cluster,
                                  catalog: catalog, services: services, summary: summary)
    }

    static func classify(_ service: Service, cluster: Cluster, latency: LatencyModel, thresholds: Thresholds) -> ClassifiedService {
        guard let spec = latency.catalog.model(service.model) else {
            preconditionFailure("DocumentReader guarantees every service's model is in the catalog")
        }
        let probe = ServiceProbe(service: service, model: spec, cluster: cluster, latency: latency, thresholds: thresholds)
        var evidence = probe.evidence()

        let requestRule: RequestCategory
        var reasons: [String] = []
        if let stream = service.stream, stream.fps >= thresholds.minStreamFps {
            requestRule = .frequency
            reasons.append("\(stream.streams) stream(s) at \(format(stream.fps)) fps: the objective is a sustained frame rate")
        } else if let stream = service.stream {
            requestRule = .latency
            reasons.append("streams at \(format(stream.fps)) fps (below \(format(thresholds.minStreamFps))) are handled frame by frame")
        } else {
            requestRule = .latency
            reasons.append("independent requests, each with its own deadline")
        }

        let singleOK = probe.singleDeviceMeetsSLO(evidence)
        var resourceRule: ResourceCategory? = nil
        var unservable: String? = nil
        if singleOK {
            resourceRule = .singleGPU
            evidence.minModelParallelDegree = 1
            reasons.append("one \(evidence.bestDevice ?? "device") holds it and meets the SLO with slack \(format(evidence.slackRatio ?? 0))")
        } else if let group = probe.smallestModelParallelGroup() {
            resourceRule = .multiGPU
            evidence.minModelParallelDegree = group.group.deviceCount
            evidence.modelParallelGroup = group.group
            evidence.modelParallelLatencyMs = group.timing.latencyMs.rounded(places: 3)
            evidence.modelParallelTpotMs = spec.kind == .llm ? group.timing.tpotMs.rounded(places: 3) : nil
            reasons.append(probe.whyNotSingle(evidence) + "; \(group.group.deviceCount) devices in model parallel do")
        } else {
            unservable = probe.whyNotSingle(evidence) + "; no model-parallel group of the cluster's devices does either"
            reasons.append(unservable!)
        }

        let declared = service.category
        let request = declared?.request ?? requestRule
        let resource = declared?.resource ?? resourceRule
        let isDeclared = declared?.request != nil || declared?.resource != nil
        if isDeclared { reasons.insert("declared in the Services document", at: 0) }
        let requestWord = request == .latency ? "latency" : "frequency"
        let label = "\(requestWord)/\((resource ?? .multiGPU).rawValue)"
        return ClassifiedService(
            name: service.name, spec: service, modelKind: spec.kind,
            category: Category(request: request, resource: resource, label: label, declared: isDeclared,
                               reason: reasons.joined(separator: "; ")),
            evidence: evidence, servable: unservable == nil, unservableReason: unservable)
    }

    public static func format(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x)
    }
}
