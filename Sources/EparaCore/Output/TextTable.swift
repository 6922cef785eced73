import Foundation

/// Aligned plain-text columns for terminals, and the same rows as a Markdown table.
public enum TextTable {
    public static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        return all.map(line).joined()
    }

    /// GitHub-flavoured Markdown; `|` inside a cell is escaped.
    public static func markdown(header: [String], rows: [[String]]) -> String {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |\n"
        }
        return line(header) + "|" + header.map { _ in "---|" }.joined() + "\n" + rows.map(line).joined()
    }

    /// An HTML table (cells escaped), for pages a person reads.
    public static func html(header: [String], rows: [[String]]) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var table = "<table>\n<thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows { table += "<tr>" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n" }
        return table + "</tbody>\n</table>\n"
    }

    /// A number for people: whole above 100, else two decimals.
    public static func number(_ x: Double) -> String {
        guard x.isFinite else { return "-" }
        return x >= 100 ? String(Int(x.rounded())) : String(x.rounded(places: 2))
    }
}

extension String {
    public func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
