import EparaCore

/// Counts of how requests ended. arrivals = completed_in_slo + completed_late + dropped + failed.
public struct Counts: Codable, Hashable, Sendable {
    public var arrivals = 0
    public var completedInSlo = 0
    public var completedLate = 0
    public var dropped = 0
    public var failed = 0

    public init() {}

    public var ended: Int { completedInSlo + completedLate + dropped + failed }

    public static func + (a: Counts, b: Counts) -> Counts {
        var c = a
        c.arrivals += b.arrivals
        c.completedInSlo += b.completedInSlo
        c.completedLate += b.completedLate
        c.dropped += b.dropped
        c.failed += b.failed
        return c
    }
}

/// Percentiles of a latency distribution, milliseconds (HdrHistogram, 2 significant digits).
public struct LatencySummary: Codable, Hashable, Sendable {
    public var count: Int
    public var mean: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    public init(count: Int, mean: Double, p50: Double, p90: Double, p99: Double, p999: Double, max: Double) {
        self.count = count
        self.mean = mean
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
    }
}

/// One service's part of a run.
public struct ServiceRun: Codable, Hashable, Sendable {
    public var name: String
    public var category: String
    public var counts: Counts
    public var goodputPerS: Double
    public var throughputPerS: Double
    public var attainment: Double
    public var dropReasons: [String: Int]
    public var failReasons: [String: Int]
    /// End to end, arrival at the origin to the answer back there (an LLM's whole answer).
    public var latencyMs: LatencySummary?
    public var ttftMs: LatencySummary?
    public var tpotMs: LatencySummary?
    /// Streams: frames per second per stream completed within the SLO.
    public var deliveredFpsPerStream: Double?
    public var streams: Int?
    /// The latency histogram, as [value_ms, count] pairs of HdrHistogram's recorded buckets, so
    /// that `report` can merge runs and windows without per-request data.
    public var latencyHistogram: [[Double]]

    public init(
        name: String, category: String, counts: Counts, goodputPerS: Double, throughputPerS: Double, attainment: Double,
        dropReasons: [String: Int], failReasons: [String: Int], latencyMs: LatencySummary? = nil, ttftMs: LatencySummary? = nil,
        tpotMs: LatencySummary? = nil, deliveredFpsPerStream: Double? = nil, streams: Int? = nil, latencyHistogram: [[Double]]
    ) {
        self.name = name
        self.category = category
        self.counts = counts
        self.goodputPerS = goodputPerS
        self.throughputPerS = throughputPerS
        self.attainment = attainment
        self.dropReasons = dropReasons
        self.failReasons = failReasons
        self.latencyMs = latencyMs
        self.ttftMs = ttftMs
        self.tpotMs = tpotMs
        self.deliveredFpsPerStream = deliveredFpsPerStream
        self.streams = streams
        self.latencyHistogram = latencyHistogram
    }
}

public struct CategoryRun: Codable, Hashable, Sendable {
    public var category: String
    public var services: [String]
    public var counts: Counts
    public var goodputPerS: Double
    public var attainment: Double
    public var latencyMs: LatencySummary?

    public init(
        category: String, services: [String], counts: Counts, goodputPerS: Double, attainment: Double,
        latencyMs: LatencySummary? = nil
    ) {
        self.category = category
        self.services = services
        self.counts = counts
        self.goodputPerS = goodputPerS
        self.attainment = attainment
        self.latencyMs = latencyMs
    }
}

public struct DeviceRun: Codable, Hashable, Sendable {
    public var device: String
    /// Fraction of the run the device was busy.
    public var utilization: Double

    public init(device: String, utilization: Double) {
        self.device = device
        self.utilization = utilization
    }
}

public struct NodeRun: Codable, Hashable, Sendable {
    public var name: String
    public var site: String
    /// Requests that arrived at this node, and how they ended.
    public var counts: Counts
    /// Requests completed by instances on this node.
    public var served: Int
    /// Requests this node's handler sent to an instance on another node: on arrival (the
    /// instance it chose is elsewhere) or on a later hop (forwarded again).
    public var forwarded: Int
    public var upFraction: Double
    public var devices: [DeviceRun]

    public init(name: String, site: String, counts: Counts, served: Int, forwarded: Int, upFraction: Double, devices: [DeviceRun]) {
        self.name = name
        self.site = site
        self.counts = counts
        self.served = served
        self.forwarded = forwarded
        self.upFraction = upFraction
        self.devices = devices
    }
}

public struct WindowRun: Codable, Hashable, Sendable {
    public var startS: Double
    public var counts: Counts
    public var goodputPerS: Double
    public var services: [String: Counts]

    public init(startS: Double, counts: Counts, goodputPerS: Double, services: [String: Counts]) {
        self.startS = startS
        self.counts = counts
        self.goodputPerS = goodputPerS
        self.services = services
    }
}

public struct ReplanRecord: Codable, Hashable, Sendable {
    public var atS: Double
    public var planDigest: String
    public var added: [String]
    public var removed: [String]
    public var predictedGoodputPerS: Double

    public init(atS: Double, planDigest: String, added: [String], removed: [String], predictedGoodputPerS: Double) {
        self.atS = atS
        self.planDigest = planDigest
        self.added = added
        self.removed = removed
        self.predictedGoodputPerS = predictedGoodputPerS
    }
}

