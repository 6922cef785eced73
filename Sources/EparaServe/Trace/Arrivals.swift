import EparaCore
import Foundation

/// One request (or frame) entering the cluster, as a trace or a generator produces it.
public struct Arrival: Sendable, Equatable {
    public var time: Double
    public var service: ServiceIndex
    /// Stream within the service (frames of a camera); nil for a request of no stream.
    public var stream: Int32?
    /// Node where it arrives; nil lets the engine pick one of the service's origins.
    public var origin: NodeIndex?
    public var inputTokens: Int32
    public var outputTokens: Int32

    public init(
        time: Double, service: ServiceIndex, stream: Int32? = nil, origin: NodeIndex? = nil, inputTokens: Int32 = 0, outputTokens: Int32 = 0
    ) {
        self.time = time
        self.service = service
        self.stream = stream
        self.origin = origin
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }
}

/// A time-ordered stream of arrivals, read lazily so that a run's memory does not grow with its
/// length. The engine merges many sources by time.
public protocol ArrivalSource {
    mutating func next() throws(InputError) -> Arrival?
}

/// The inter-arrival process of a generated request stream.
public enum ArrivalProcess: Sendable, Equatable, CustomStringConvertible {
    case poisson
    /// Gamma-distributed gaps with this coefficient of variation (1 is Poisson; above is burstier).
    case gamma(cv: Double)
    /// Poisson whose rate follows a sinusoid: rate × (1 + amplitude·sin(2πt/period)).
    case diurnal(periodS: Double, amplitude: Double)

    public var description: String {
        switch self {
        case .poisson: "poisson"
        case let .gamma(cv): "gamma(cv=\(cv))"
        case let .diurnal(period, amplitude): "diurnal(period=\(period)s,amplitude=\(amplitude))"
        }
    }
}

/// Requests of one service at a mean rate, by a chosen process, until `endS`.
public struct GeneratedArrivals: ArrivalSource {
    let service: ServiceIndex
    let rate: Double
    let process: ArrivalProcess
    let endS: Double
    let inputTokens: Double
    let outputTokens: Double
    var random: SeededRandom
    var time = 0.0

    public init(
        service: ServiceIndex, ratePerS: Double, process: ArrivalProcess, endS: Double, inputTokens: Double = 0,
        outputTokens: Double = 0, random: SeededRandom
    ) {
        self.service = service
        self.rate = ratePerS
        self.process = process
        self.endS = endS
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.random = random
    }

    public mutating func next() -> Arrival? {
        guard rate > 0 else { return nil }
        switch process {
        case .poisson:
            time += random.exponential(mean: 1 / rate)
        case let .gamma(cv):
            let shape = 1 / (cv * cv)
            time += random.gamma(shape: shape, scale: 1 / (rate * shape))
        case let .diurnal(period, amplitude):
            // Thinning (Lewis and Shedler): candidates at the peak rate, kept in proportion.
            let peak = rate * (1 + amplitude)
            while true {
                time += random.exponential(mean: 1 / peak)
                let current = rate * (1 + amplitude * sin(2 * .pi * time / period))
                if random.unit() * peak <= current { break }
            }
        }
        guard time < endS else { return nil }
        // LLM prompt and answer lengths: exponential around the service's means (a trace gives real ones).
        let input = inputTokens > 0 ? Int32(max(1, random.exponential(mean: inputTokens).rounded())) : 0
        let output = outputTokens > 0 ? Int32(max(1, random.exponential(mean: outputTokens).rounded())) : 0
        return Arrival(time: time, service: service, inputTokens: input, outputTokens: output)
    }
}

/// The frames of one camera stream: one every 1/fps seconds from a phase, at a fixed origin.
public struct StreamFrames: ArrivalSource {
    let service: ServiceIndex
    let stream: Int32
    let origin: NodeIndex
    let interval: Double
    let endS: Double
    var index = 0.0
    let phase: Double

    public init(service: ServiceIndex, stream: Int32, origin: NodeIndex, fps: Double, phaseS: Double, endS: Double) {
        self.service = service
        self.stream = stream
        self.origin = origin
        self.interval = 1 / fps
        self.phase = phaseS
        self.endS = endS
    }

    public mutating func next() -> Arrival? {
        let time = phase + index * interval
        guard time < endS else { return nil }
        index += 1
        return Arrival(time: time, service: service, stream: stream, origin: origin)
    }
}

/// A recorded sequence of arrivals (tests, and sources read whole).
public struct ListedArrivals: ArrivalSource {
    var arrivals: [Arrival]
    var index = 0

    public init(_ arrivals: [Arrival]) { self.arrivals = arrivals.sorted { $0.time < $1.time } }

    public mutating func next() -> Arrival? {
        guard index < arrivals.count else { return nil }
        defer { index += 1 }
        return arrivals[index]
    }
}

/// Reads a file line by line through the C library (a trace may be larger than memory allows
/// to hold as a string).
final class LineReader {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: UnsafeMutablePointer<CChar>? = nil
    private var capacity = 0
    private(set) var lineNumber = 0

    init(path: String) throws(InputError) {
        self.path = path
        guard let file = fopen(path, "r") else {
            throw InputError(
                .missingInput, at: SourceLocation(file: path, line: 1, column: 1),
                "cannot open trace: \(String(cString: strerror(errno)))")
        }
        self.file = file
    }

    deinit {
        free(buffer)
        fclose(file)
    }

    /// The next line without its line break, or nil at the end.
    func next() -> Substring? {
        let count = getline(&buffer, &capacity, file)
        guard count >= 0, let buffer else { return nil }
        lineNumber += 1
        var length = count
        while length > 0, buffer[length - 1] == 10 || buffer[length - 1] == 13 { length -= 1 }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: length)
        return Substring(decoding: bytes, as: UTF8.self)
    }

    func location(column: Int = 1) -> SourceLocation { SourceLocation(file: path, line: max(lineNumber, 1), column: column) }

    /// Column (1-based) where comma-separated field `field` (0-based) of `line` starts, for locations.
    static func column(ofField field: Int, in line: Substring) -> Int {
        var column = 1, seen = 0
        for ch in line {
            if seen == field { return column }
            if ch == "," { seen += 1 }
            column += 1
        }
        return column
    }

    /// `line` (the one just read) as a JSON object, or a located error.
    func jsonObject(_ line: Substring, expecting what: String) throws(InputError) -> [String: Any] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(line.utf8))
        } catch {
            throw InputError(.badData, at: location(), "malformed JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)")
        }
        guard let object = parsed as? [String: Any] else { throw InputError(.badData, at: location(), "expected \(what)") }
        return object
    }
}
