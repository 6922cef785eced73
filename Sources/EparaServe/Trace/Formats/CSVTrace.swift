import EparaCore
import Foundation

/// epara's own CSV trace, read row by row.
public struct CSVTrace: ArrivalSource {
    /// epara's own fields, the columns of its CSV and the keys of its JSON Lines.
    static let fields = ["time", "service", "stream", "origin", "input_tokens", "output_tokens"]

    let reader: LineReader
    let names: TraceNames
    var random: SeededRandom
    var columns: [String: Int] = [:]
    var last = -Double.infinity
    let timeScale: Double
    let endS: Double

    public init(path: String, names: TraceNames, random: SeededRandom, rateScale: Double = 1, endS: Double = .infinity) throws(InputError) {
        reader = try LineReader(path: path)
        self.names = names
        self.random = random
        timeScale = 1 / rateScale
        self.endS = endS
        guard let header = reader.next() else {
            throw InputError(.badData, at: reader.location(), "empty trace: expected a header line naming time and service")
        }
        for (i, name) in header.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let key = name.trimmingCharacters(in: .whitespaces)
            guard Self.fields.contains(key) else {
                let hint = Suggestion.closest(to: key, in: Self.fields).map { " (did you mean '\($0)'?)" } ?? ""
                throw InputError(
                    .badData, at: reader.location(column: LineReader.column(ofField: i, in: header)),
                    "unknown column '\(key)'\(hint); columns: \(Self.fields.joined(separator: ", "))")
            }
            columns[key] = i
        }
        for required in ["time", "service"] where columns[required] == nil {
            throw InputError(.badData, at: reader.location(), "the header has no '\(required)' column")
        }
    }

    public mutating func next() throws(InputError) -> Arrival? {
        while let line = reader.next() {
            if line.isEmpty || line.allSatisfy({ $0 == " " }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            func field(_ name: String) -> Substring? {
                guard let i = columns[name], i < fields.count else { return nil }
                let f = fields[i]
                return f.isEmpty ? nil : f
            }
            func at(_ name: String) -> SourceLocation { reader.location(column: LineReader.column(ofField: columns[name] ?? 0, in: line)) }
            guard fields.count == columns.count else {
                throw InputError(.badData, at: reader.location(), "expected \(columns.count) fields, found \(fields.count)")
            }
            guard let timeText = field("time"), let time = Double(timeText), time.isFinite, time >= 0 else {
                throw InputError(
                    .badData, at: at("time"), path: "time", "expected seconds since the start (a number ≥ 0), found '\(field("time") ?? "")'")
            }
            guard time >= last else {
                throw InputError(.badData, at: at("time"), path: "time", "times must not decrease: \(time) after \(last)")
            }
            last = time
            guard let serviceName = field("service") else {
                throw InputError(.badData, at: at("service"), path: "service", "expected a service name, found nothing")
            }
            let service = try names.service(serviceName, at: at("service"))
            var arrival = Arrival(time: time * timeScale, service: service)
            guard arrival.time < endS else { return nil }
            if let text = field("stream") {
                guard let stream = Int32(text), stream >= 0 else {
                    throw InputError(.badData, at: at("stream"), path: "stream", "expected a stream number ≥ 0, found '\(text)'")
                }
                arrival.stream = stream
            }
            if let text = field("origin") { arrival.origin = try names.origin(text, at: at("origin"), random: &random) }
            for (key, path) in [("input_tokens", \Arrival.inputTokens), ("output_tokens", \Arrival.outputTokens)] {
                if let text = field(key) {
                    guard let n = Int32(text), n >= 0 else {
                        throw InputError(.badData, at: at(key), path: key, "expected a token count ≥ 0, found '\(text)'")
                    }
                    arrival[keyPath: path] = n
                }
            }
            return arrival
        }
        return nil
    }
}

extension CSVTrace {
    struct Format: TraceFormat {
        var name: String { "epara CSV" }
        var expected: String { "a CSV header starting with 'time' (time,service,…)" }
        var feeds: TraceFeed { .servicesInRows }

        func recognizes(_ head: TraceHead) -> Bool { head.columns.first == "time" }

        func spanS(of path: String) throws(InputError) -> Double {
            guard let ends = TraceEnds(path: path) else { return 0 }
            let header = ends.first.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let column = header.firstIndex(of: "time") else { return 0 }
            let fields = ends.last.split(separator: ",", omittingEmptySubsequences: false)
            return column < fields.count ? Double(fields[column]) ?? 0 : 0
        }

        func sources(_ reading: TraceReading) throws(InputError) -> [any ArrivalSource] {
            [try CSVTrace(path: reading.path, names: reading.names, random: reading.random, rateScale: reading.rateScale, endS: reading.endS)]
        }

        func servicesCovered(_ reading: TraceReading) throws(InputError) -> Set<ServiceIndex> {
            let reader = try LineReader(path: reading.path)
            guard let header = reader.next(),
                let column = header.split(separator: ",").firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "service" })
            else { return [] }
            return reading.servicesNamed(by: reader) { line in
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                return column < fields.count ? String(fields[column]) : nil
            }
        }
    }
}
