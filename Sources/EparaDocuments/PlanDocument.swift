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

public struct Prediction: Codable, Hashable, Sendable {
    public var goodputPerS: Double
    public var demandPerS: Double
    public var attainment: Double
    public var upperBoundGoodputPerS: Double
    public var fractionOfUpperBound: Double
    /// What serving the plan in the simulator measured, when the planner simulated it (the
    /// search in the loop); goodput and attainment above are then its means over the seeds.
    public var simulated: SimulatedPrediction?

    public init(
        goodputPerS: Double, demandPerS: Double, attainment: Double, upperBoundGoodputPerS: Double, fractionOfUpperBound: Double,
        simulated: SimulatedPrediction? = nil
    ) {
        self.goodputPerS = goodputPerS
        self.demandPerS = demandPerS
        self.attainment = attainment
        self.upperBoundGoodputPerS = upperBoundGoodputPerS
        self.fractionOfUpperBound = fractionOfUpperBound
        self.simulated = simulated
    }
}

/// The plan served in the embedded simulator on the demand it was made for, once per seed.
public struct SimulatedPrediction: Codable, Hashable, Sendable {
    /// Simulated seconds per seed.
    public var horizonS: Double
    public var seeds: [UInt64]
    /// Requests within their SLO over requests arrived, per seed.
    public var attainmentBySeed: [Double]
    public var goodputPerSBySeed: [Double]
    /// `generated` (each service's rate and CV) or the trace files' names.
    public var arrivals: String

    public init(horizonS: Double, seeds: [UInt64], attainmentBySeed: [Double], goodputPerSBySeed: [Double], arrivals: String) {
        self.horizonS = horizonS
        self.seeds = seeds
        self.attainmentBySeed = attainmentBySeed
        self.goodputPerSBySeed = goodputPerSBySeed
        self.arrivals = arrivals
    }
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
    /// What the simulation-in-the-loop search did, when it ran.
    public var search: SearchSummary?

    public struct StageStats: Codable, Hashable, Sendable {
        public var name: String
        public var placed: Int
        public var objective: Double

        public init(name: String, placed: Int, objective: Double) {
            self.name = name
            self.placed = placed
            self.objective = objective
        }
    }

    public init(
        policy: String, candidates: Int, objectiveEvaluations: Int, lazy: Bool, objective: Double, stages: [StageStats],
        timeMs: Double? = nil, without: [String]? = nil, search: SearchSummary? = nil
    ) {
        self.search = search
        self.policy = policy
        self.candidates = candidates
        self.objectiveEvaluations = objectiveEvaluations
        self.lazy = lazy
        self.objective = objective
        self.stages = stages
        self.timeMs = timeMs
        self.without = without
    }
}

/// The local search that serves candidate plans in the simulator and keeps what serves more.
public struct SearchSummary: Codable, Hashable, Sendable {
    /// Plans simulated, the portfolio's included (the portfolio is always simulated, whatever
    /// the budget: at most five plans).
    public var evaluations: Int
    /// The most it was allowed (`--search-budget`; 0: no limit on plans, only on time), and the
    /// wall-time limit when one was given.
    public var budgetEvaluations: Int
    public var budgetS: Double?
    /// Where the search started: the best of the portfolio on the simulation.
    public var start: String
    /// Each plan of the portfolio with its simulated goodput within SLO (requests a second).
    public var portfolio: [PortfolioEntry]
    /// Moves kept, in order (`add chat@n1/gpu0`, `batch 8 chat@n1/gpu0`, …).
    public var kept: [String]
    /// Simulated goodput within SLO of the start and of the result, requests a second.
    public var startGoodputPerS: Double
    public var goodputPerS: Double

    public struct PortfolioEntry: Codable, Hashable, Sendable {
        public var name: String
        public var goodputPerS: Double

        public init(name: String, goodputPerS: Double) {
            self.name = name
            self.goodputPerS = goodputPerS
        }
    }

    public init(
        evaluations: Int, budgetEvaluations: Int, budgetS: Double?, start: String, portfolio: [PortfolioEntry], kept: [String],
        startGoodputPerS: Double, goodputPerS: Double
    ) {
        self.evaluations = evaluations
        self.budgetEvaluations = budgetEvaluations
        self.budgetS = budgetS
        self.start = start
        self.portfolio = portfolio
        self.kept = kept
        self.startGoodputPerS = startGoodputPerS
        self.goodputPerS = goodputPerS
    }
}

public struct Move: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable { case add, remove }
    public var kind: Kind
    public var service: String
    public var instance: String

    public init(kind: Kind, service: String, instance: String) {
        self.kind = kind
        self.service = service
        self.instance = instance
    }
}

public struct Shortfall: Codable, Hashable, Sendable {
    public var service: String
    public var demandPerS: Double
    public var supplyPerS: Double
    public var reason: String

    public init(service: String, demandPerS: Double, supplyPerS: Double, reason: String) {
        self.service = service
        self.demandPerS = demandPerS
        self.supplyPerS = supplyPerS
        self.reason = reason
    }
}

public struct StateSummary: Codable, Hashable, Sendable {
    public var runId: String?
    public var windowsRead: Int
    public var nodesDown: [String]
    public var observedDemandPerS: [String: Double]
    /// Burstiness the store recorded per service (coefficient of variation of arrival gaps).
    public var observedCv: [String: Double]? = nil
    /// Where the observation came from besides state stores (`prometheus URL over WINDOW`).
    public var source: String? = nil

    public init(
        runId: String? = nil, windowsRead: Int, nodesDown: [String], observedDemandPerS: [String: Double],
        observedCv: [String: Double]? = nil, source: String? = nil
    ) {
        self.source = source
        self.runId = runId
        self.windowsRead = windowsRead
        self.nodesDown = nodesDown
        self.observedDemandPerS = observedDemandPerS
        self.observedCv = observedCv
    }
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

    /// What decides whether two plans differ for deployment: placement and routing.
    public var deployment: [String] {
        instances.map(\.id)
            + routing.flatMap { route in
                route.targets.map { "\(route.service)@\(route.origin)→\($0.instance):\(($0.weight * 1000).rounded())" }
            }
    }

    public init(
        apiVersion: String = DocumentReader.apiVersion, kind: String = "Plan", inputDigest: String, workloadDigest: String,
        policy: String, cluster: Cluster, catalog: Catalog, services: [ClassifiedService], allocations: [Allocation],
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
            inputDigest: workload.inputDigest, workloadDigest: workload.inputDigest, policy: "none", cluster: workload.cluster,
            catalog: workload.catalog, services: workload.services, allocations: [], instances: [], routing: [], devices: [],
            predicted: Prediction(goodputPerS: 0, demandPerS: 0, attainment: 0, upperBoundGoodputPerS: 0, fractionOfUpperBound: 0),
            solver: SolverStats(policy: "none", candidates: 0, objectiveEvaluations: 0, lazy: false, objective: 0, stages: []),
            shortfalls: [], moves: [])
    }
}
