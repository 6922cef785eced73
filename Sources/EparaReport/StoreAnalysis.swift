import EparaCore
import EparaPlan
import EparaServe

/// Counts of one window, one service, one origin node, as the state store keeps them.
public struct WindowCounts: Sendable {
    public var startS: Double
    public var lengthS: Double
    public var service: String
    public var node: String
    public var counts: Counts

    public init(startS: Double, lengthS: Double, service: String, node: String, counts: Counts) {
        self.startS = startS
        self.lengthS = lengthS
        self.service = service
        self.node = node
        self.counts = counts
    }
}

extension Analysis {
    /// A run recorded in the state store (by the simulator or live gateways), over the windows
    /// given. The store keeps counts by window, service and origin node, node health, and the
    /// run's totals: the report has goodput, attainment, drops and failures per service,
    /// category and node, each node's time up, and — from `totals`, the whole run's — latency
    /// percentiles and drop reasons overall; categories and policy come from the run's plan.
    /// What nodes served and sent elsewhere is not kept (nil).
    public static func analyse(
        windows: [WindowCounts], plan: Plan?, label: String, source: String, engine: String,
        planDigest: String, traceDigest: String, health: [(timeS: Double, node: String, up: Bool)] = [],
        totals: ServiceTotals? = nil
    ) -> RunReport {
        let categoryOf = Dictionary(plan?.services.map { ($0.name, $0.category.label) } ?? [], uniquingKeysWith: { a, _ in a })
        let starts = Set(windows.map(\.startS)).sorted()
        let length = windows.map(\.lengthS).max() ?? 0
        let seconds = Double(starts.count) * length
        var byService: [String: Counts] = [:], byNode: [String: Counts] = [:], byWindow: [Double: Counts] = [:]
        var windowCategory: [Double: [String: Int]] = [:]
        for w in windows {
            byService[w.service, default: Counts()] = byService[w.service, default: Counts()] + w.counts
            byNode[w.node, default: Counts()] = byNode[w.node, default: Counts()] + w.counts
            byWindow[w.startS, default: Counts()] = byWindow[w.startS, default: Counts()] + w.counts
            windowCategory[w.startS, default: [:]][categoryOf[w.service] ?? "unknown", default: 0] += w.counts.completedInSlo
        }
        let services = byService.keys.sorted().map { name in
            ServiceMetrics(
                name: name, category: categoryOf[name] ?? "unknown",
                metrics: metrics(byService[name]!, seconds: seconds, drops: [:], failures: [:], latency: nil),
                ttftMs: nil, tpotMs: nil, deliveredFpsPerStream: nil)
        }
        let categories: [CategoryMetrics] = (CategoryLabel.all + ["unknown"]).compactMap { label in
            let members = services.filter { $0.category == label }
            guard !members.isEmpty else { return nil }
            let c = members.reduce(Counts()) { $0 + $1.metrics.counts }
            return CategoryMetrics(
                category: label, services: members.map(\.name),
                metrics: metrics(c, seconds: seconds, drops: [:], failures: [:], latency: nil), latencyCdf: [])
        }
        let sites = Dictionary(plan?.cluster.nodes.map { ($0.name, $0.site) } ?? [], uniquingKeysWith: { a, _ in a })
        let span = (starts.first ?? 0, (starts.last ?? 0) + length)
        let nodes = byNode.keys.sorted().map { name in
            NodeMetrics(
                name: name, site: sites[name] ?? "", metrics: metrics(byNode[name]!, seconds: seconds, drops: [:], failures: [:], latency: nil),
                served: nil, forwarded: nil, upFraction: upFraction(health.filter { $0.node == name }, over: span), deviceUtilization: [:])
        }
        let total = byService.values.reduce(Counts(), +)
        var summary = metrics(total, seconds: seconds, drops: totals?.dropReasons ?? [:], failures: totals?.failReasons ?? [:], latency: nil)
        summary.latencyMs = totals?.latencyMs
        return RunReport(
            label: label, source: source, policy: plan?.policyName ?? "unknown", engine: engine, seed: nil, planDigest: planDigest,
            workloadDigest: plan?.inputDigest ?? "", traceDigest: traceDigest, durationS: seconds,
            offeredPerS: rate(total.arrivals, seconds), predictedGoodputPerS: plan?.predicted.goodputPerS,
            summary: summary, categories: categories,
            services: services, nodes: nodes,
            windows: starts.map { start in
                let c = byWindow[start]!
                return WindowMetrics(
                    startS: start, counts: c, goodputPerS: rate(c.completedInSlo, length), attainment: fraction(c.completedInSlo, c.arrivals),
                    goodputByCategory: (windowCategory[start] ?? [:]).mapValues { rate($0, length) })
            })
    }

    /// The fraction of `span` a node was up, from its health samples (up until one says down).
    static func upFraction(_ samples: [(timeS: Double, node: String, up: Bool)], over span: (Double, Double)) -> Double {
        let length = span.1 - span.0
        guard length > 0 else { return 1 }
        var down = 0.0
        var since: Double? = nil
        for sample in samples.sorted(by: { $0.timeS < $1.timeS }) {
            let t = min(max(sample.timeS, span.0), span.1)
            if !sample.up, since == nil { since = t }
            if sample.up, let start = since {
                down += t - start
                since = nil
            }
        }
        if let start = since { down += span.1 - start }
        return (1 - down / length).rounded(places: 6)
    }
}