public struct FaultRecord: Codable, Hashable, Sendable {
    public var atS: Double
    public var event: String

    public init(atS: Double, event: String) {
        self.atS = atS
        self.event = event
    }
}

public struct RunSettings: Codable, Hashable, Sendable {
    public var seed: UInt64
    public var dispatch: String
    public var syncIntervalS: Double
    public var syncLoss: Double
    public var replanEveryS: Double
    public var maxOffload: Int
    public var earlyDrop: Bool
    public var windowS: Double
    public var serviceTimeCv: Double
    /// How LLM instances scheduled their iterations (`chunked`, `prefill-first`) and their token
    /// budget; absent in Runs written before the scheduler was a setting (prefill-first, 8192).
    public var llmScheduler: String?
    public var tokenBudget: Int?

    public init(
        seed: UInt64, dispatch: String, syncIntervalS: Double, syncLoss: Double, replanEveryS: Double, maxOffload: Int,
        earlyDrop: Bool, windowS: Double, serviceTimeCv: Double, llmScheduler: String? = nil, tokenBudget: Int? = nil
    ) {
        self.llmScheduler = llmScheduler
        self.tokenBudget = tokenBudget
        self.seed = seed
        self.dispatch = dispatch
        self.syncIntervalS = syncIntervalS
        self.syncLoss = syncLoss
        self.replanEveryS = replanEveryS
        self.maxOffload = maxOffload
        self.earlyDrop = earlyDrop
        self.windowS = windowS
        self.serviceTimeCv = serviceTimeCv
    }
}

/// What `serve` measured. Self-contained and deterministic: the same plan, trace and seed give
/// byte-identical Run documents.
public struct Run: Codable, Hashable, Sendable {
    public var apiVersion = DocumentReader.apiVersion
    public var kind = "Run"
    public var engine: String
    public var policy: String
    /// Digest of the Plan document served.
    public var planDigest: String
    /// Digest of the workload the plan was made for (the ClassifiedWorkload): equal for plans of
    /// different policies of one workload, so `report` can tell comparable runs apart.
    public var workloadDigest: String
    public var traceDigest: String
    public var trace: [String: String]
    public var settings: RunSettings
    public var durationS: Double
    /// When the last request ended (the run drains after the trace's end).
    public var endS: Double
    public var summary: ServiceTotals
    public var services: [ServiceRun]
    public var categories: [CategoryRun]
    public var nodes: [NodeRun]
    public var windows: [WindowRun]
    public var replans: [ReplanRecord]
    public var faults: [FaultRecord]
    public var predicted: Prediction

    public init(
        apiVersion: String = DocumentReader.apiVersion, kind: String = "Run", engine: String, policy: String, planDigest: String,
        workloadDigest: String, traceDigest: String, trace: [String: String], settings: RunSettings, durationS: Double,
        endS: Double, summary: ServiceTotals, services: [ServiceRun], categories: [CategoryRun], nodes: [NodeRun],
        windows: [WindowRun], replans: [ReplanRecord], faults: [FaultRecord], predicted: Prediction
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.engine = engine
        self.policy = policy
        self.planDigest = planDigest
        self.workloadDigest = workloadDigest
        self.traceDigest = traceDigest
        self.trace = trace
        self.settings = settings
        self.durationS = durationS
        self.endS = endS
        self.summary = summary
        self.services = services
        self.categories = categories
        self.nodes = nodes
        self.windows = windows
        self.replans = replans
        self.faults = faults
        self.predicted = predicted
    }
}

/// How a set of requests fared: EPARA's goodput (completed within SLO per second) with the
/// attainment fraction, throughput, drops and failures by reason, and latency percentiles.
public struct ServiceTotals: Codable, Hashable, Sendable {
    public var counts: Counts
    public var goodputPerS: Double
    public var throughputPerS: Double
    public var attainment: Double
    public var dropReasons: [String: Int]
    public var failReasons: [String: Int]
    /// End to end, milliseconds; nil when nothing completed.
    public var latencyMs: LatencySummary?

    public init(
        counts: Counts, goodputPerS: Double, throughputPerS: Double, attainment: Double, dropReasons: [String: Int],
        failReasons: [String: Int], latencyMs: LatencySummary? = nil
    ) {
        self.counts = counts
        self.goodputPerS = goodputPerS
        self.throughputPerS = throughputPerS
        self.attainment = attainment
        self.dropReasons = dropReasons
        self.failReasons = failReasons
        self.latencyMs = latencyMs
    }
}

extension ServiceTotals {
    /// The rates of `counts` over `seconds`.
    public init(counts c: Counts, seconds: Double, dropReasons: [String: Int], failReasons: [String: Int], latencyMs: LatencySummary?) {
        counts = c
        goodputPerS = Self.rate(c.completedInSlo, seconds)
        throughputPerS = Self.rate(c.completedInSlo + c.completedLate, seconds)
        attainment = Self.fraction(c.completedInSlo, c.arrivals)
        self.dropReasons = dropReasons
        self.failReasons = failReasons
        self.latencyMs = latencyMs
    }

    public static func rate(_ n: Int, _ seconds: Double) -> Double { seconds > 0 ? (Double(n) / seconds).rounded(places: 4) : 0 }
    public static func fraction(_ n: Int, _ d: Int) -> Double { d > 0 ? (Double(n) / Double(d)).rounded(places: 6) : 0 }
}
