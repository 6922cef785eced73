import EparaCore

/// How a set of requests fared (the Run's own summary type: goodput, attainment, throughput,
/// drops and failures by reason, latency percentiles).
public typealias Metrics = ServiceTotals

public struct ServiceMetrics: Codable, Hashable, Sendable {
    public var name: String
    public var category: String
    public var metrics: Metrics
    public var ttftMs: LatencySummary?
    public var tpotMs: LatencySummary?
    public var deliveredFpsPerStream: Double?

    public init(
        name: String, category: String, metrics: Metrics, ttftMs: LatencySummary? = nil, tpotMs: LatencySummary? = nil,
        deliveredFpsPerStream: Double? = nil
    ) {
        self.name = name
        self.category = category
        self.metrics = metrics
        self.ttftMs = ttftMs
        self.tpotMs = tpotMs
        self.deliveredFpsPerStream = deliveredFpsPerStream
    }
}

/// One point of a latency CDF: `fraction` of completed requests took at most `latency_ms`.
public struct CDFPoint: Codable, Hashable, Sendable {
    public var latencyMs: Double
    public var fraction: Double

    public init(latencyMs: Double, fraction: Double) {
        self.latencyMs = latencyMs
        self.fraction = fraction
    }
}

public struct CategoryMetrics: Codable, Hashable, Sendable {
    /// One of EPARA's four labels, `latency/single-gpu` etc.
    public var category: String
    public var services: [String]
    public var metrics: Metrics
    public var latencyCdf: [CDFPoint]

    public init(category: String, services: [String], metrics: Metrics, latencyCdf: [CDFPoint]) {
        self.category = category
        self.services = services
        self.metrics = metrics
        self.latencyCdf = latencyCdf
    }
}

public struct NodeMetrics: Codable, Hashable, Sendable {
    public var name: String
    public var site: String
    /// Of the requests that arrived at this node.
    public var metrics: Metrics
    /// Requests its instances served; nil when the source does not say (a state store keeps
    /// counts by origin only).
    public var served: Int?
    /// Requests its handler sent to another node's instance; nil when the source does not say.
    public var forwarded: Int?
    public var upFraction: Double
    public var deviceUtilization: [String: Double]

    public init(
        name: String, site: String, metrics: Metrics, served: Int?, forwarded: Int?, upFraction: Double,
        deviceUtilization: [String: Double]
    ) {
        self.name = name
        self.site = site
        self.metrics = metrics
        self.served = served
        self.forwarded = forwarded
        self.upFraction = upFraction
        self.deviceUtilization = deviceUtilization
    }
}

public struct WindowMetrics: Codable, Hashable, Sendable {
    public var startS: Double
    public var counts: Counts
    public var goodputPerS: Double
    public var attainment: Double
    public var goodputByCategory: [String: Double]

    public init(startS: Double, counts: Counts, goodputPerS: Double, attainment: Double, goodputByCategory: [String: Double]) {
        self.startS = startS
        self.counts = counts
        self.goodputPerS = goodputPerS
        self.attainment = attainment
        self.goodputByCategory = goodputByCategory
    }
}

/// One run (or one state-store run) analysed.
public struct RunReport: Codable, Hashable, Sendable {
    /// How the run is named in comparisons: its file name, or its policy.
    public var label: String
    public var source: String
    public var policy: String
    public var engine: String
    public var seed: UInt64?
    public var planDigest: String
    public var workloadDigest: String
    public var traceDigest: String
    public var durationS: Double
    /// Offered load: arrivals per second.
    public var offeredPerS: Double
    public var predictedGoodputPerS: Double?
    public var summary: Metrics
    public var categories: [CategoryMetrics]
    public var services: [ServiceMetrics]
    public var nodes: [NodeMetrics]
    public var windows: [WindowMetrics]

