import EparaCore
import EparaServe

/// A Run as text tables: per service, per category, and the totals.
public enum RunTable {
    public static func render(_ run: Run) -> String {
        var out = "SERVICES (policy \(run.policy), \(fmt(run.durationS)) s, seed \(run.settings.seed))\n"
        out += TextTable.render(
            header: ["service", "category", "arrivals", "in SLO", "late", "dropped", "failed", "goodput/s", "attainment", "p50 ms", "p99 ms"],
            rows: run.services.map { s in
                [
                    s.name, s.category, String(s.counts.arrivals), String(s.counts.completedInSlo), String(s.counts.completedLate),
                    String(s.counts.dropped), String(s.counts.failed), fmt(s.goodputPerS), fmt(s.attainment),
                    s.latencyMs.map { fmt($0.p50) } ?? "-", s.latencyMs.map { fmt($0.p99) } ?? "-",
                ]
            })
        out += "\nCATEGORIES\n"
        out += TextTable.render(
            header: ["category", "arrivals", "goodput/s", "attainment", "p99 ms"],
            rows: run.categories.map { c in
                [c.category, String(c.counts.arrivals), fmt(c.goodputPerS), fmt(c.attainment), c.latencyMs.map { fmt($0.p99) } ?? "-"]
            })
        let s = run.summary
        out += "\ngoodput \(fmt(s.goodputPerS))/s (predicted \(fmt(run.predicted.goodputPerS))/s), attainment \(fmt(s.attainment)), "
        out += "\(s.counts.arrivals) requests: \(s.counts.completedInSlo) in SLO, \(s.counts.completedLate) late, "
        out += "\(s.counts.dropped) dropped, \(s.counts.failed) failed\n"
        if !run.replans.isEmpty {
            out += "replans: \(run.replans.count), moves \(run.replans.reduce(0) { $0 + $1.added.count + $1.removed.count })\n"
        }
        return out
    }

    static func fmt(_ x: Double) -> String { TextTable.number(x) }
}
