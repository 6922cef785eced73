import EparaCore
import Foundation

/// Deals the rows of a recorded LLM trace to its target services by smooth weighted round-robin
/// on their demand (one service: every row), so a row's service depends only on its position.
struct RowDealer {
    let services: [(index: Int32, weight: Double)]
    var credit: [Double]

    init(_ services: [(index: Int32, weight: Double)]) {
        self.services = services
        credit = Array(repeating: 0, count: services.count)
    }

    mutating func next() -> Int32 {
        var best = 0
        let total = services.reduce(0) { $0 + $1.weight }
        for k in services.indices {
            credit[k] += services[k].weight
            if credit[k] > credit[best] { best = k }
        }
        credit[best] -= total
        return services[best].index
    }
}

/// What every LLM request trace does with a row once read: its time, in seconds after the
/// trace's start, scaled by the rate; rows kept in order; the trace cut at the run's end; the
/// row dealt to a service.
struct RequestRows {
    var dealer: RowDealer
    var last = -Double.infinity
    let timeScale: Double
    let endS: Double

    init(services: [(index: Int32, weight: Double)], rateScale: Double, endS: Double) {
        dealer = RowDealer(services)
        timeScale = 1 / rateScale
        self.endS = endS
    }

    /// The row's arrival, nil past the end; `decreasing` is the error for a row before the
    /// previous one, given the previous row's seconds.
    mutating func arrival(atS seconds: Double, inputTokens: Int32, outputTokens: Int32,
                          decreasing: (Double) -> InputError) throws(InputError) -> Arrival? {
        let time = seconds * timeScale
        guard time >= last else { throw decreasing(last / timeScale) }
        last = time
        guard time < endS else { return nil }
        return Arrival(time: time, service: dealer.next(), inputTokens: inputTokens, outputTokens: outputTokens)
    }
}

/// The Mooncake trace format (Kimi, FAST'25 release): JSON Lines, one request per line, with
/// `timestamp` (ms after the start), `input_length` and `output_length` (tokens) and
/// `hash_ids` (the request's prefix blocks; read for validity, not used: the simulator has no
/// prefix cache).
public struct MooncakeTrace: ArrivalSource {
    let reader: LineReader
    var rows: RequestRows

    public init(path: String, services: [(index: Int32, weight: Double)], rateScale: Double = 1, endS: Double = .infinity) throws(InputError) {
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
                      number.doubleValue == number.doubleValue.rounded() else {
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

/// The BurstGPT trace format (Azure OpenAI GPT service logs, Wang et al. 2024): CSV with the
/// header `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`; `Timestamp`
/// in seconds after the start. Every row is taken, whatever its model or log type (keep the
/// rows of one model with `awk -F, '$2 == "ChatGPT"'` first, header included).
public struct BurstGPTTrace: ArrivalSource {
    public static let header = ["Timestamp", "Model", "Request tokens", "Response tokens", "Total tokens", "Log Type"]
    let reader: LineReader
    var rows: RequestRows

    public init(path: String, services: [(index: Int32, weight: Double)], rateScale: Double = 1, endS: Double = .infinity) throws(InputError) {
        reader = try LineReader(path: path)
        rows = RequestRows(services: services, rateScale: rateScale, endS: endS)
        _ = reader.next()
    }

    public mutating func next() throws(InputError) -> Arrival? {
        while let line = reader.next() {
            if line.isEmpty { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == Self.header.count else {
                throw InputError(.badData, at: reader.location(),
                                 "expected \(Self.header.count) fields (\(Self.header.joined(separator: ","))), found \(f.count)")
            }
            guard let t = Double(f[0].trimmingCharacters(in: .whitespaces)), t.isFinite, t >= 0 else {
                throw InputError(.badData, at: reader.location(), path: "Timestamp", "expected seconds since the start (a number ≥ 0), found '\(f[0])'")
            }
            var tokens: [Int32] = []
            for k in [2, 3] {
                guard let n = Int32(f[k].trimmingCharacters(in: .whitespaces)), n >= 0 else {
                    throw InputError(.badData, at: reader.location(column: LineReader.column(ofField: k, in: line)), path: Self.header[k],
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
