import EparaCore
import Foundation

/// The Azure LLM inference trace 2023 (Splitwise): one row per request with its wall-clock time
/// and token counts. Times become seconds after the first row (divided by --rate-scale). Rows go
/// to `services` in turn by smooth weighted round-robin on their demand (one service: all rows),
/// so the mapping depends only on the row's position.
public struct AzureLLMTrace: LLMRequestTrace {
    let reader: LineReader
    var rows: RequestRows
    var start: Double? = nil

    public init(path: String, services: [(index: ServiceIndex, weight: Double)], rateScale: Double = 1, endS: Double = .infinity) throws(InputError) {
        reader = try LineReader(path: path)
        rows = RequestRows(services: services, rateScale: rateScale, endS: endS)
        _ = reader.next()
    }

    /// Seconds since midnight of `YYYY-MM-DD HH:MM:SS.fffffff` plus whole days from the date.
    static func seconds(_ text: Substring) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 2 else { return nil }
        let date = parts[0].split(separator: "-"), clock = parts[1].split(separator: ":")
        guard date.count == 3, clock.count == 3, let day = Double(date[2]), let month = Double(date[1]),
            let h = Double(clock[0]), let m = Double(clock[1]), let s = Double(clock[2])
        else { return nil }
        return ((month * 31 + day) * 24 + h) * 3600 + m * 60 + s
    }

    public mutating func next() throws(InputError) -> Arrival? {
        while let line = reader.next() {
            if line.isEmpty { continue }
            let fields = line.split(separator: ",")
            guard fields.count == 3, let t = Self.seconds(fields[0]), let input = Int32(fields[1]), let output = Int32(fields[2]),
                input >= 0, output >= 0
            else {
                throw InputError(
                    .badData, at: reader.location(),
                    "expected TIMESTAMP (YYYY-MM-DD HH:MM:SS.fffffff),ContextTokens,GeneratedTokens, found '\(line.prefix(80))'")
            }
            let first = start ?? t
            start = first
            return try rows.arrival(atS: t - first, inputTokens: input, outputTokens: output) { _ in
                InputError(.badData, at: reader.location(), path: "TIMESTAMP", "times must not decrease")
            }
        }
        return nil
    }
}

extension AzureLLMTrace {
    /// One row of the trace: seconds after its first row, and token counts.
    public struct Row: Sendable {
        public var time: Double
        public var inputTokens: Int32
        public var outputTokens: Int32
    }

    /// Reads the whole trace (it is small: 19,366 rows for the conversation service).
    public static func rows(path: String) throws(InputError) -> [Row] {
        var trace = try AzureLLMTrace(path: path, services: [(index: ServiceIndex(raw: 0), weight: 1)])
        var rows: [Row] = []
        while let a = try trace.next() { rows.append(Row(time: a.time, inputTokens: a.inputTokens, outputTokens: a.outputTokens)) }
        return rows
    }
}

extension AzureLLMTrace {
    struct Format: LLMRequestFormat {
        typealias Reader = AzureLLMTrace
        var name: String { "Azure LLM 2023" }
        var expected: String { "the Azure LLM trace (TIMESTAMP,ContextTokens,GeneratedTokens)" }

        func recognizes(_ head: TraceHead) -> Bool { head.columns.starts(with: ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]) }

        func spanS(of path: String) throws(InputError) -> Double {
            guard let ends = TraceEnds(path: path) else { return 0 }
            let first = ends.second.split(separator: ",").first.flatMap { AzureLLMTrace.seconds($0) } ?? 0
            let last = ends.last.split(separator: ",").first.flatMap { AzureLLMTrace.seconds($0) } ?? first
            return last - first
        }
    }
}
