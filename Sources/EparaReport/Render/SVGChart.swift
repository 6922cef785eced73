import Foundation

/// Small self-contained SVG charts (no script, no web font): lines over a linear or log x axis,
/// and grouped bars. Sizes are fixed so that a page lays out the same everywhere.
public enum SVGChart {
    public static let width = 600.0
    public static let height = 340.0
    static let margin = (left: 64.0, right: 32.0, top: 36.0, bottom: 64.0)
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    public struct Series {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public init(name: String, points: [(x: Double, y: Double)]) {
            self.name = name
            self.points = points
        }
    }

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// 1, 2 or 5 times a power of ten: about `count` ticks from 0 to at least `maximum`.
    static func niceTicks(maximum: Double, count: Int = 5) -> [Double] {
        let top = maximum > 0 ? maximum : 1
        let raw = top / Double(count)
        let power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? raw
        return stride(from: 0, through: ceil(top / step) * step + step / 2, by: step).map { $0 }
    }

    static func label(_ x: Double) -> String {
        if x == 0 { return "0" }
        if abs(x) >= 1000 { return String(format: "%.0f", x) }
        if abs(x) >= 10 { return String(format: "%.0f", x) }
        if abs(x) >= 1 { return String(format: "%.1f", x).replacingOccurrences(of: ".0", with: "") }
        return String(format: "%.2f", x)
    }

