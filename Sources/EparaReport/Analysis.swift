import EparaCore
import EparaServe
import Histogram

/// Turns Run documents into reports: merges latency histograms with HdrHistogram (the Run
/// carries each service's buckets, so no per-request data is needed) and derives rates.
public enum Analysis {
    /// Rebuilds a service's histogram from the Run's [value_ms, count] buckets.
    public static func histogram(_ buckets: [[Double]]) -> Histogram<UInt64> {
        var h = Recorder.latencyHistogram()
        for bucket in buckets where bucket.count == 2 && bucket[1] > 0 {
            _ = h.record(UInt64(max(1, (bucket[0] * 1000).rounded())), count: UInt64(bucket[1]))
        }
        return h
    }

    public static func summary(_ h: Histogram<UInt64>) -> LatencySummary? { Recorder.summary(h) }

    /// The CDF at every percent, and at 99.5 and 99.9.
    public static func cdf(_ h: Histogram<UInt64>) -> [CDFPoint] {
        guard h.totalCount > 0 else { return [] }
        let fractions = (1...99).map { Double($0) / 100 } + [0.995, 0.999, 1]
        return fractions.map { f in
            CDFPoint(latencyMs: (Double(h.valueAtPercentile(f * 100)) / 1000).rounded(places: 3), fraction: f)
        }
    }

    static func rate(_ n: Int, _ seconds: Double) -> Double { Metrics.rate(n, seconds) }
    static func fraction(_ n: Int, _ d: Int) -> Double { Metrics.fraction(n, d) }

    static func metrics(
        _ c: Counts, seconds: Double, drops: [String: Int], failures: [String: Int],
        latency: Histogram<UInt64>?
    ) -> Metrics {
        Metrics(counts: c, seconds: seconds, dropReasons: drops, failReasons: failures, latencyMs: latency.flatMap(summary))
    }

    static func merged(_ maps: [[String: Int]]) -> [String: Int] {
        maps.reduce(into: [:]) { total, map in for (k, v) in map { total[k, default: 0] += v } }
    }

    /// One Run, analysed. `label` names it in comparisons.
    public static func analyse(_ run: Run, label: String, source: String) -> RunReport {
        let seconds = run.durationS
        let histograms = Dictionary(uniqueKeysWithValues: run.services.map { ($0.name, histogram($0.latencyHistogram)) })
        let services = run.services.map { s in
            ServiceMetrics(
                name: s.name, category: s.category,
                metrics: metrics(s.counts, seconds: seconds, drops: s.dropReasons, failures: s.failReasons, latency: histograms[s.name]),
                ttftMs: s.ttftMs, tpotMs: s.tpotMs, deliveredFpsPerStream: s.deliveredFpsPerStream)
        }
        let categoryOf = Dictionary(uniqueKeysWithValues: run.services.map { ($0.name, $0.category) })
        let categories: [CategoryMetrics] = CategoryLabel.all.compactMap { label in
            let members = run.services.filter { $0.category == label }
            guard !members.isEmpty else { return nil }
            var h = histogram([])
            for m in members { h.add(histograms[m.name]!) }
            let c = members.reduce(Counts()) { $0 + $1.counts }
            return CategoryMetrics(
                category: label, services: members.map(\.name),
                metrics: metrics(
                    c, seconds: seconds, drops: merged(members.map(\.dropReasons)),
                    failures: merged(members.map(\.failReasons)), latency: h),
                latencyCdf: cdf(h))
        }
        var all = histogram([])
        for h in histograms.values { all.add(h) }
        let summary = metrics(
            run.summary.counts, seconds: seconds, drops: run.summary.dropReasons, failures: run.summary.failReasons,
            latency: all)
        let nodes = run.nodes.map { n in
            NodeMetrics(
                name: n.name, site: n.site, metrics: metrics(n.counts, seconds: seconds, drops: [:], failures: [:], latency: nil),
                served: n.served, forwarded: n.forwarded, upFraction: n.upFraction,
                deviceUtilization: Dictionary(uniqueKeysWithValues: n.devices.map { ($0.device, $0.utilization) }))
        }
        let windows = run.windows.map { w in
            var byCategory: [String: Double] = [:]
            for (service, c) in w.services {
                if let category = categoryOf[service] { byCategory[category, default: 0] += Double(c.completedInSlo) }
            }
            let length = run.settings.windowS
            return WindowMetrics(
                startS: w.startS, counts: w.counts, goodputPerS: rate(w.counts.completedInSlo, length),
                attainment: fraction(w.counts.completedInSlo, w.counts.arrivals),
                goodputByCategory: byCategory.mapValues { ($0 / length).rounded(places: 4) })
        }
        return RunReport(
            label: label, source: source, policy: run.policy, engine: run.engine, seed: run.settings.seed,
            planDigest: run.planDigest, workloadDigest: run.workloadDigest, traceDigest: run.traceDigest,
            durationS: seconds, offeredPerS: rate(run.summary.counts.arrivals, seconds),
            predictedGoodputPerS: run.predicted.goodputPerS, summary: summary, categories: categories,
            services: services, nodes: nodes, windows: windows)
    }
}
