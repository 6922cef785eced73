import EparaCore
import EparaReport

/// A Capacity document for people: tables (terminal text, Markdown or HTML) and the chart of
/// SLO attainment against load per policy.
public enum CapacityRender {
    static func n(_ x: Double) -> String { TextTable.number(x) }
    static func percent(_ x: Double) -> String { n(x * 100) + "%" }
    static func scale(_ x: Double) -> String { n(x) + "×" }

    /// The settings, as lines: target, SLOs, traces, loads, seeds.
    public static func settingsLines(_ r: CapacityReport) -> [String] {
        let s = r.settings
        var lines = [
            "targets: \(s.targets.map(percent).joined(separator: ", ")) SLO attainment; \(n(s.durationS)) s simulated per load, the first \(n(s.warmupS)) s trimmed; seeds \(s.seeds.map(String.init).joined(separator: ", ")); bisection to \(percent(s.tolerance)); \(s.replanEveryS > 0 ? "in-run replanning every \(n(s.replanEveryS)) s" : "each load planned once for its own demand")",
            "traces: \(s.traces.isEmpty ? "none (every service's arrivals generated from its demand)" : s.traces.joined(separator: ", ") + "; the others generated")",
        ]
        lines += s.services.map { "service \($0.name): \($0.slo); at 1×: \($0.demandAt1x)" }
        return lines
    }

    public static func capacityRows(_ r: CapacityReport) -> (header: [String], rows: [[String]]) {
        let epara = r.policies.first { $0.policy == .epara }
        var rows: [[String]] = []
        for p in r.policies {
            for c in p.capacities {
                let spread = c.scaleBySeed.count > 1 ? "\(scale(c.scaleBySeed.min()!))–\(scale(c.scaleBySeed.max()!))" : "-"
                let vsEpara: String
                if p.policy != .epara, let e = epara?.capacities.first(where: { $0.target == c.target }), c.scale > 0 {
                    vsEpara = "×" + n(e.scale / c.scale)
                } else {
                    vsEpara = "-"
                }
                let breaks =
                    c.breaksFirst.map { "\($0) (\(n(c.breaksFirstAttainment ?? 0)) at \(scale(c.missedAt ?? 0)))" }
                    ?? (c.missedAt == nil ? "nothing up to \(scale(c.scale))" : "-")
                rows.append([
                    p.policy.rawValue, percent(c.target),
                    (c.scale > 0 ? scale(c.scale) : "< lowest tried") + (c.metAbove.map { " (met again at \(scale($0)))" } ?? ""), spread,
                    c.missedAt.map(scale) ?? "-", n(c.goodputPerS), vsEpara, breaks,
                ])
            }
        }
        return (["policy", "target", "capacity (× demand)", "per seed", "missed at", "goodput/s at capacity", "EPARA ÷ it", "breaks first"], rows)
    }

    public static func overloadRows(_ r: CapacityReport) -> (header: [String], rows: [[String]]) {
        var rows: [[String]] = []
        for o in r.overloads {
            let e = o.outcomes.first { $0.policy == .epara }
            for x in o.outcomes {
                rows.append([
                    "\(n(o.factor))× best baseline at \(n(o.target * 100))% = \(scale(o.scale))", x.policy.rawValue, n(x.goodputPerS),
                    n(x.attainment),
                    x.policy == .epara || x.goodputPerS <= 0 ? "-" : "×" + n((e?.goodputPerS ?? 0) / x.goodputPerS),
                ])
            }
        }
        return (["load", "policy", "goodput/s", "attainment", "EPARA ÷ it"], rows)
    }

    public static func text(_ r: CapacityReport) -> String {
        var out = "CAPACITY (highest load, × the workload's demand, at each SLO-attainment target)\n"
        out += settingsLines(r).joined(separator: "\n") + "\n\n"
        let c = capacityRows(r)
        out += TextTable.render(header: c.header, rows: c.rows)
        let o = overloadRows(r)
        if !o.rows.isEmpty {
            out += "\nGOODPUT AT FIXED OVERLOADS (multiples of the best baseline's capacity at \(percent(r.settings.targets.max() ?? 0.99)))\n"
            out += TextTable.render(header: o.header, rows: o.rows)
        }
        return out
    }

    public static func chart(_ r: CapacityReport) -> String {
        let series = r.policies.map { p in SVGChart.Series(name: p.policy.rawValue, points: p.points.map { (x: $0.scale, y: $0.attainment) }) }
        let targets = r.settings.targets.map(percent).joined(separator: ", ")
        return SVGChart.lines(
            title: "SLO attainment against load (targets \(targets))", xLabel: "load (× demand)",
            yLabel: "SLO attainment", series: series, yMaximum: 1)
    }

    public static func html(_ r: CapacityReport) -> String {
        let c = capacityRows(r), o = overloadRows(r)
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>epara capacity</title>
            <style>
            body { margin: 0; font-family: system-ui, sans-serif; color: #222; background: #fff; }
            header { padding: 12px 24px; border-bottom: 1px solid #ddd; }
            header h1 { margin: 0; font-size: 22px; }
            section { padding: 8px 24px; }
            ul { font-size: 13px; color: #444; }
            \(HTMLReport.tableStyle)
            </style>
            </head>
            <body>
            <header><h1>epara capacity</h1></header>
            <section>
            <figure aria-label="SLO attainment against load">
            \(chart(r))</figure>
            <ul>

            """
        for line in settingsLines(r) { page += "<li>\(SVGChart.escape(line))</li>\n" }
        page += "</ul>\n<h2>Capacity</h2>\n" + TextTable.html(header: c.header, rows: c.rows)
        if !o.rows.isEmpty {
            page += "<h2>Goodput at fixed overloads</h2>\n" + TextTable.html(header: o.header, rows: o.rows)
        }
        return page + "</section>\n</body>\n</html>\n"
    }
}
