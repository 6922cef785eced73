import EparaCore
import Foundation

/// The BurstGPT trace format (Azure OpenAI GPT service logs, Wang et al. 2024): CSV with the
/// header `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`; `Timestamp`
/// in seconds after the start. Every row is taken, whatever its model or log type (keep the
/// rows of one model with `awk -F, '$2 == "ChatGPT"'` first, header included).
public struct BurstGPTTrace: LLMRequestTrace {
    public static let header = ["Timestamp", "Model", "Request tokens", "Response tokens", "Total tokens", "Log Type"]
    let reader: LineReader
    var rows: RequestRows

    public init(path: String, services: [(index: ServiceIndex, weight: Double)], rateScale: Double = 1, endS: Double = .infinity) throws(InputError) {
        reader = try LineReader(path: path)
        rows = RequestRows(services: services, rateScale: rateScale, endS: endS)
        _ = reader.next()
    }

    public mutating func next() throws(InputError) -> Arrival? {
        while let line = reader.next() {
            if line.isEmpty { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == Self.header.count else {
                throw InputError(
                    .badData, at: reader.location(),
                    "expected \(Self.header.count) fields (\(Self.header.joined(separator: ","))), found \(f.count)")
            }
            guard let t = Double(f[0].trimmingCharacters(in: .whitespaces)), t.isFinite, t >= 0 else {
                throw InputError(
                    .badData, at: reader.location(), path: "Timestamp", "expected seconds since the start (a number ≥ 0), found '\(f[0])'")
            }
            var tokens: [Int32] = []
            for k in [2, 3] {
                guard let n = Int32(f[k].trimmingCharacters(in: .whitespaces)), n >= 0 else {
                    throw InputError(
                        .badData, at: reader.location(column: LineReader.column(ofField: k, in: line)), path: Self.header[k],
                        "expected a token count (a whole number ≥ 0), found '\(f[k])'")
                }
                tokens.append(n)
            }
            return try rows.arrival(atS: t, inputTokens: tokens[0], outputTokens: tokens[1]) { previous in
                InputError(.badData, at: reader.location(), path: "Timestamp", "times must not decrease: \(t) after \(previous)")
            }
        }
        return nil
    }
}

extension BurstGPTTrace {
    struct Format: LLMRequestFormat {
        typealias Reader = BurstGPTTrace
        var name: String { "BurstGPT" }
        var expected: String { "BurstGPT (Timestamp,Model,Request tokens,…)" }

        func recognizes(_ head: TraceHead) -> Bool { head.columns.starts(with: BurstGPTTrace.header.prefix(2)) }

        func spanS(of path: String) throws(InputError) -> Double {
            TraceEnds(path: path)?.last.split(separator: ",").first.flatMap { Double($0) } ?? 0
        }
    }
}
