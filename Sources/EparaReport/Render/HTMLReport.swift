import EparaCore

/// A self-contained page: inline CSS and SVG, no script, no font or image from the network.
/// Charts come first, in a fixed grid of 600×340 px cells two to a row under a 72 px header, so
/// a screenshot test knows where each one is; the text report follows.
public enum HTMLReport {
    public static let headerHeight = 72
    public static let columns = 2
    /// How tables look on every page epara writes (the report's and `capacity`'s).
    public static let tableStyle = """
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0 16px; }
        th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; }
        th { background: #f5f5f5; }
        """

    /// Titles of the charts, in page order (also what the browser test looks for).
    public static func chartTitles(_ report: Report) -> [String] { charts(report).map(\.title) }

    /// The page's charts as standalone SVG documents, for embedding elsewhere (docs/results.md).
    public static func charts(_ report: Report) -> [(title: String, svg: String)] {
        var charts: [(String, String)] = []
        let runs = report.runs
        let goodput = "Goodput over time"
        charts.append(
            (
                goodput,
                SVGChart.lines(
                    title: goodput, xLabel: "time (s)", yLabel: "goodput (req/s within SLO)",
                    series: runs.map { r in SVGChart.Series(name: r.label, points: r.windows.map { ($0.startS, $0.goodputPerS) }) })
            ))
        let present = CategoryLabel.all.filter { c in runs.contains { $0.categories.contains { $0.category == c } } }
        if runs.count == 1, let run = runs.first {
            let title = "Latency CDF by category"
            charts.append(
                (
                    title,
                    SVGChart.lines(
                        title: title, xLabel: "latency (ms, log scale)", yLabel: "fraction of completed requests",
                        series: run.categories.map { c in
                            SVGChart.Series(name: c.category, points: c.latencyCdf.map { ($0.latencyMs, $0.fraction) })
                        }, logX: true, yMaximum: 1)
                ))
        } else {
            for category in present {
                let title = "Latency CDF: \(category)"
                charts.append(
                    (
                        title,
                        SVGChart.lines(
                            title: title, xLabel: "latency (ms, log scale)", yLabel: "fraction of completed requests",
                            series: runs.map { r in
                                SVGChart.Series(
                                    name: r.label,
                                    points: r.categories.first { $0.category == category }?.latencyCdf.map { ($0.latencyMs, $0.fraction) } ?? [])
                            }, logX: true, yMaximum: 1)
                    ))
            }
        }
        let attainment = "SLO attainment by category"
        charts.append(
            (
                attainment,
                SVGChart.bars(
                    title: attainment, yLabel: "attainment", groups: present,
                    series: runs.map { r in
                        (r.label, present.map { c in r.categories.first { $0.category == c }?.metrics.attainment ?? 0 })
                    }, yMaximum: 1)
            ))
        if report.comparison != nil {
            let title = "Goodput by category and policy"
            charts.append(
                (
                    title,
                    SVGChart.bars(
                        title: title, yLabel: "goodput (req/s within SLO)", groups: present + ["all"],
                        series: runs.map { r in
                            (
                                r.label,
                                present.map { c in r.categories.first { $0.category == c }?.metrics.goodputPerS ?? 0 } + [r.summary.goodputPerS]
                            )
                        })
                ))
        }
        if let sweep = report.sweep {
            // Capacity is what a sweep is for: its chart comes first.
            let title = "Attainment vs offered load"
            let xs = sweep.points.map(\.offeredPerS)
            charts.append(
                (
                    title,
                    SVGChart.lines(
                        title: title, xLabel: "offered load (req/s)", yLabel: "SLO attainment",
                        series: [
                            SVGChart.Series(name: sweep.policy, points: sweep.points.map { ($0.offeredPerS, $0.attainment) }),
                            SVGChart.Series(
                                name: "target \(TextTable.number(sweep.targetAttainment))",
                                points: [(xs.min() ?? 0, sweep.targetAttainment), (xs.max() ?? 1, sweep.targetAttainment)]),
                        ], yMaximum: 1)
                ))
            charts.insert(charts.removeLast(), at: 0)
        }
        return charts
    }

    public static func render(_ report: Report) -> String {
        let charts = charts(report)
        let what = report.runs.map { "\($0.label) (\($0.policy))" }.joined(separator: ", ")
        var page = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>epara report</title>
            <style>
            body { margin: 0; font-family: system-ui, sans-serif; color: #222; background: #fff; }
            header { height: \(headerHeight)px; box-sizing: border-box; padding: 12px 24px; border-bottom: 1px solid #ddd; width: 1200px; }
            header h1 { margin: 0; font-size: 22px; }
            header p { margin: 4px 0 0; font-size: 13px; color: #555; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
            .charts { display: grid; grid-template-columns: repeat(\(columns), 600px); width: 1200px; }
            figure { margin: 0; width: 600px; height: 340px; }
            section { padding: 16px 24px; }
            \(tableStyle)
            h2 { font-size: 17px; margin: 18px 0 6px; }
            p { font-size: 13px; margin: 4px 0; }
            </style>
            </head>
            <body>
            <header><h1>epara report</h1><p>\(SVGChart.escape(what))</p></header>
            <div class="charts">

            """
        for (title, svg) in charts {
            page += "<figure aria-label=\"\(SVGChart.escape(title))\">\n\(svg)</figure>\n"
        }
        page += "</div>\n<section>\n\(MarkdownHTML.render(TextReport.render(report, style: .markdown)))</section>\n</body>\n</html>\n"
        return page
    }
}
