import EparaCore
import EparaServe

/// The report as a person reads it: plain aligned tables on a terminal, or Markdown.
public enum TextReport {
    public enum Style: Sendable { case text, markdown }

    static func n(_ x: Double?) -> String { x.map(TextTable.number) ?? "-" }
    static func ratio(_ x: Double?) -> String { x.map { "×" + TextTable.number($0) } ?? "-" }
    /// Attainment of something that had no arrivals is not 0 but undefined.
    static func attainment(_ m: ServiceTotals) -> String { m.counts.arrivals == 0 ? "-" : n(m.attainment) }
    /// Goodput adds requests and frames when a run has both: the total says so.
    static func mixesRequestsAndFrames(_ categories: [String]) -> Bool {
        categories.contains { CategoryLabel.request(of: $0) == .frequency } && categories.contains { CategoryLabel.request(of: $0) == .latency }
    }

    public static func render(_ report: Report, style: Style) -> String {
        // A heading's first word is its name (upper case on a terminal), the rest its details.
        func heading(_ text: String) -> String {
            guard style == .text else { return "## \(text)\n\n" }
            let name = text.prefix { $0 != " " }
            return name.uppercased() + text.dropFirst(name.count) + "\n"
        }
        func table(_ header: [String], _ rows: [[String]]) -> String {
            (style == .markdown ? TextTable.markdown(header: header, rows: rows) : TextTable.render(header: header, rows: rows)) + "\n"
        }
        var out = style == .markdown ? "# epara report\n\n" : ""
        if let comparison = report.comparison {
            out += heading("Comparison (baseline \(comparison.baseline)\(comparison.forced ? ", different workloads compared with --force" : ""))")
            out += "× baseline: goodput and attainment higher is better, p99 latency lower is better\n"
            out += table(
                ["run", "policy", "goodput/s", "vs baseline", "attainment", "vs baseline", "p99 ms", "vs baseline"],
                comparison.rows.map { r in
                    [
                        r.label, r.policy, n(r.goodputPerS), ratio(r.goodputRatio), n(r.attainment), ratio(r.attainmentRatio), n(r.p99Ms),
                        ratio(r.p99Ratio),
                    ]
                })
            let categories = CategoryLabel.all.filter { c in comparison.rows.contains { $0.goodputByCategory[c] != nil } }
            out += heading("Goodput per category (req/s, and × baseline)")
            out += table(
                ["run"] + categories,
                comparison.rows.map { r in
                    [r.label]
                        + categories.map { c in
                            r.goodputByCategory[c].map { "\(n($0)) (\(ratio(r.goodputRatioByCategory[c])))" } ?? "-"
                        }
                })
        }
        if let sweep = report.sweep {
            out += heading("Sweep (\(sweep.policy), target attainment \(n(sweep.targetAttainment)))")
            out += table(
                ["run", "offered/s", "goodput/s", "attainment", "meets target"],
                sweep.points.map { p in
                    [p.label, n(p.offeredPerS), n(p.goodputPerS), n(p.attainment), p.attainment >= sweep.targetAttainment ? "yes" : "no"]
                })
            out += "highest rate sustained at \(n(sweep.targetAttainment)) attainment: "
            out += sweep.maxSustainedPerS.map { "\(n($0))/s (measured)" } ?? "none of the runs"
            if let i = sweep.interpolatedPerS { out += ", \(n(i))/s (interpolated)" }
            out += "\n\n"
        }
        for run in report.runs where report.runs.count == 1 || (report.comparison == nil && report.sweep == nil) {
            out += runSection(run, heading: heading, table: table)
        }
        if report.runs.count > 1, report.comparison != nil || report.sweep != nil {
            out += heading("Runs")
            out += table(
                ["run", "policy", "seed", "offered/s", "goodput/s", "attainment", "dropped", "failed", "p50 ms", "p99 ms"],
                report.runs.map { r in
                    [
                        r.label, r.policy, r.seed.map(String.init) ?? "-", n(r.offeredPerS), n(r.summary.goodputPerS), n(r.summary.attainment),
                        String(r.summary.counts.dropped), String(r.summary.counts.failed), n(r.summary.latencyMs?.p50), n(r.summary.latencyMs?.p99),
                    ]
                })
        }
        return out
    }

    static func runSection(_ run: RunReport, heading: (String) -> String, table: ([String], [[String]]) -> String) -> String {
        let s = run.summary
        var out = heading("Run \(run.label) (policy \(run.policy), \(run.engine), \(n(run.durationS)) s\(run.seed.map { ", seed \($0)" } ?? ""))")
        var notes: [String] = []
        if mixesRequestsAndFrames(run.categories.filter { $0.metrics.counts.arrivals > 0 }.map(\.category)) {
            notes.append("requests and frames together")
        }
        if let p = run.predictedGoodputPerS { notes.append("plan predicted \(n(p))/s") }
        out += "goodput \(n(s.goodputPerS))/s" + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))")
        out += ", SLO attainment \(n(s.attainment)), throughput \(n(s.throughputPerS))/s\n"
        out += "\(s.counts.arrivals) requests: \(s.counts.completedInSlo) within SLO, \(s.counts.completedLate) late, "
        out += "\(s.counts.dropped) dropped, \(s.counts.failed) failed\n"
        if let l = s.latencyMs {
            out +=
                "latency ms (arrival to answer; for LLMs the whole generation): p50 \(n(l.p50)), p90 \(n(l.p90)), p99 \(n(l.p99)), p99.9 \(n(l.p999))\n"
        }
        let reasons = s.dropReasons.map { "dropped \($0.key) \($0.value)" } + s.failReasons.map { "failed \($0.key) \($0.value)" }
        if !reasons.isEmpty { out += reasons.sorted().joined(separator: ", ") + "\n" }
        out += "\n"
        out += heading("Categories")
        out += table(
            ["category", "services", "arrivals", "goodput/s", "attainment", "p50 ms", "p99 ms", "p99.9 ms"],
            run.categories.map { c in
                [
                    c.category, String(c.services.count), String(c.metrics.counts.arrivals), n(c.metrics.goodputPerS), attainment(c.metrics),
                    n(c.metrics.latencyMs?.p50), n(c.metrics.latencyMs?.p99), n(c.metrics.latencyMs?.p999),
                ]
            })
        out += heading("Services")
        out += table(
            [
                "service", "category", "arrivals", "goodput/s", "attainment", "dropped", "failed", "p99 ms", "TTFT p99 ms", "TPOT p50 ms",
                "fps/stream",
            ],
            run.services.map { v in
                [
                    v.name, v.category, String(v.metrics.counts.arrivals), n(v.metrics.goodputPerS), attainment(v.metrics),
                    String(v.metrics.counts.dropped), String(v.metrics.counts.failed), n(v.metrics.latencyMs?.p99), n(v.ttftMs?.p99),
                    n(v.tpotMs?.p50), n(v.deliveredFpsPerStream),
                ]
            })
        out += heading("Nodes")
        out += table(
            ["node", "site", "arrived", "goodput/s", "served here", "sent elsewhere", "up", "busiest device"],
            run.nodes.map { node in
                let busiest = node.deviceUtilization.max { ($0.value, $1.key) < ($1.value, $0.key) }
                return [
                    node.name, node.site, String(node.metrics.counts.arrivals), n(node.metrics.goodputPerS), node.served.map(String.init) ?? "-",
                    node.forwarded.map(String.init) ?? "-", n(node.upFraction), busiest.map { "\(n($0.value)) \($0.key)" } ?? "-",
                ]
            })
        return out
    }
}
