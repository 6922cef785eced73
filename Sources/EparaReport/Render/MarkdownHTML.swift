import EparaCore

/// The report's Markdown as HTML for the page: `##` headings, tables as HTML tables, the other
/// lines as paragraphs (escaped). Only what `TextReport`'s Markdown style writes.
enum MarkdownHTML {
    static func cells(_ line: Substring) -> [String] {
        var inner = line.trimmingCharacters(in: .whitespaces)
        if inner.hasPrefix("|") { inner.removeFirst() }
        if inner.hasSuffix("|") && !inner.hasSuffix("\\|") { inner.removeLast() }
        // Split on | not escaped as \|.
        var result: [String] = [], current = "", escaped = false
        for ch in inner {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" { escaped = true; continue }
            if ch == "|" { result.append(current.trimmingCharacters(in: .whitespaces)); current = ""; continue }
            current.append(ch)
        }
        result.append(current.trimmingCharacters(in: .whitespaces))
        return result
    }

    static func render(_ markdown: String) -> String {
        var html = ""
        var table: [[String]] = []
        func flush() {
            guard let header = table.first else { return }
            html += TextTable.html(header: header, rows: Array(table.dropFirst()))
            table = []
        }
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") {
                // The separator row (|---|---|) carries no cells.
                if line.allSatisfy({ "|-: ".contains($0) }) { continue }
                table.append(cells(line))
                continue
            }
            flush()
            if line.hasPrefix("# ") { continue }
            if line.hasPrefix("## ") {
                html += "<h2>\(SVGChart.escape(String(line.dropFirst(3))))</h2>\n"
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                html += "<p>\(SVGChart.escape(String(line)))</p>\n"
            }
        }
        flush()
        return html
    }
}
