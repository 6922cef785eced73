import EparaCore
import Foundation

/// A trace file on the command line, optionally bound to a service (`chat=trace.csv`) or to
/// several that share it (`chat-a,chat-b=trace.csv`).
public struct TraceFile: Sendable, Equatable {
    public var path: String
    public var service: String?

    public init(path: String, service: String? = nil) {
        self.path = path
        self.service = service
    }

    /// `SERVICE=PATH` or `PATH`.
    public init(argument: String) {
        if let eq = argument.firstIndex(of: "="), !argument[..<eq].contains("/") {
            self.init(path: String(argument[argument.index(after: eq)...]), service: String(argument[..<eq]))
        } else {
            self.init(path: argument)
        }
    }
}

/// The formats `serve --trace` reads, told apart by their first line.
public enum TraceFormat: String, Sendable {
    /// epara's own: CSV with a header naming `time` (seconds), `service`, and optionally
    /// `stream`, `origin` (node or site), `input_tokens`, `output_tokens`.
    case csv
    /// epara's own, one JSON object per line with the same fields.
    case jsonl
    /// Azure LLM inference trace 2023: `TIMESTAMP,ContextTokens,GeneratedTokens`.
    case azureLLM = "azure-llm"
    /// ServeGen per-client rates in 10-minute windows (the long form in traces/README.md).
    case serveGen = "servegen"
    /// Mooncake (FAST'25): JSON Lines with `timestamp` (ms), `input_length`, `output_length`, `hash_ids`.
    case mooncake
    /// BurstGPT: `Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type`.
    case burstGPT = "burstgpt"
    /// Azure Functions 2019 invocation counts: `HashOwner,HashApp,HashFunction,Trigger,1,…,1440`.
    case azureFunctions = "azure-functions"

    /// Formats whose rows are LLM requests with token counts.
    var feedsLLMs: Bool { self == .azureLLM || self == .mooncake || self == .burstGPT }

    static func detect(header: Substring, path: String) -> TraceFormat? {
        let trimmed = header.drop { $0 == " " || $0 == "\u{FEFF}" }
        if trimmed.hasPrefix("{") {
            return trimmed.contains("\"input_length\"") || trimmed.contains("\"timestamp\"") ? .mooncake : .jsonl
        }
        let columns = trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if columns.starts(with: ["TIMESTAMP", "ContextTokens", "GeneratedTokens"]) { return .azureLLM }
        if columns.starts(with: ["Timestamp", "Model"]) { return .burstGPT }
        if columns.starts(with: ["HashOwner", "HashApp", "HashFunction", "Trigger"]) { return .azureFunctions }
        if columns.starts(with: ["client_id", "window_start_s", "rate_rps"]) { return .serveGen }
        if columns.first == "time" { return .csv }
        return nil
    }
}

/// Names the readers resolve: services and nodes (or sites) of the plan being served.
public struct TraceNames: Sendable {
    public var services: [String: Int]
    public var nodes: [String: Int]
    /// Site name → its nodes.
    public var sites: [String: [Int]]

    public init(deployment: Deployment) {
        services = deployment.serviceIndex
        nodes = deployment.nodeIndex
        var sites: [String: [Int]] = [:]
        for (i, node) in deployment.nodes.enumerated() { sites[node.site, default: []].append(i) }
        self.sites = sites
    }

    func service(_ name: Substring, at location: SourceLocation) throws(InputError) -> Int32 {
        if let index = services[String(name)] { return Int32(index) }
        let hint = Suggestion.closest(to: String(name), in: Array(services.keys)).map { " (did you mean '\($0)'?)" } ?? ""
        throw InputError(.badData, at: location, path: "service",
                         "unknown service '\(name)'\(hint); the plan has \(services.keys.sorted().joined(separator: ", "))")
    }

