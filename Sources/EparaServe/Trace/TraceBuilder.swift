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

    public init(files: [TraceFile] = [], process: ArrivalProcess? = nil, durationS: Double? = nil, rateScale: Double = 1,
                seed: UInt64 = 1) {
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
    public var traced: Set<Int>

    public init(sources: [any ArrivalSource], digest: String, durationS: Double, description: [String: String], traced: Set<Int> = []) {
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
        var covered = Set<Int>()
        var described: [String: String] = [:]
        var pending: [(TraceFile, TraceFormat, [Int32])] = []
        var spanS = 0.0
        for (k, file) in options.files.enumerated() {
            let reader = try LineReader(path: file.path)
            guard let header = reader.next() else {
                throw InputError(.badData, at: SourceLocation(file: file.path, line: 1, column: 1), "empty trace")
            }
            guard let format = TraceFormat.detect(header: header, path: file.path) else {
                throw InputError(.badData, at: SourceLocation(file: file.path, line: 1, column: 1),
                                 "unrecognized trace: expected a CSV header starting with 'time' (time,service,…), JSON Lines, "
                                 + "the Azure LLM trace (TIMESTAMP,ContextTokens,GeneratedTokens), ServeGen rates (client_id,window_start_s,rate_rps,…), "
                                 + "Mooncake JSON Lines (timestamp,input_length,output_length,hash_ids), BurstGPT (Timestamp,Model,Request tokens,…) "
                                 + "or Azure Functions invocation counts (HashOwner,HashApp,HashFunction,Trigger,1,…,1440)")
            }
            hasher.update(data: Data("file\(k):\(file.service ?? "")=".utf8))
            try hashFile(file.path, into: &hasher)
            var targets: [Int32] = []
            let argumentLocation = SourceLocation(file: "--trace", line: 1, column: 1)
            // SERVICE=FILE, or A,B,C=FILE to share an LLM trace's rows among several services.
            for name in file.service?.split(separator: ",") ?? [] {
                targets.append(try names.service(name, at: argumentLocation))
            }
            switch format {
            case .csv, .jsonl:
                if file.service != nil {
                    throw InputError(.badData, at: argumentLocation, "\(file.path): an epara trace names its services in each row; drop '\(file.service!)='")
                }
            case .azureLLM, .mooncake, .burstGPT:
                if targets.isEmpty {
                    targets = deployment.services.indices.filter { deployment.services[$0].isLLM }.map { Int32($0) }
                }
                if let bad = targets.first(where: { !deployment.services[Int($0)].isLLM }) {
                    throw InputError(.badData, at: argumentLocation, "\(file.path): an LLM trace cannot feed '\(deployment.services[Int(bad)].name)', which is not an LLM service")
                }
                if targets.isEmpty {
                    throw InputError(.badData, at: argumentLocation, "\(file.path): an LLM trace needs an LLM service; the plan has none")
                }
            case .serveGen, .azureFunctions:
                if targets.isEmpty {
                    let kind = format == .serveGen ? "a ServeGen rate file" : "an Azure Functions invocation file"
                    throw InputError(.badData, at: argumentLocation, "\(file.path): say which service \(kind) feeds, as SERVICE=\(file.path)")
                }
                if let bad = targets.first(where: { deployment.services[Int($0)].streams > 0 }) {
                    throw InputError(.badData, at: argumentLocation, "\(file.path): '\(deployment.services[Int(bad)].name)' is a camera stream; its frames come from its streams, not a trace")
                }
            }
            spanS = max(spanS, try span(of: file.path, format: format) / fileScale)
            pending.append((file, format, targets))
        }
        // The span is the last row's time; readers keep rows before the end, so the default end
        // lies just past it: every row of a trace becomes an arrival, the last ones too.
        let durationS = options.durationS ?? (options.files.isEmpty ? 60 : spanS.nextUp)
        hasher.update(data: Data("duration=\(durationS);".utf8))
        var sources: [any ArrivalSource] = []
        for (k, (file, format, targets)) in pending.enumerated() {
            let random = root.derived(UInt64(1000 + k))
            switch format {
            case .csv:
                sources.append(try CSVTrace(path: file.path, names: names, random: random, rateScale: fileScale, endS: durationS))
                // Which services a native trace covers is known only once read; it covers the
                // services it names, so generated traffic is added only for the others below.
                covered.formUnion(try servicesNamed(in: file.path, format: format, names: names))
                described[file.path] = "epara CSV"
            case .jsonl:
                sources.append(try JSONLinesTrace(path: file.path, names: names, random: random, rateScale: fileScale, endS: durationS))
                covered.formUnion(try servicesNamed(in: file.path, format: format, names: names))
                described[file.path] = "epara JSON Lines"
            case .azureLLM, .mooncake, .burstGPT:
                let weighted = targets.map { (index: $0, weight: max(deployment.services[Int($0)].ratePerS, 1e-9)) }
                let label: String
                switch format {
                case .mooncake:
                    sources.append(try MooncakeTrace(path: file.path, services: weighted, rateScale: fileScale, endS: durationS))
                    label = "Mooncake"
                case .burstGPT:
                    sources.append(try BurstGPTTrace(path: file.path, services: weighted, rateScale: fileScale, endS: durationS))
                    label = "BurstGPT"
                default:
                    sources.append(try AzureLLMTrace(path: file.path, services: weighted, rateScale: fileScale, endS: durationS))
                    label = "Azure LLM 2023"
                }
                covered.formUnion(targets.map(Int.init))
                described[file.path] = "\(label) → " + targets.map { deployment.services[Int($0)].name }.joined(separator: ", ")
            case .azureFunctions:
                sources.append(try AzureFunctionsTrace(path: file.path, services: targets, rateScale: fileScale, endS: durationS,
                                                       random: random))
                covered.formUnion(targets.map(Int.init))
                described[file.path] = "Azure Functions invocations → " + targets.map { deployment.services[Int($0)].name }.joined(separator: ", ")
            case .serveGen:
                // Several services: client c goes to service c mod count (each keeps whole clients).
                for (client, windows) in try ServeGenTrace.read(path: file.path).sorted(by: { $0.key < $1.key }) {
                    let service = targets[client % targets.count]
                    let origins = deployment.services[Int(service)].origins
                    sources.append(ServeGenTrace.Client(service: service, origin: origins[client / targets.count % origins.count],
                                                        windows: windows, rateScale: fileScale, endS: durationS,
                                                        random: random.derived(UInt64(client))))
                }
                covered.formUnion(targets.map(Int.init))
                described[file.path] = "ServeGen rates → " + targets.map { deployment.services[Int($0)].name }.joined(separator: ", ")
            }
        }
        let traced = covered
        for (index, service) in deployment.services.enumerated() where !covered.contains(index) {
            let random = root.derived(UInt64(index))
            if service.streams > 0 {
                // Cameras start at random phases within one frame interval; each stays at one origin.
                var phases = random
                for stream in 0..<service.streams {
                    let origin = service.origins[stream % service.origins.count]
                    sources.append(StreamFrames(service: Int32(index), stream: Int32(stream), origin: origin,
                                                fps: service.fps * options.rateScale, phaseS: phases.unit() / (service.fps * options.rateScale),
                                                endS: durationS))
                }
                described[service.name] = "\(service.streams) streams × \(service.fps * options.rateScale) fps"
            } else {
                let process = options.process ?? service.cv.map { ArrivalProcess.gamma(cv: $0) } ?? .poisson
                if options.process == nil, let cv = service.cv { hasher.update(data: Data("cv[\(service.name)]=\(cv);".utf8)) }
                sources.append(GeneratedArrivals(service: Int32(index), ratePerS: service.ratePerS * options.rateScale,
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

    /// The first two lines and the last line of a file, reading only its head and tail.
    static func edges(of path: String) -> [Substring] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 64 << 10)) ?? Data()
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 64 << 10 ? size - (64 << 10) : 0)
        let tail = (try? handle.readToEnd()) ?? Data()
        let first = String(decoding: head, as: UTF8.self).split(whereSeparator: \.isNewline).prefix(2)
        let last = String(decoding: tail, as: UTF8.self).split(whereSeparator: \.isNewline).last
        return Array(first) + (last.map { [$0] } ?? [])
    }

    /// Seconds from the first arrival to the last (ServeGen: to the end of its last window).
    static func span(of path: String, format: TraceFormat) throws(InputError) -> Double {
        if format == .serveGen {
            // Rates, not requests: a small file, read whole.
            return try ServeGenTrace.read(path: path).values.flatMap { $0 }.map { $0.startS + ServeGenTrace.windowS }.max() ?? 0
        }
        if format == .azureFunctions { return try AzureFunctionsTrace.span(path: path) }
        let lines = edges(of: path)
        guard lines.count >= 2 else { return 0 }
        switch format {
        case .csv:
            let header = lines[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let column = header.firstIndex(of: "time") else { return 0 }
            let fields = lines[lines.count - 1].split(separator: ",", omittingEmptySubsequences: false)
            return column < fields.count ? Double(fields[column]) ?? 0 : 0
        case .jsonl:
            let last = lines[lines.count - 1]
            let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
            return (object?["time"] as? NSNumber)?.doubleValue ?? 0
        case .azureLLM:
            let first = lines[1].split(separator: ",").first.flatMap { AzureLLMTrace.seconds($0) } ?? 0
            let last = lines[lines.count - 1].split(separator: ",").first.flatMap { AzureLLMTrace.seconds($0) } ?? first
            return last - first
        case .mooncake:
            let last = lines[lines.count - 1]
            let object = try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any]
            return ((object?["timestamp"] as? NSNumber)?.doubleValue ?? 0) / 1000
        case .burstGPT:
            return lines[lines.count - 1].split(separator: ",").first.flatMap { Double($0) } ?? 0
        case .serveGen, .azureFunctions:
            return 0
        }
    }

    /// Services named by a native trace (read once up front; a trace names few services).
    static func servicesNamed(in path: String, format: TraceFormat, names: TraceNames) throws(InputError) -> Set<Int> {
        var found = Set<Int>()
        let reader = try LineReader(path: path)
        switch format {
        case .csv:
            guard let header = reader.next() else { return found }
            guard let column = header.split(separator: ",").firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "service" })
            else { return found }
            while let line = reader.next() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                if column < fields.count, let index = names.services[String(fields[column])] { found.insert(index) }
            }
        default:
            while let line = reader.next() {
                if let range = line.range(of: "\"service\"") {
                    let rest = line[range.upperBound...].drop { $0 == " " || $0 == ":" || $0 == "\"" }
                    let name = rest.prefix { $0 != "\"" }
                    if let index = names.services[String(name)] { found.insert(index) }
                }
            }
        }
        return found
    }
}
