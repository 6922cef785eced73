import EparaClassify
import EparaCore

/// One device of the cluster: a slot instances are placed on.
public struct DeviceRef: Codable, Hashable, Sendable, Comparable {
    public var node: String
    public var device: String
    /// Which of the node's devices of this type (0-based).
    public var index: Int

    public init(node: String, device: String, index: Int) {
        self.node = node
        self.device = device
        self.index = index
    }

    public var id: String { "\(node)/\(device)#\(index)" }

    public static func < (a: DeviceRef, b: DeviceRef) -> Bool { (a.node, a.device, a.index) < (b.node, b.device, b.index) }
}

/// A placed instance of a service: one device (possibly shared) or a model-parallel group.
public struct Instance: Codable, Hashable, Sendable {
    public var id: String
    public var service: String
    public var devices: [DeviceRef]
    /// Model-parallel stages (empty for single-device instances).
    public var stages: [ParallelGroup.Stage]
    /// Requests (or frames) per batch; for LLMs, sequences decoded together.
    public var batch: Int
    /// MF: frames of one stream packed into a batch (1 when not packing).
    public var framesPacked: Int
    /// MT: fraction of each device's time this instance gets.
    public var share: Double
    /// Requests or frames per second it completes within the SLO.
    public var capacityPerS: Double
    /// Processing latency of a request (LLM: time to first token), without network.
    public var latencyMs: Double
    public var tpotMs: Double?
    public var memoryGibPerDevice: [Double]
    public var modes: [String]
}

public struct RouteTarget: Codable, Hashable, Sendable {
    public var instance: String
    public var weight: Double
    /// Network time to reach it from the origin and back.
    public var networkMs: Double
}

/// Where requests of one service arriving at one node go.
public struct Route: Codable, Hashable, Sendable {
    public var service: String
    public var origin: String
    public var demandPerS: Double
    public var targets: [RouteTarget]
}

public struct Allocation: Codable, Hashable, Sendable {
    public var service: String
    public var category: String
    public var modes: [String]
    public var demandPerS: Double
    public var supplyPerS: Double
    public var instances: [String]
    /// DP: instances serving the service.
    public var replicas: Int
    /// Streams: devices one stream needs at least, ceil(fps / best single-device fps).
    public var minReplicasPerStream: Int?
    public var predictedGoodputPerS: Double
    public var predictedAttainment: Double
}

public struct DeviceUse: Codable, Hashable, Sendable {
    public var device: DeviceRef
    public var memoryGib: Double
    public var memoryUsedGib: Double
    public var shareUsed: Double
    public var instances: [String]
}

public struct Prediction: Codable, Hashable, Sendable {
    public var goodputPerS: Double
    public var demandPerS: Double
    public var attainment: Double
    public var upperBoundGoodputPerS: Double
    public var fractionOfUpperBound: Double
}

public struct SolverStats: Codable, Hashable, Sendable {
    public var policy: String
    public var candidates: Int
    public var objectiveEvaluations: Int
    public var lazy: Bool
    public var objective: Double
    public var stages: [StageStats]
    /// Wall time, only with --timing (it would make plans differ run to run).
    public var timeMs: Double?
    /// Parts of EPARA turned off (ablations), when any.
    public var without: [String]?

    public struct StageStats: Codable, Hashable, Sendable {
        public var name: String
        public var placed: Int
        public var objective: Double
    }
}

public struct Move: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable { case add, remove }
    public var kind: Kind
    public var service: String
    public var instance: String
}

public struct Shortfall: Codable, Hashable, Sendable {
    public var service: String
    public var demandPerS: Double
    public var supplyPerS: Double
    public var reason: String
}

public struct StateSummary: Codable, Hashable, Sendable {
    public var runId: String?
    public var windowsRead: Int
    public var nodesDown: [String]
    public var observedDemandPerS: [String: Double]
    /// Burstiness the store recorded per service (coefficient of variation of arrival gaps).
    public var observedCv: [String: Double]? = nil
}

/// The options a plan was made with, so that replanning from it (in-run, or `plan --previous`)
/// plans the same way instead of with the defaults.
public struct PlanSettings: Codable, Hashable, Sendable {
    public var memoryHeadroom: Double
    public var maxBatch: Int
    public var allowPartial: Bool
    public var windowS: Double
    public var hysteresis: Double
    public var provision: Double

    public init(_ options: PlanOptions) {
        memoryHeadroom = options.memoryHeadroom
        maxBatch = options.maxBatch
        allowPartial = options.allowPartial
        windowS = options.windowS
        hysteresis = options.hysteresis
        provision = options.provision
    }

    /// Options for planning again as this plan was planned (policy and ablations from the plan).
    public func options(policy: Policy, without: Set<Ablation>) -> PlanOptions {
        var options = PlanOptions(policy: policy, allowPartial: allowPartial, memoryHeadroom: memoryHeadroom, maxBatch: maxBatch,
                                  windowS: windowS, hysteresis: hysteresis)
        options.provision = provision
        options.without = without
        return options
    }
}

/// The plan stage's output: self-contained (it carries the workload `serve` needs), deterministic.
public struct Plan: Codable, Hashable, Sendable {
    public var apiVersion = DocumentReader.apiVersion
    public var kind = "Plan"
    /// Digest of everything that decided the plan (workload, policy, options, observed state).
    public var inputDigest: String
    /// Digest of the ClassifiedWorkload it was made for: equal for every policy's plan of one
    /// workload, which is what `report` checks before comparing runs.
    public var workloadDigest: String
    public var policy: String
    public var cluster: Cluster
    public var catalog: Catalog
    public var services: [ClassifiedService]
    public var allocations: [Allocation]
    public var instances: [Instance]
    public var routing: [Route]
    public var devices: [DeviceUse]
    public var predicted: Prediction
    public var solver: SolverStats
    public var shortfalls: [Shortfall]
    public var moves: [Move]
    public var state: StateSummary?
    /// What it was planned with (absent in plans written before epara recorded it).
    public var settings: PlanSettings?

    /// The options to plan again with: this plan's own, its policy and ablations.
    public var replanOptions: PlanOptions {
        let policy = Policy(rawValue: self.policy) ?? .epara
        let without = Set((solver.without ?? []).compactMap(Ablation.init(rawValue:)))
        var options = settings?.options(policy: policy, without: without) ?? PlanOptions(policy: policy, allowPartial: true)
        options.without = without
        return options
    }

    /// What decides whether two plans differ for deployment: placement and routing.
    public var deployment: [String] {
        instances.map(\.id) + routing.flatMap { route in
            route.targets.map { "\(route.service)@\(route.origin)→\($0.instance):\(($0.weight * 1000).rounded())" }
        }
    }
}

extension Plan {
    /// The workload with nothing placed: its services, nodes and sites by name, which is all a
    /// trace reader resolves against (`plan --trace` measures a trace before there is a plan).
    public static func unplaced(_ workload: ClassifiedWorkload) -> Plan {
        Plan(inputDigest: workload.inputDigest, workloadDigest: workload.inputDigest, policy: "none", cluster: workload.cluster,
             catalog: workload.catalog, services: workload.services, allocations: [], instances: [], routing: [], devices: [],
             predicted: Prediction(goodputPerS: 0, demandPerS: 0, attainment: 0, upperBoundGoodputPerS: 0, fractionOfUpperBound: 0),
             solver: SolverStats(policy: "none", candidates: 0, objectiveEvaluations: 0, lazy: false, objective: 0, stages: []),
             shortfalls: [], moves: [])
    }
}