    /// A node index, or for a site the negative of (site number + 2) resolved later by the engine.
    func origin(_ name: Substring, at location: SourceLocation, random: inout SeededRandom) throws(InputError) -> Int32 {
        if let index = nodes[String(name)] { return Int32(index) }
        if let members = sites[String(name)], !members.isEmpty {
            return Int32(members[Int(random.next() % UInt64(members.count))])
        }
        let hint = Suggestion.closest(to: String(name), in: Array(nodes.keys) + Array(sites.keys)).map { " (did you mean '\($0)'?)" } ?? ""
        throw InputError(.badData, at: location, path: "origin", "unknown node or site '\(name)'\(hint)")
    }
}

/// epara's own CSV trace, read row by row.
public struct CSVTrace: ArrivalSource {
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
            let known = ["time", "service", "stream", "origin", "input_tokens", "output_tokens"]
            guard known.contains(key) else {
                let hint = Suggestion.closest(to: key, in: known).map { " (did you mean '\($0)'?)" } ?? ""
                throw InputError(.badData, at: reader.location(column: LineReader.column(ofField: i, in: header)),
                                 "unknown column '\(key)'\(hint); columns: \(known.joined(separator: ", "))")
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
                throw InputError(.badData, at: at("time"), path: "time", "expected seconds since the start (a number ≥ 0), found '\(field("time") ?? "")'")
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
            let known = ["time", "service", "stream", "origin", "input_tokens", "output_tokens"]
            for key in object.keys.sorted() where !known.contains(key) {
                let hint = Suggestion.closest(to: key, in: known).map { " (did you mean '\($0)'?)" } ?? ""
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
            if let value = object["input_tokens"] {
                guard let n = (value as? NSNumber)?.int32Value, n >= 0 else {
                    throw InputError(.badData, at: reader.location(), path: "input_tokens", "expected a token count ≥ 0")
                }
                arrival.inputTokens = n
            }
            if let value = object["output_tokens"] {
                guard let n = (value as? NSNumber)?.int32Value, n >= 0 else {
                    throw InputError(.badData, at: reader.location(), path: "output_tokens", "expected a token count ≥ 0")
                }
                arrival.outputTokens = n
            }
            return arrival
        }
        return nil
    }
}

/// The Azure LLM inference trace 2023 (Splitwise): one row per request with its wall-clock time
/// and token counts. Times become seconds after the first row (divided by --rate-scale). Rows go
/// to `services` in turn by smooth weighted round-robin on their demand (one service: all rows),
/// so the mapping depends only on the row's position.
public struct AzureLLMTrace: ArrivalSource {
    let reader: LineReader
    var rows: RequestRows
    var start: Double? = nil

    public init(path: String, services: [(index: Int32, weight: Double)], rateScale: Double = 1, endS: Double = .infinity) throws(InputError) {
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
              let h = Double(clock[0]), let m = Double(clock[1]), let s = Double(clock[2]) else { return nil }
        return ((month * 31 + day) * 24 + h) * 3600 + m * 60 + s
    }