    static func frame(title: String, xLabel: String, yLabel: String, body: String, legend: [String]) -> String {
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(escape(title))">
            <title>\(escape(title))</title>
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#ffffff"/>
            <text class="chart-title" x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>
            <text x="\(f(margin.left + (width - margin.left - margin.right) / 2))" y="\(f(height - 30))" text-anchor="middle" font-size="12">\(escape(xLabel))</text>
            <text x="14" y="\(f(margin.top + (height - margin.top - margin.bottom) / 2))" text-anchor="middle" font-size="12" transform="rotate(-90 14 \(f(margin.top + (height - margin.top - margin.bottom) / 2)))">\(escape(yLabel))</text>

            """
        svg += body
        var x = margin.left
        for (i, name) in legend.enumerated() {
            let color = palette[i % palette.count]
            svg += "<rect x=\"\(f(x))\" y=\"\(f(height - 16))\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(f(x + 14))\" y=\"\(f(height - 7))\" font-size=\"11\">\(escape(name))</text>\n"
            x += 24 + Double(name.count) * 6.2
        }
        return svg + "</svg>\n"
    }

    /// Lines; with `logX` the x axis is logarithmic (latencies spanning decades).
    public static func lines(
        title: String, xLabel: String, yLabel: String, series: [Series], logX: Bool = false,
        yMaximum: Double? = nil
    ) -> String {
        let plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom
        let xs = series.flatMap { $0.points.map(\.x) }.filter { !logX || $0 > 0 }
        let ys = series.flatMap { $0.points.map(\.y) }
        var body = ""
        guard let xMinRaw = xs.min(), let xMaxRaw = xs.max() else {
            body += "<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\" font-size=\"13\">no data</text>\n"
            return frame(title: title, xLabel: xLabel, yLabel: yLabel, body: body, legend: [])
        }
        let yTicks = niceTicks(maximum: yMaximum ?? (ys.max() ?? 1))
        let yTop = yMaximum ?? yTicks.last ?? 1
        let xTicks: [Double]
        let xLow: Double, xHigh: Double
        if logX {
            let lo = floor(log10(xMinRaw)), hi = max(ceil(log10(xMaxRaw)), lo + 1)
            xTicks = stride(from: lo, through: hi, by: 1).map { pow(10, $0) }
            xLow = lo
            xHigh = hi
        } else {
            xTicks = niceTicks(maximum: xMaxRaw)
            xLow = 0
            xHigh = xTicks.last ?? 1
        }
        func px(_ x: Double) -> Double {
            let v = logX ? log10(max(x, pow(10, xLow))) : x
            return margin.left + (v - xLow) / max(xHigh - xLow, 1e-12) * plotW
        }
        func py(_ y: Double) -> Double { margin.top + plotH - min(max(y / max(yTop, 1e-12), 0), 1.05) * plotH }
        for t in yTicks where t <= yTop + 1e-9 {
            body += "<line x1=\"\(f(margin.left))\" y1=\"\(f(py(t)))\" x2=\"\(f(width - margin.right))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>"
            body += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" font-size=\"11\">\(label(t))</text>\n"
        }
        for t in xTicks {
            body +=
                "<line x1=\"\(f(px(t)))\" y1=\"\(f(margin.top + plotH))\" x2=\"\(f(px(t)))\" y2=\"\(f(margin.top + plotH + 4))\" stroke=\"#333\"/>"
            body += "<text x=\"\(f(px(t)))\" y=\"\(f(margin.top + plotH + 17))\" text-anchor=\"middle\" font-size=\"11\">\(label(t))</text>\n"
        }
        body += "<rect x=\"\(f(margin.left))\" y=\"\(f(margin.top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#333\"/>\n"
        for (i, s) in series.enumerated() {
            let points = s.points.filter { !logX || $0.x > 0 }.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            guard !points.isEmpty else { continue }
            body += "<polyline class=\"series\" fill=\"none\" stroke=\"\(palette[i % palette.count])\" stroke-width=\"2.5\" points=\"\(points)\"/>\n"
            // Few points (a short run's windows): mark each, so that even one point shows.
            let visible = s.points.filter { !logX || $0.x > 0 }
            if visible.count <= 40 {
                for p in visible {
                    body += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"4\" fill=\"\(palette[i % palette.count])\"/>"
                }
                body += "\n"
            }
        }
        return frame(title: title, xLabel: xLabel, yLabel: yLabel, body: body, legend: series.map(\.name))
    }

    /// Grouped bars: one group per name in `groups`, one bar per series in each group.
    public static func bars(
        title: String, yLabel: String, groups: [String], series: [(name: String, values: [Double])],
        yMaximum: Double? = nil
    ) -> String {
        let plotW = width - margin.left - margin.right, plotH = height - margin.top - margin.bottom
        let all = series.flatMap(\.values)
        let yTicks = niceTicks(maximum: yMaximum ?? (all.max() ?? 1))
        let yTop = yMaximum ?? yTicks.last ?? 1
        func py(_ y: Double) -> Double { margin.top + plotH - min(max(y / max(yTop, 1e-12), 0), 1) * plotH }
        var body = ""
        for t in yTicks where t <= yTop + 1e-9 {
            body += "<line x1=\"\(f(margin.left))\" y1=\"\(f(py(t)))\" x2=\"\(f(width - margin.right))\" y2=\"\(f(py(t)))\" stroke=\"#e5e5e5\"/>"
            body += "<text x=\"\(f(margin.left - 6))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\" font-size=\"11\">\(label(t))</text>\n"
        }
        let groupW = plotW / Double(max(groups.count, 1))
        let barW = groupW * 0.8 / Double(max(series.count, 1))
        for (g, name) in groups.enumerated() {
            let x0 = margin.left + Double(g) * groupW + groupW * 0.1
            for (i, s) in series.enumerated() where g < s.values.count {
                let v = s.values[g]
                body +=
                    "<rect class=\"bar\" x=\"\(f(x0 + Double(i) * barW))\" y=\"\(f(py(v)))\" width=\"\(f(max(barW - 2, 1)))\" height=\"\(f(margin.top + plotH - py(v)))\" fill=\"\(palette[i % palette.count])\"><title>\(escape(s.name)): \(label(v))</title></rect>"
            }
            // Category names split at "/" onto two lines so that neighbours do not overlap.
            let parts = name.split(separator: "/", maxSplits: 1).map(String.init)
            let cx = f(x0 + groupW * 0.4)
            body += "<text x=\"\(cx)\" y=\"\(f(margin.top + plotH + 15))\" text-anchor=\"middle\" font-size=\"11\">"
            body +=
                parts.enumerated().map { i, part in
                    "<tspan x=\"\(cx)\" dy=\"\(i == 0 ? 0 : 12)\">\(escape(part))\(i == 0 && parts.count > 1 ? "/" : "")</tspan>"
                }.joined() + "</text>\n"
        }
        body +=
            "<line x1=\"\(f(margin.left))\" y1=\"\(f(margin.top + plotH))\" x2=\"\(f(width - margin.right))\" y2=\"\(f(margin.top + plotH))\" stroke=\"#333\"/>\n"
        return frame(title: title, xLabel: "", yLabel: yLabel, body: body, legend: series.map(\.name))
    }
}
