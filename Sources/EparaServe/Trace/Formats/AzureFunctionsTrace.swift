import EparaCore

/// The Azure Functions 2019 invocation trace (Shahrad et al., ATC'20; the trace AlpaServe and
/// EPARA replay): one row per function, `HashOwner,HashApp,HashFunction,Trigger` then the
/// function's invocations in each minute of a day (columns `1` … `1440`). Functions are dealt
/// to the target services whole (row r to service r mod count); within a minute a service's
/// invocations arrive at uniformly random times, so the burstiness between minutes is the
/// trace's and within one it is Poisson's.
public struct AzureFunctionsTrace: ArrivalSource {
    public static let keyColumns = ["HashOwner", "HashApp", "HashFunction", "Trigger"]

    /// Invocations per minute of each target service (index into `services`), summed over its functions.
    let perMinute: [[Int32]]
    let services: [ServiceIndex]
    let timeScale: Double
    let endS: Double
    var random: SeededRandom
    var minute = 0
    var pending: [Arrival] = []
    var cursor = 0

    public init(path: String, services: [ServiceIndex], rateScale: Double = 1, endS: Double = .infinity, random: SeededRandom) throws(InputError) {
        self.services = services
        perMinute = try Self.read(path: path, services: services.count)
        timeScale = 1 / rateScale
        self.endS = endS
        self.random = random
    }

    /// Reads the whole file (a day of per-minute counts per function), summing each function
    /// into its service's minutes.
    static func read(path: String, services: Int) throws(InputError) -> [[Int32]] {
        let reader = try LineReader(path: path)
        guard let header = reader.next() else {
            throw InputError(.badData, at: reader.location(), "empty trace")
        }
        let columns = header.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let minutes = columns.count - keyColumns.count
        guard columns.starts(with: keyColumns), minutes >= 1 else {
            throw InputError(.badData, at: reader.location(), "expected the header \(keyColumns.joined(separator: ",")),1,2,…")
        }
        for (k, name) in columns.dropFirst(keyColumns.count).enumerated() where name != String(k + 1) {
            throw InputError(
                .badData, at: reader.location(column: LineReader.column(ofField: keyColumns.count + k, in: header)),
                "expected minute column '\(k + 1)', found '\(name)'")
        }
        var counts = [[Int32]](repeating: [Int32](repeating: 0, count: minutes), count: max(services, 1))
        var row = 0
        while let line = reader.next() {
            if line.isEmpty { continue }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == columns.count else {
                throw InputError(
                    .badData, at: reader.location(), "expected \(columns.count) fields (4 keys and \(minutes) minutes), found \(f.count)")
            }
            let service = row % max(services, 1)
            for m in 0..<minutes {
                let text = f[keyColumns.count + m]
                guard let n = Int32(text), n >= 0 else {
                    throw InputError(
                        .badData, at: reader.location(column: LineReader.column(ofField: keyColumns.count + m, in: line)),
                        path: "minute \(m + 1)", "expected an invocation count (a whole number ≥ 0), found '\(text)'")
                }
                let (sum, overflow) = counts[service][m].addingReportingOverflow(n)
                guard !overflow else {
                    throw InputError(.badData, at: reader.location(), path: "minute \(m + 1)", "invocation counts too large")
                }
                counts[service][m] = sum
            }
            row += 1
        }
        return counts
    }

    /// Seconds from the start to the end of the last minute with an invocation.
    static func span(path: String) throws(InputError) -> Double {
        let counts = try read(path: path, services: 1)[0]
        return Double((counts.lastIndex { $0 > 0 } ?? -1) + 1) * 60
    }

    public mutating func next() -> Arrival? {
        while cursor == pending.count {
            guard minute < (perMinute.first?.count ?? 0) else { return nil }
            pending.removeAll(keepingCapacity: true)
            cursor = 0
            let start = Double(minute) * 60
            for (k, service) in services.enumerated() {
                for _ in 0..<Int(perMinute[k][minute]) {
                    pending.append(Arrival(time: (start + random.unit() * 60) * timeScale, service: service))
                }
            }
            pending.sort { $0.time < $1.time }
            minute += 1
        }
        let arrival = pending[cursor]
        cursor += 1
        return arrival.time < endS ? arrival : nil
    }
}

extension AzureFunctionsTrace {
    struct Format: TraceFormat {
        var name: String { "Azure Functions invocations" }
        var expected: String { "Azure Functions invocation counts (HashOwner,HashApp,HashFunction,Trigger,1,…,1440)" }
        var feeds: TraceFeed { .boundServices(file: "an Azure Functions invocation file") }

        func recognizes(_ head: TraceHead) -> Bool { head.columns.starts(with: AzureFunctionsTrace.keyColumns) }

        func spanS(of path: String) throws(InputError) -> Double { try AzureFunctionsTrace.span(path: path) }

        func sources(_ reading: TraceReading) throws(InputError) -> [any ArrivalSource] {
            [
                try AzureFunctionsTrace(
                    path: reading.path, services: reading.targets, rateScale: reading.rateScale, endS: reading.endS,
                    random: reading.random)
            ]
        }
    }
}
