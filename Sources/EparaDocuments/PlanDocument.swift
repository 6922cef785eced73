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

    public init(
        id: String, service: String, devices: [DeviceRef], stages: [ParallelGroup.Stage], batch: Int, framesPacked: Int,
        share: Double, capacityPerS: Double, latencyMs: Double, tpotMs: Double? = nil, memoryGibPerDevice: [Double],
        modes: [String]
    ) {
        self.id = id
        self.service = service
        self.devices = devices
        self.stages = stages
        self.batch = batch
        self.framesPacked = framesPacked
        self.share = share
        self.capacityPerS = capacityPerS
        self.latencyMs = latencyMs
        self.tpotMs = tpotMs
        self.memoryGibPerDevice = memoryGibPerDevice
        self.modes = modes
    }
}

public struct RouteTarget: Codable, Hashable, Sendable {
    public var instance: String
    public var weight: Double
    /// Network time to reach it from the origin and back.
    public var networkMs: Double

    public init(instance: String, weight: Double, networkMs: Double) {
        self.instance = instance
        self.weight = weight
        self.networkMs = networkMs
    }
}

/// Where requests of one service arriving at one node go.
public struct Route: Codable, Hashable, Sendable {
    public var service: String
    public var origin: String
    public var demandPerS: Double
    public var targets: [RouteTarget]

    public init(service: String, origin: String, demandPerS: Double, targets: [RouteTarget]) {
        self.service = service
        self.origin = origin
        self.demandPerS = demandPerS
        self.targets = targets
    }
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

    public init(
        service: String, category: String, modes: [String], demandPerS: Double, supplyPerS: Double, instances: [String],
        replicas: Int, minReplicasPerStream: Int? = nil, predictedGoodputPerS: Double, predictedAttainment: Double
    ) {
        self.service = service
        self.category = category
        self.modes = modes
        self.demandPerS = demandPerS
        self.supplyPerS = supplyPerS
        self.instances = instances
        self.replicas = replicas
        self.minReplicasPerStream = minReplicasPerStream
        self.predictedGoodputPerS = predictedGoodputPerS
        self.predictedAttainment = predictedAttainment
    }
}

public struct DeviceUse: Codable, Hashable, Sendable {
    public var device: DeviceRef
    public var memoryGib: Double
    public var memoryUsedGib: Double
    public var shareUsed: Double
    public var instances: [String]

    public init(device: DeviceRef, memoryGib: Double, memoryUsedGib: Double, shareUsed: Double, instances: [String]) {
        self.device = device
        self.memoryGib = memoryGib
        self.memoryUsedGib = memoryUsedGib
        self.shareUsed = shareUsed
        self.instances = instances
    }
}

public struct PlanSettings: Codable, Hashable, Sendable {
    public var memoryHeadroom: Double
    public var maxBatch: Int
    public var allowPartial: Bool
    public var windowS: Double
    public var hysteresis: Double
    public var provision: Double
    /// Plans the simulation-in-the-loop search may simulate (0: none); replanning searches
    /// within it too.
    public var searchBudget: Int?

    public init(
        memoryHeadroom: Double, maxBatch: Int, allowPartial: Bool, windowS: Double, hysteresis: Double, provision: Double,
        searchBudget: Int? = nil
    ) {
        self.searchBudget = searchBudget
        self.memoryHeadroom = memoryHeadroom
        self.maxBatch = maxBatch
        self.allowPartial = allowPartial
        self.windowS = windowS
        self.hysteresis = hysteresis
        self.provision = provision
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
    /// The placement policy it was made with; nil only for `Plan.unplaced` (never written), and
    /// required in a document read.
    public var policy: Policy?
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

    /// The policy's name, as runs, logs and tables show it ("none" when nothing is placed).
    public var policyName: String { policy?.rawValue ?? "none" }

    /// What decides whether two plans differ for deployment: placement and routing.
    public var deployment: [String] {
        instances.map(\.id)
            + routing.flatMap { route in
                route.targets.map { "\(route.service)@\(route.origin)→\($0.instance):\(($0.weight * 1000).rounded())" }
            }
    }

    public init(
        apiVersion: String = DocumentReader.apiVersion, kind: String = "Plan", inputDigest: String, workloadDigest: String,
        policy: Policy?, cluster: Cluster, catalog: Catalog, services: [ClassifiedService], allocations: [Allocation],
        instances: [Instance], routing: [Route], devices: [DeviceUse], predicted: Prediction, solver: SolverStats,
        shortfalls: [Shortfall], moves: [Move], state: StateSummary? = nil, settings: PlanSettings? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.inputDigest = inputDigest
        self.workloadDigest = workloadDigest
        self.policy = policy
        self.cluster = cluster
        self.catalog = catalog
        self.services = services
        self.allocations = allocations
        self.instances = instances
        self.routing = routing
        self.devices = devices
        self.predicted = predicted
        self.solver = solver
        self.shortfalls = shortfalls
        self.moves = moves
        self.state = state
        self.settings = settings
    }
}

extension Plan {
    /// The workload with nothing placed: its services, nodes and sites by name, which is all a
    /// trace reader resolves against (`plan --trace` measures a trace before there is a plan).
    public static func unplaced(_ workload: ClassifiedWorkload) -> Plan {
        Plan(
            inputDigest: workload.inputDigest, workloadDigest: workload.inputDigest, policy: nil, cluster: workload.cluster,
            catalog: workload.catalog, services: workload.services, allocations: [], instances: [], routing: [], devices: [],
            predicted: Prediction(goodputPerS: 0, demandPerS: 0, attainment: 0, upperBoundGoodputPerS: 0, fractionOfUpperBound: 0),
            solver: SolverStats(policy: "none", candidates: 0, objectiveEvaluations: 0, lazy: false, objective: 0, stages: []),
            shortfalls: [], moves: [])
    }
}

extension Plan {
    /// A Plan document (JSON or YAML), refused with a located error; one of another kind names
    /// the stage that makes a Plan.
    public static func read(_ source: SourceText) throws(InputError) -> Plan {
        try StageDocument<Plan>.read(source, kind: "Plan", producedBy: "epara plan").value
    }
}