    public init(
        label: String, source: String, policy: String, engine: String, seed: UInt64? = nil, planDigest: String,
        workloadDigest: String, traceDigest: String, durationS: Double, offeredPerS: Double, predictedGoodputPerS: Double? = nil,
        summary: Metrics, categories: [CategoryMetrics], services: [ServiceMetrics], nodes: [NodeMetrics],
        windows: [WindowMetrics]
    ) {
        self.label = label
        self.source = source
        self.policy = policy
        self.engine = engine
        self.seed = seed
        self.planDigest = planDigest
        self.workloadDigest = workloadDigest
        self.traceDigest = traceDigest
        self.durationS = durationS
        self.offeredPerS = offeredPerS
        self.predictedGoodputPerS = predictedGoodputPerS
        self.summary = summary
        self.categories = categories
        self.services = services
        self.nodes = nodes
        self.windows = windows
    }
}

/// A run against the baseline: each figure and its ratio to the baseline's.
public struct ComparisonRow: Codable, Hashable, Sendable {
    public var label: String
    public var policy: String
    public var goodputPerS: Double
    /// goodput ÷ the baseline's goodput (nil when the baseline's is 0).
    public var goodputRatio: Double?
    public var attainment: Double
    public var attainmentRatio: Double?
    public var p99Ms: Double?
    public var p99Ratio: Double?
    public var goodputByCategory: [String: Double]
    public var goodputRatioByCategory: [String: Double]

    public init(
        label: String, policy: String, goodputPerS: Double, goodputRatio: Double? = nil, attainment: Double,
        attainmentRatio: Double? = nil, p99Ms: Double? = nil, p99Ratio: Double? = nil, goodputByCategory: [String: Double],
        goodputRatioByCategory: [String: Double]
    ) {
        self.label = label
        self.policy = policy
        self.goodputPerS = goodputPerS
        self.goodputRatio = goodputRatio
        self.attainment = attainment
        self.attainmentRatio = attainmentRatio
        self.p99Ms = p99Ms
        self.p99Ratio = p99Ratio
        self.goodputByCategory = goodputByCategory
        self.goodputRatioByCategory = goodputRatioByCategory
    }
}

public struct Comparison: Codable, Hashable, Sendable {
    public var baseline: String
    /// True when runs of different workloads were compared on purpose (`--force`).
    public var forced: Bool
    public var rows: [ComparisonRow]

    public init(baseline: String, forced: Bool, rows: [ComparisonRow]) {
        self.baseline = baseline
        self.forced = forced
        self.rows = rows
    }
}

public struct SweepPoint: Codable, Hashable, Sendable {
    public var label: String
    public var offeredPerS: Double
    public var goodputPerS: Double
    public var attainment: Double

    public init(label: String, offeredPerS: Double, goodputPerS: Double, attainment: Double) {
        self.label = label
        self.offeredPerS = offeredPerS
        self.goodputPerS = goodputPerS
        self.attainment = attainment
    }
}

/// DistServe's goodput: the highest request rate served at the target attainment.
public struct Sweep: Codable, Hashable, Sendable {
    public var policy: String
    public var targetAttainment: Double
    /// Runs by increasing offered load.
    public var points: [SweepPoint]
    /// Highest offered rate among the runs that met the target (nil: none did).
    public var maxSustainedPerS: Double?
    /// Between the last run that met the target and the first that did not, where the
    /// attainment line crosses the target (nil when no run failed or none met it).
    public var interpolatedPerS: Double?

    public init(
        policy: String, targetAttainment: Double, points: [SweepPoint], maxSustainedPerS: Double? = nil,
        interpolatedPerS: Double? = nil
    ) {
        self.policy = policy
        self.targetAttainment = targetAttainment
        self.points = points
        self.maxSustainedPerS = maxSustainedPerS
        self.interpolatedPerS = interpolatedPerS
    }
}

/// What `epara report` writes: every run analysed, and a comparison or a sweep over them.
public struct Report: Codable, Hashable, Sendable {
    public var apiVersion = DocumentReader.apiVersion
    public var kind = "Report"
    public var runs: [RunReport]
    public var comparison: Comparison?
    public var sweep: Sweep?

    public init(runs: [RunReport], comparison: Comparison? = nil, sweep: Sweep? = nil) {
        self.runs = runs
        self.comparison = comparison
        self.sweep = sweep
    }
}
