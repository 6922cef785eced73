import EparaCore
import Foundation

/// The Mooncake trace format (Kimi, FAST'25 release): JSON Lines, one request per line, with
/// `timestamp` (ms after the start), `input_length` and `output_length` (tokens) and
/// `hash_ids` (the request's prefix blocks; read for validity, not used: the simulator has no
/// prefix cache).
public struct MooncakeTrace: LLMRequestTrace {
    let reader: LineReader
    var rows: RequestRows

    public init(path: String, services: [(index: ServiceIndex, weight: Double)], rateScale: Double = 1, endS: Double = .infinity) throws(InputError) {
        reader = try LineReader(path: path)
        rows = RequestRows(services: services, rateScale: rateScale, endS: endS)
    }

    static let fields = ["timestamp", "input_length", "output_length", "hash_ids"]

    public mutating func next() throws(InputError) -> Arrival? {
        while let line = reader.next() {
            if line.allSatisfy({ $0 == " " }) { continue }
            let object = try reader.jsonObject(line, expecting: "a JSON object per line (Mooncake: timestamp, input_length, output_length, hash_ids)")
            for key in object.keys.sorted() where !Self.fields.contains(key) {
                let hint = Suggestion.closest(to: key, in: Self.fields).map { " (did you mean '\($0)'?)" } ?? ""
                throw InputError(.badData, at: reader.location(), path: key, "unknown field '\(key)'\(hint) in a Mooncake trace")
            }
            guard let ms = (object["timestamp"] as? NSNumber)?.doubleValue, ms.isFinite, ms >= 0 else {
                throw InputError(.badData, at: reader.location(), path: "timestamp", "expected milliseconds since the start (a number ≥ 0)")
            }
            var tokens: [Int32] = []
            for key in ["input_length", "output_length"] {
                guard let number = object[key] as? NSNumber, number.doubleValue >= 0, number.doubleValue < Double(Int32.max),
                    number.doubleValue == number.doubleValue.rounded()
                else {
                    throw InputError(.badData, at: reader.location(), path: key, "expected a token count (a whole number ≥ 0)")
                }
                tokens.append(number.int32Value)
            }
            if let hashes = object["hash_ids"], !(hashes is [NSNumber]) {
                throw InputError(.badData, at: reader.location(), path: "hash_ids", "expected a list of block ids")
            }
            return try rows.arrival(atS: ms / 1000, inputTokens: tokens[0], outputTokens: tokens[1]) { previous in
                InputError(.badData, at: reader.location(), path: "timestamp", "times must not decrease: \(ms) ms after \(previous * 1000) ms")
            }
        }
        return nil
    }
}

extension MooncakeTrace {
    struct Format: LLMRequestFormat {
        typealias Reader = MooncakeTrace
        var name: String { "Mooncake" }
        var expected: String { "Mooncake JSON Lines (timestamp,input_length,output_length,hash_ids)" }

        /// A first object with either key is Mooncake's (epara's own JSON Lines has neither).
        static func claims(_ keys: Set<String>) -> Bool { keys.contains("timestamp") || keys.contains("input_length") }

        func recognizes(_ head: TraceHead) -> Bool { head.jsonKeys.map(Self.claims) ?? false }

        func spanS(of path: String) throws(InputError) -> Double {
            ((TraceEnds(path: path)?.lastObject?["timestamp"] as? NSNumber)?.doubleValue ?? 0) / 1000
        }
    }
}