    public mutating func next() throws(InputError) -> Arrival? {
        while let line = reader.next() {
            if line.isEmpty { continue }
            let fields = line.split(separator: ",")
            guard fields.count == 3, let t = Self.seconds(fields[0]), let input = Int32(fields[1]), let output = Int32(fields[2]),
                  input >= 0, output >= 0 else {
                throw InputError(.badData, at: reader.location(),
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

/// ServeGen per-client rate windows. Each client's rows become arrivals: in each 600 s window,
/// gaps drawn from a Gamma distribution with the window's rate (× --rate-scale) and
/// coefficient of variation. Clients are spread over the service's origins by client id.
public enum ServeGenTrace {
    public struct Window: Sendable {
        public var startS: Double
        public var rate: Double
        public var cv: Double

        public init(startS: Double, rate: Double, cv: Double) {
            self.startS = startS
            self.rate = rate
            self.cv = cv
        }
    }

    public static let windowS = 600.0

    /// Reads the file whole (it is small: rates, not requests) into windows per client id.
    public static func read(path: String) throws(InputError) -> [Int: [Window]] {
        let reader = try LineReader(path: path)
        _ = reader.next()
        var clients: [Int: [Window]] = [:]
        while let line = reader.next() {
            if line.isEmpty { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 4, let client = Int(f[0]), let start = Double(f[1]), let rate = Double(f[2]), rate >= 0 else {
                throw InputError(.badData, at: reader.location(),
                                 "expected client_id,window_start_s,rate_rps,iat_cv,..., found '\(line.prefix(80))'")
            }
            let cv = Double(f[3]) ?? 1
            clients[client, default: []].append(Window(startS: start, rate: rate, cv: cv.isFinite && cv > 0 ? cv : 1))
        }
        return clients
    }

    /// One client's arrivals.
    public struct Client: ArrivalSource {
        let service: Int32
        let origin: Int32
        let windows: [Window]
        let rateScale: Double
        let endS: Double
        var random: SeededRandom
        var index = 0
        var time: Double

        public init(service: Int32, origin: Int32, windows: [Window], rateScale: Double, endS: Double, random: SeededRandom) {
            self.service = service
            self.origin = origin
            self.windows = windows.sorted { $0.startS < $1.startS }
            self.rateScale = rateScale
            self.endS = endS
            self.random = random
            time = self.windows.first?.startS ?? 0
        }

        public mutating func next() -> Arrival? {
            while index < windows.count {
                let w = windows[index]
                let rate = w.rate * rateScale
                let windowEnd = w.startS + ServeGenTrace.windowS
                if rate > 0 {
                    if time < w.startS { time = w.startS }
                    let shape = 1 / (w.cv * w.cv)
                    time += random.gamma(shape: shape, scale: 1 / (rate * shape))
                    if time < windowEnd {
                        guard time < endS else { return nil }
                        return Arrival(time: time, service: service, origin: origin)
                    }
                }
                index += 1
                time = windowEnd
            }
            return nil
        }
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
        var trace = try AzureLLMTrace(path: path, services: [(index: 0, weight: 1)])
        var rows: [Row] = []
        while let a = try trace.next() { rows.append(Row(time: a.time, inputTokens: a.inputTokens, outputTokens: a.outputTokens)) }
        return rows
    }
}

/// A recorded LLM trace replayed for one service from a phase: it starts `phase` (0–1) of the
/// way into the trace and wraps around at the end, so that several sites can each replay the
/// whole trace without their bursts lining up. Times are divided by `speedup`.
public struct PhasedReplay: ArrivalSource {
    let rows: [AzureLLMTrace.Row]
    let service: Int32
    let origins: [Int32]
    let speedup: Double
    let endS: Double
    let span: Double
    var index: Int
    var lap = 0.0
    let start: Double
    var random: SeededRandom

    public init(rows: [AzureLLMTrace.Row], service: Int32, origins: [Int32], phase: Double, speedup: Double, endS: Double,
                random: SeededRandom) {
        self.rows = rows
        self.service = service
        self.origins = origins
        self.speedup = speedup
        self.endS = endS
        // One mean gap after the last row before the first comes round again.
        span = (rows.last?.time ?? 0) + (rows.last?.time ?? 0) / Double(max(rows.count - 1, 1))
        index = min(Int(phase * Double(rows.count)), max(rows.count - 1, 0))
        start = rows.isEmpty ? 0 : rows[index].time
        self.random = random
    }

    public mutating func next() -> Arrival? {
        guard !rows.isEmpty else { return nil }
        if index == rows.count {
            index = 0
            lap += span
        }
        let row = rows[index]
        index += 1
        let time = (row.time - start + lap) / speedup
        guard time < endS else { return nil }
        let origin = origins.count == 1 ? origins[0] : origins[Int(random.next() % UInt64(origins.count))]
        return Arrival(time: time, service: service, origin: origin, inputTokens: row.inputTokens, outputTokens: row.outputTokens)
    }
}
