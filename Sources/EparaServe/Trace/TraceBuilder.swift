import Crypto
import EparaCore
import Foundation

/// What `serve` runs: trace files and how to generate the rest.
public struct TraceOptions: Sendable {
    public var files: [TraceFile]
    /// Process of generated requests for services no trace file covers; nil: each service's
    /// own (Gamma with its `demand.cv` where the Services give one, Poisson elsewhere).
    public var process: ArrivalProcess?
    /// Length of the run; nil: the traces' span, or 60 s when there is none.
    public var durationS: Double?
    /// Multiplies every rate: generated ones, ServeGen's, and compresses trace time.
    public var rateScale: Double
    /// Multiplies the rates of trace files only (on top of `rateScale`): a plan made for k× the
    /// demand already generates its own services at k×, but the files it replays must be
    /// sped up to match (`epara capacity`).
    public var traceSpeedup: Double = 1
    public var seed: UInt64

    public init(
        files: [TraceFile] = [], process: ArrivalProcess? = nil, durationS: Double? = nil, rateScale: Double = 1,
        seed: UInt64 = 1
    ) {
        self.files = files
        self.process = process
        self.durationS = durationS
        self.rateScale = rateScale
        self.seed = seed
    }
}

/// The arrivals of a run, ready for the engine.
public struct TraceSet {
    public var sources: [any ArrivalSource]
    /// SHA-256 over the trace files' bytes and every generator setting: runs with equal digests
    /// replayed the same workload.
    public var digest: String
    public var durationS: Double
    /// Which services each file feeds, and which are generated (for the Run document).
    public var description: [String: String]
    /// Services the trace files feed (the others are generated).
    public var traced: Set<ServiceIndex>

    public init(sources: [any ArrivalSource], digest: String, durationS: Double, description: [String: String], traced: Set<ServiceIndex> = []) {
        self.sources = sources
        self.digest = digest
        self.durationS = durationS
        self.description = description
        self.traced = traced
    }
}

public enum TraceBuilder {
    public static func build(_ options: TraceOptions, deployment: Deployment) throws(InputError) -> TraceSet {
        let names = TraceNames(deployment: deployment)
        let root = SeededRandom(seed: options.seed)
        var hasher = SHA256()
        hasher.update(data: Data("seed=\(options.seed);process=\(options.process ?? .poisson);scale=\(options.rateScale);".utf8))
        if options.traceSpeedup != 1 { hasher.update(data: Data("speedup=\(options.traceSpeedup);".utf8)) }
        let fileScale = options.rateScale * options.traceSpeedup
        var covered = Set<ServiceIndex>()
        var described: [String: String] = [:]
        var pending: [(file: TraceFile, format: any TraceFormat, targets: [ServiceIndex])] = []
        var spanS = 0.0
        for (k, file) in options.files.enumerated() {
            let format = try TraceFormats.recognize(path: file.path)
            hasher.update(data: Data("file\(k):\(file.service ?? "")=".utf8))
            try hashFile(file.path, into: &hasher)
            let targets = try self.targets(of: file, feeds: format.feeds, names: names, deployment: deployment)
            spanS = max(spanS, try format.spanS(of: file.path) / fileScale)
            pending.append((file, format, targets))
        }
        // The span is the last row's time; readers keep rows before the end, so the default end
        // lies just past it: every row of a trace becomes an arrival, the last ones too. A trace
        // whose rows all come at once (a burst at 0) is measured over a second, not over nothing.
        let durationS = options.durationS ?? (options.files.isEmpty ? 60 : max(spanS.nextUp, 1))
        hasher.update(data: Data("duration=\(durationS);".utf8))
        var sources: [any ArrivalSource] = []
        for (k, (file, format, targets)) in pending.enumerated() {
            let reading = TraceReading(
                path: file.path, names: names, deployment: deployment, targets: targets,
                random: root.derived(UInt64(1000 + k)), rateScale: fileScale, endS: durationS)
            sources.append(contentsOf: try format.sources(reading))
            // Which services a native trace covers is known only once read; it covers the
            // services it names, so generated traffic is added only for the others below.
            covered.formUnion(try format.servicesCovered(reading))
            described[file.path] =
                format.feeds == .servicesInRows
                ? format.name : "\(format.name) → " + targets.map { deployment.services[$0].name }.joined(separator: ", ")
        }
        let traced = covered
        for (index, service) in deployment.services.indexed() where !covered.contains(index) {
            let random = root.derived(UInt64(index.offset))
            if service.streams > 0 {
                // Cameras start at random phases within one frame interval; each stays at one origin.
                var phases = random
                for stream in 0..<service.streams {
                    let origin = service.origins[stream % service.origins.count]
                    sources.append(
                        StreamFrames(
                            service: index, stream: Int32(stream), origin: origin,
                            fps: service.fps * options.rateScale, phaseS: phases.unit() / (service.fps * options.rateScale),
                            endS: durationS))
                }
                described[service.name] = "\(service.streams) streams × \(service.fps * options.rateScale) fps"
            } else {
                let process = options.process ?? service.cv.map { ArrivalProcess.gamma(cv: $0) } ?? .poisson
                if options.process == nil, let cv = service.cv { hasher.update(data: Data("cv[\(service.name)]=\(cv);".utf8)) }
                sources.append(
                    GeneratedArrivals(
                        service: index, ratePerS: service.ratePerS * options.rateScale,
                        process: process, endS: durationS, inputTokens: service.inputTokens,
                        outputTokens: service.outputTokens, random: random))
                described[service.name] = "\(process) at \(service.ratePerS * options.rateScale)/s"
            }
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return TraceSet(sources: sources, digest: "sha256:" + digest, durationS: durationS, description: described, traced: traced)
    }

    /// Hashes a file in 1 MiB chunks (a trace may be larger than memory should hold at once).
    static func hashFile(_ path: String, into hasher: inout SHA256) throws(InputError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError(.missingInput, at: SourceLocation(file: path, line: 1, column: 1), "cannot read trace")
        }
        defer { try? handle.close() }
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw InputError(.io, at: SourceLocation(file: path, line: 1, column: 1), "cannot read trace: \(error)")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
    }

