import EparaCore
import Foundation

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
                throw InputError(
                    .badData, at: reader.location(),
                    "expected client_id,window_start_s,rate_rps,iat_cv,..., found '\(line.prefix(80))'")
            }
            let cv = Double(f[3]) ?? 1
            clients[client, default: []].append(Window(startS: start, rate: rate, cv: cv.isFinite && cv > 0 ? cv : 1))
        }
        return clients
    }

    /// One client's arrivals.
    public struct Client: ArrivalSource {
        let service: ServiceIndex
        let origin: NodeIndex
        let windows: [Window]
        let rateScale: Double
        let endS: Double
        var random: SeededRandom
        var index = 0
        var time: Double

        public init(service: ServiceIndex, origin: NodeIndex, windows: [Window], rateScale: Double, endS: Double, random: SeededRandom) {
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

extension ServeGenTrace {
    struct Format: TraceFormat {
        var name: String { "ServeGen rates" }
        var expected: String { "ServeGen rates (client_id,window_start_s,rate_rps,…)" }
        var feeds: TraceFeed { .boundServices(file: "a ServeGen rate file") }

        func recognizes(_ head: TraceHead) -> Bool { head.columns.starts(with: ["client_id", "window_start_s", "rate_rps"]) }

        /// To the end of the last window (rates, not requests: a small file, read whole).
        func spanS(of path: String) throws(InputError) -> Double {
            try ServeGenTrace.read(path: path).values.flatMap { $0 }.map { $0.startS + ServeGenTrace.windowS }.max() ?? 0
        }

        /// One source per client. Bound to several services, client c goes to service c mod
        /// count, so each service keeps whole clients.
        func sources(_ reading: TraceReading) throws(InputError) -> [any ArrivalSource] {
            let targets = reading.targets
            return try ServeGenTrace.read(path: reading.path).sorted(by: { $0.key < $1.key }).map { client, windows in
                let service = targets[client % targets.count]
                let origins = reading.deployment.services[service].origins
                return ServeGenTrace.Client(
                    service: service, origin: origins[client / targets.count % origins.count], windows: windows,
                    rateScale: reading.rateScale, endS: reading.endS, random: reading.random.derived(UInt64(client)))
            }
        }
    }
}
