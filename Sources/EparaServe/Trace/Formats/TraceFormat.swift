import EparaCore
import Foundation

/// A trace file format `serve --trace` reads: how a file of it is recognized, which services
/// its rows may feed, how long it lasts, and the sources that read it. `TraceFormats.all`
/// lists every one.
protocol TraceFormat: Sendable {
    /// What the Run document calls the file ("epara CSV", "Mooncake").
    var name: String { get }
    /// What the format looks like, for the error on a file no format recognizes.
    var expected: String { get }
    /// How its rows reach services, and so what `SERVICE=` it takes.
    var feeds: TraceFeed { get }
    /// Whether a file starting with `head` is of this format.
    func recognizes(_ head: TraceHead) -> Bool
    /// Seconds from the first arrival to the last, before any rate scale.
    func spanS(of path: String) throws(InputError) -> Double
    /// The arrival sources that read the file.
    func sources(_ reading: TraceReading) throws(InputError) -> [any ArrivalSource]
    /// The services the file covers (no traffic is generated for them).
    func servicesCovered(_ reading: TraceReading) throws(InputError) -> Set<ServiceIndex>
}

extension TraceFormat {
    func servicesCovered(_ reading: TraceReading) throws(InputError) -> Set<ServiceIndex> { Set(reading.targets) }
}

/// How a format's rows reach services.
enum TraceFeed: Equatable, Sendable {
    /// Each row names its service (epara's own formats), so the file takes no `SERVICE=`.
    case servicesInRows
    /// Rows are LLM requests, shared among the bound services, or every LLM service.
    case llmRequests
    /// Rates or counts with no service: `SERVICE=FILE` is required, and camera streams are
    /// refused. `file` names such a file in that error ("a ServeGen rate file").
    case boundServices(file: String)
}

/// The start of a trace file as formats recognize it: its first line (a CSV header) and its
/// first non-empty line read as JSON.
struct TraceHead {
    /// The first line's comma-separated columns, trimmed.
    var columns: [String]
    /// The first non-empty line as JSON; nil when it does not start with `{`.
    var json: JSONLine?

    enum JSONLine {
        case object(keys: Set<String>)
        /// Starts with `{` but is no JSON object: the JSON Lines reader locates what is wrong.
        case malformed
    }

    /// The head of the file whose lines `next` gives in order; nil when it has none.
    init?(next: () -> Substring?) {
        guard let first = next() else { return nil }
        var line = Self.trimmed(first)
        columns = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        while line.isEmpty, let following = next() { line = Self.trimmed(following) }
        guard line.hasPrefix("{") else {
            json = nil
            return
        }
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        json = object.map { .object(keys: Set($0.keys)) } ?? .malformed
    }

    static func read(path: String) throws(InputError) -> TraceHead? {
        let reader = try LineReader(path: path)
        return TraceHead(next: reader.next)
    }

    /// Without leading spaces or a byte-order mark.
    static func trimmed(_ line: Substring) -> Substring { line.drop { $0 == " " || $0 == "\u{FEFF}" } }

    /// The JSON object's keys, nil unless the line is one.
    var jsonKeys: Set<String>? {
        if case .object(let keys) = json { return keys }
        return nil
    }
}

/// What a format's readers need to turn one file into arrivals.
struct TraceReading {
    var path: String
    var names: TraceNames
    var deployment: Deployment
    /// The services the file feeds: bound with `SERVICE=`, or for an unbound LLM trace every
    /// LLM service; empty for epara's own formats.
    var targets: [ServiceIndex]
    /// The file's own stream (sites' nodes, times within a minute, ServeGen's gaps).
    var random: SeededRandom
    /// Trace time is divided by it.
    var rateScale: Double
    var endS: Double

    /// The services the rows `reader` has left name (`service` finds a row's), read once up
    /// front: a trace that names its services covers them. A trace names few services.
    func servicesNamed(by reader: LineReader, service: (Substring) -> String?) -> Set<ServiceIndex> {
        var found = Set<ServiceIndex>()
        while let line = reader.next() {
            if let name = service(line), let index = names.services[name] { found.insert(index) }
        }
        return found
    }

    /// Targets weighted by their planned demand, for sharing an LLM trace's rows.
    var weightedTargets: [(index: ServiceIndex, weight: Double)] {
        targets.map { (index: $0, weight: max(deployment.services[$0].ratePerS, 1e-9)) }
    }
}

/// The first line, the second and the last of a trace file, read from its head and tail only:
/// enough for a format whose rows carry times to find its span.
struct TraceEnds {
    var first: Substring
    var second: Substring
    var last: Substring

    /// Nil when the file has fewer than two lines.
    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64 << 10)) ?? Data()
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 64 << 10 ? size - (64 << 10) : 0)
        let tail = (try? handle.readToEnd()) ?? Data()
        let lines = String(decoding: head, as: UTF8.self).split(whereSeparator: \.isNewline).prefix(2)
        let final = String(decoding: tail, as: UTF8.self).split(whereSeparator: \.isNewline).last
        let ends = Array(lines) + (final.map { [$0] } ?? [])
        guard ends.count >= 2 else { return nil }
        first = ends[0]
        second = ends[1]
        last = ends[ends.count - 1]
    }

    /// The last line as a JSON object (a JSON Lines trace's last row).
    var lastObject: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any] }
}