    /// The services `file` feeds, by what its format's rows are: none named on the command
    /// line for epara's own formats (their rows name them), LLM services for LLM traces (every
    /// one when none is named), and the named services, not camera streams, for rates and counts.
    static func targets(of file: TraceFile, feeds: TraceFeed, names: TraceNames, deployment: Deployment) throws(InputError) -> [ServiceIndex] {
        var targets: [ServiceIndex] = []
        let argumentLocation = SourceLocation(file: "--trace", line: 1, column: 1)
        // SERVICE=FILE, or A,B,C=FILE to share an LLM trace's rows among several services.
        for name in file.service?.split(separator: ",") ?? [] {
            targets.append(try names.service(name, at: argumentLocation))
        }
        switch feeds {
        case .servicesInRows:
            if let service = file.service {
                throw InputError(.badData, at: argumentLocation, "\(file.path): an epara trace names its services in each row; drop '\(service)='")
            }
        case .llmRequests:
            if targets.isEmpty {
                targets = deployment.services.indices.filter { deployment.services[$0].isLLM }
            }
            if let bad = targets.first(where: { !deployment.services[$0].isLLM }) {
                throw InputError(
                    .badData, at: argumentLocation,
                    "\(file.path): an LLM trace cannot feed '\(deployment.services[bad].name)', which is not an LLM service")
            }
            if targets.isEmpty {
                throw InputError(.badData, at: argumentLocation, "\(file.path): an LLM trace needs an LLM service; the plan has none")
            }
        case .boundServices(let kind):
            if targets.isEmpty {
                throw InputError(.badData, at: argumentLocation, "\(file.path): say which service \(kind) feeds, as SERVICE=\(file.path)")
            }
            if let bad = targets.first(where: { deployment.services[$0].streams > 0 }) {
                throw InputError(
                    .badData, at: argumentLocation,
                    "\(file.path): '\(deployment.services[bad].name)' is a camera stream; its frames come from its streams, not a trace")
            }
        }
        return targets
    }
}
