import EparaCore
import Foundation

/// epara's own JSON Lines trace: `{"time": 0.5, "service": "chat", "input_tokens": 800, ...}`.
public struct JSONLinesTrace: ArrivalSource {
    let reader: LineReader
    let names: TraceNames
    var random: SeededRandom
    var last = -Double.infinity
    let timeScale: Double
    let endS: Double

    public init(path: String, names: TraceNames, random: SeededRandom, rateScale: Double = 1, endS: Double = .infinity) throws(InputError) {
        reader = try LineReader(path: path)
        self.names = names
        self.random = random
        timeScale = 1 / rateScale
        self.endS = endS
    }

    public mutating func next() throws(InputError) -> Arrival? {
        while let line = reader.next() {
            if line.allSatisfy({ $0 == " " }) { continue }
            let object = try reader.jsonObject(line, expecting: "a JSON object per line")
            for key in object.keys.sorted() where !CSVTrace.fields.contains(key) {
                let hint = Suggestion.closest(to: key, in: CSVTrace.fields).map { " (did you mean '\($0)'?)" } ?? ""
                throw InputError(.badData, at: reader.location(), path: key, "unknown field '\(key)'\(hint)")
            }
            guard let time = (object["time"] as? NSNumber)?.doubleValue, time.isFinite, time >= 0 else {
                throw InputError(.badData, at: reader.location(), path: "time", "expected seconds since the start (a number ≥ 0)")
            }
            guard time >= last else {
                throw InputError(.badData, at: reader.location(), path: "time", "times must not decrease: \(time) after \(last)")
            }
            last = time
            guard let name = object["service"] as? String else {
                throw InputError(.badData, at: reader.location(), path: "service", "expected a service name")
            }
            var arrival = Arrival(time: time * timeScale, service: try names.service(Substring(name), at: reader.location()))
            guard arrival.time < endS else { return nil }
            if let value = object["stream"] {
                guard let n = (value as? NSNumber)?.int32Value, n >= 0 else {
                    throw InputError(.badData, at: reader.location(), path: "stream", "expected a stream number ≥ 0")
                }
                arrival.stream = n
            }
            if let value = object["origin"] {
                guard let text = value as? String else {
                    throw InputError(.badData, at: reader.location(), path: "origin", "expected a node or site name")
                }
                arrival.origin = try names.origin(Substring(text), at: reader.location(), random: &random)
            }
            for (key, path) in [("input_tokens", \Arrival.inputTokens), ("output_tokens", \Arrival.outputTokens)] {
                if let value = object[key] {
                    guard let n = (value as? NSNumber)?.int32Value, n >= 0 else {
                        throw InputError(.badData, at: reader.location(), path: key, "expected a token count ≥ 0")
                    }
                    arrival[keyPath: path] = n
                }
            }
            return arrival
        }
        return nil
    }
}

extension JSONLinesTrace {
    struct Format: TraceFormat {
        var name: String { "epara JSON Lines" }
        var expected: String { "JSON Lines" }
        var feeds: TraceFeed { .servicesInRows }

        /// Any JSON object Mooncake's keys do not claim; a first line that is no JSON object
        /// too, so that the reader locates what is wrong with it.
        func recognizes(_ head: TraceHead) -> Bool {
            switch head.json {
            case .object(let keys): !MooncakeTrace.Format.claims(keys)
            case .malformed: true
            case nil: false
            }
        }

        func spanS(of path: String) throws(InputError) -> Double {
            (TraceEnds(path: path)?.lastObject?["time"] as? NSNumber)?.doubleValue ?? 0
        }

        func sources(_ reading: TraceReading) throws(InputError) -> [any ArrivalSource] {
            [
                try JSONLinesTrace(
                    path: reading.path, names: reading.names, random: reading.random, rateScale: reading.rateScale,
                    endS: reading.endS)
            ]
        }

        /// Lines that are no JSON object are left to the reader, which locates them.
        func servicesCovered(_ reading: TraceReading) throws(InputError) -> Set<ServiceIndex> {
            reading.servicesNamed(by: try LineReader(path: reading.path)) { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["service"] as? String
            }
        }
    }
}
