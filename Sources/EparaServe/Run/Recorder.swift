import EparaCore
import EparaPlan
import Foundation
import Histogram

/// Accumulates how requests ended into counters and histograms as they end, so that memory
/// depends on the numbers of services, nodes and windows, never on the number of requests.
public final class Recorder {
    let services: Table<ServiceIndex, ServiceInfo>
    public let windowS: Double
    /// Per service: arrivals and the four outcomes.
    @exclusivity(unchecked) var counts: Table<ServiceIndex, Counts>
    /// Per service and reason: requests dropped, and requests failed.
    @exclusivity(unchecked) var reasons: Table<ServiceIndex, [Int]>
    @exclusivity(unchecked) var failures: Table<ServiceIndex, [Int]>
    @exclusivity(unchecked) var latency: Table<ServiceIndex, Histogram<UInt64>>
    @exclusivity(unchecked) var ttft: Table<ServiceIndex, Histogram<UInt64>>
    @exclusivity(unchecked) var tpot: Table<ServiceIndex, Histogram<UInt64>>
    @exclusivity(unchecked) var byOrigin: Table<NodeIndex, Counts>
    /// Per window, per service: counts by the window the request arrived in.
    @exclusivity(unchecked) var windows: [Table<ServiceIndex, Counts>] = []
    /// (window, service, origin) counts for the state store, only when one is written.
    @exclusivity(unchecked) var windowOrigins: [OriginWindow: Counts]?
    /// (window, service): gaps between consecutive arrivals of the service at any node, for the
    /// state store's burstiness.
    @exclusivity(unchecked) var windowGaps: [OriginWindow: ArrivalGaps] = [:]
    /// Gaps between each service's consecutive arrivals since the run began: the burstiness
    /// in-run replanning sees.
    @exclusivity(unchecked) public private(set) var gaps: Table<ServiceIndex, ArrivalGaps>
    @exclusivity(unchecked) var lastArrival: Table<ServiceIndex, Double>
    @exclusivity(unchecked) var requestLog: RequestLog?
    /// Sees every request as it ends (tests, and the live engine's metrics).
    public var observer: ((Request, Outcome, EndReason, Double) -> Void)?
    @exclusivity(unchecked) public private(set) var lastEnd = 0.0

    public init(services: Table<ServiceIndex, ServiceInfo>, nodeCount: Int, windowS: Double, keepOrigins: Bool, requestLog: RequestLog?) {
        self.services = services
        self.windowS = windowS
        counts = Table(repeating: Counts(), count: services.count)
        reasons = Table(repeating: Array(repeating: 0, count: EndReason.allCases.count), count: services.count)
        failures = reasons
        latency = Table(services.map { _ in Self.latencyHistogram() })
        ttft = Table(
            services.map {
                $0.isLLM
                    ? Self.latencyHistogram()
                    : Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 2, numberOfSignificantValueDigits: .two)
            })
        tpot = ttft
        byOrigin = Table(repeating: Counts(), count: nodeCount)
        windowOrigins = keepOrigins ? [:] : nil
        lastArrival = Table(repeating: -1, count: services.count)
        gaps = Table(repeating: ArrivalGaps(), count: services.count)
        self.requestLog = requestLog
    }

    @inline(__always) func window(_ time: Double) -> Int {
        let w = Int(time / windowS)
        while windows.count <= w { windows.append(Table(repeating: Counts(), count: services.count)) }
        return w
    }

    public func arrival(_ r: Request) {
        let s = r.service
        counts[s].arrivals += 1
        byOrigin[r.origin].arrivals += 1
        let w = window(r.arrival)
        windows[w][s].arrivals += 1
        if lastArrival[s] >= 0 {
            let gap = r.arrival - lastArrival[s]
            gaps[s].add(gap)
            if windowOrigins != nil { windowGaps[OriginWindow(w, s), default: ArrivalGaps()].add(gap) }
        }
        lastArrival[s] = r.arrival
        if windowOrigins != nil {
            windowOrigins![OriginWindow(w, s, r.origin), default: Counts()].arrivals += 1
        }
    }

    @inline(__always) static func add(_ outcome: Outcome, to c: inout Counts) {
        switch outcome {
        case .completedInSlo: c.completedInSlo += 1
        case .completedLate: c.completedLate += 1
        case .dropped: c.dropped += 1
        case .failed: c.failed += 1
        }
    }

    public func finish(_ r: Request, _ outcome: Outcome, _ reason: EndReason, at time: Double) {
        let s = r.service
        Self.add(outcome, to: &counts[s])
        Self.add(outcome, to: &byOrigin[r.origin])
        // A reason is counted under the outcome it ended with (no_instance can end a request as
        // dropped or as failed), so that each outcome's reasons add up to its count.
        switch outcome {
        case .dropped: reasons[s][Int(reason.rawValue)] += 1
        case .failed: failures[s][Int(reason.rawValue)] += 1
        case .completedInSlo, .completedLate: break
        }
        let w = Int(r.arrival / windowS)
        Self.add(outcome, to: &windows[w][s])
        if windowOrigins != nil { Self.add(outcome, to: &windowOrigins![OriginWindow(w, s, r.origin), default: Counts()]) }
        if time > lastEnd { lastEnd = time }
        if outcome == .completedInSlo || outcome == .completedLate {
            _ = latency[s].record(UInt64(max(1, ((time - r.arrival) * 1e6).rounded())))
            if services[s].isLLM, !r.firstToken.isNaN {
                _ = ttft[s].record(UInt64(max(1, (r.timeToFirstTokenS * 1e6).rounded())))
                if let perToken = r.timePerOutputTokenS(endingAt: time) {
                    _ = tpot[s].record(UInt64(max(1, (perToken * 1e6).rounded())))
                }
            }
        }
        requestLog?.write(r, outcome, reason, end: time, services: services)
        observer?(r, outcome, reason, time)
    }

    // MARK: Summaries

    /// Microseconds from 1 µs to an hour at 2 significant digits (1% resolution): what every
    /// latency of a run is recorded in, and what `report` merges.
    public static func latencyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .two)
    }

    public static func summary(_ h: Histogram<UInt64>) -> LatencySummary? {
        guard h.totalCount > 0 else { return nil }
        func ms(_ v: UInt64) -> Double { (Double(v) / 1000).rounded(places: 3) }
        return LatencySummary(
            count: Int(h.totalCount), mean: (h.mean / 1000).rounded(places: 3),
            p50: ms(h.valueAtPercentile(50)), p90: ms(h.valueAtPercentile(90)), p99: ms(h.valueAtPercentile(99)),
            p999: ms(h.valueAtPercentile(99.9)), max: ms(h.max))
    }

    static func rate(_ n: Int, _ seconds: Double) -> Double { ServiceTotals.rate(n, seconds) }
    static func fraction(_ n: Int, _ d: Int) -> Double { ServiceTotals.fraction(n, d) }

    func reasonMap(_ s: ServiceIndex?, dropped: Bool) -> [String: Int] {
        var map: [String: Int] = [:]
        let table = dropped ? reasons : failures
        for reason in EndReason.allCases {
            let n = s.map { table[$0][Int(reason.rawValue)] } ?? table.reduce(0) { $0 + $1[Int(reason.rawValue)] }
            if n > 0 { map[reason.name] = n }
        }
        return map
    }

    func serviceRuns(durationS: Double) -> [ServiceRun] {
        services.indices.map { s in
            let info = services[s]
            let c = counts[s]
            let histogram = latency[s].recordedValues().map { [Double($0.value) / 1000, Double($0.count)] }
            return ServiceRun(
                name: info.name, category: info.category, counts: c, goodputPerS: Self.rate(c.completedInSlo, durationS),
                throughputPerS: Self.rate(c.completedInSlo + c.completedLate, durationS),
                attainment: Self.fraction(c.completedInSlo, c.arrivals), dropReasons: reasonMap(s, dropped: true),
                failReasons: reasonMap(s, dropped: false), latencyMs: Self.summary(latency[s]),
                ttftMs: info.isLLM ? Self.summary(ttft[s]) : nil, tpotMs: info.isLLM ? Self.summary(tpot[s]) : nil,
                deliveredFpsPerStream: info.streams > 0 ? Self.rate(c.completedInSlo, durationS * Double(info.streams)) : nil,
                streams: info.streams > 0 ? info.streams : nil, latencyHistogram: histogram)
        }
    }

    func categoryRuns(durationS: Double) -> [CategoryRun] {
        CategoryLabel.all.compactMap { label in
            let members = services.indices.filter { services[$0].category == label }
            guard !members.isEmpty else { return nil }
            let c = members.reduce(Counts()) { $0 + counts[$1] }
            var h = latency[members[0]]
            for m in members.dropFirst() { h.add(latency[m]) }
            return CategoryRun(
                category: label, services: members.map { services[$0].name }, counts: c,
                goodputPerS: Self.rate(c.completedInSlo, durationS), attainment: Self.fraction(c.completedInSlo, c.arrivals),
                latencyMs: Self.summary(h))
        }
    }

    /// Every service together over `durationS` seconds (a Run's summary).
    public func totals(durationS: Double) -> ServiceTotals {
        let c = counts.reduce(Counts(), +)
        var h = latency.first ?? Histogram<UInt64>(highestTrackableValue: 2)
        for other in latency.dropFirst() { h.add(other) }
        return ServiceTotals(
            counts: c, seconds: durationS, dropReasons: reasonMap(nil, dropped: true),
            failReasons: reasonMap(nil, dropped: false), latencyMs: Self.summary(h))
    }

    func windowRuns() -> [WindowRun] {
        windows.enumerated().map { w, perService in
            var byName: [String: Counts] = [:]
            for (s, c) in perService.indexed() where c.arrivals > 0 { byName[services[s].name] = c }
            let total = perService.reduce(Counts(), +)
            return WindowRun(
                startS: (Double(w) * windowS).rounded(places: 6), counts: total,
                goodputPerS: Self.rate(total.completedInSlo, windowS), services: byName)
        }
    }

    /// Per node: requests that arrived there and how they ended, what its instances served and
    /// its handler forwarded, the fraction of `horizon` it was up, its devices' utilization.
    public func nodeRuns<Executor>(core: RequestCore<Executor>, horizon: Double, downS: Table<NodeIndex, Double>) -> [NodeRun] {
        let deployment = core.deployment
        return deployment.nodes.indexed().map { n, node in
            let devices = deployment.devices.indices.filter { deployment.devices[$0].node == node.name }.map { d in
                DeviceRun(
                    device: deployment.devices[d].id,
                    utilization: min(1, core.busySeconds(device: d) / max(horizon, 1e-9)).rounded(places: 4))
            }
            return NodeRun(
                name: node.name, site: node.site, counts: byOrigin[n], served: core.served(at: n),
                forwarded: core.forwarded(by: n),
                upFraction: (1 - downS[n] / max(horizon, 1e-9)).rounded(places: 6), devices: devices)
        }
    }

    /// The Run document of what was recorded over `horizon` seconds (either engine).
    public func run(
        engine: String, plan: Plan, planDigest: String, traceDigest: String, trace: [String: String], settings: RunSettings,
        horizon: Double, nodes: [NodeRun], replans: [ReplanRecord], faults: [FaultRecord], predicted: Prediction
    ) -> Run {
        Run(
            engine: engine, policy: plan.policyName, planDigest: planDigest, workloadDigest: plan.workloadDigest,
            traceDigest: traceDigest, trace: trace, settings: settings, durationS: horizon,
            endS: max(lastEnd, horizon).rounded(places: 6), summary: totals(durationS: horizon),
            services: serviceRuns(durationS: horizon), categories: categoryRuns(durationS: horizon),
            nodes: nodes, windows: windowRuns(), replans: replans, faults: faults, predicted: predicted)
    }

    /// (window start, service, origin node, counts) for the state store.
    /// Only windows starting at `from` or later (a live store's latest ones).
    public func originWindows(from: Double = -.infinity) -> [(startS: Double, service: ServiceIndex, node: NodeIndex, counts: Counts)] {
        guard let windowOrigins else { return [] }
        let first = from > 0 ? Int32(from / windowS) : 0
        return windowOrigins.keys.filter { $0.window >= first }.sorted().map { key in
            (Double(key.window) * windowS, key.service, key.node, windowOrigins[key]!)
        }
    }

    /// (window start, service, gaps between its arrivals) for the state store, from `from` on.
    public func gapWindows(from: Double = -.infinity) -> [(startS: Double, service: ServiceIndex, gaps: ArrivalGaps)] {
        let first = from > 0 ? Int32(from / windowS) : 0
        return windowGaps.keys.filter { $0.window >= first }.sorted().map { key in
            (Double(key.window) * windowS, key.service, windowGaps[key]!)
        }
    }
}

/// A time window of one service's arrivals, at one origin node (or at any, for gaps): the key
/// of the state store's rows, ordered by window, then service, then node.
struct OriginWindow: Hashable, Comparable {
    var window: Int32
    var service: ServiceIndex
    var node: NodeIndex

    init(_ window: Int, _ service: ServiceIndex, _ node: NodeIndex = NodeIndex(raw: 0)) {
        self.window = Int32(truncatingIfNeeded: window)
        self.service = service
        self.node = node
    }

    static func < (a: OriginWindow, b: OriginWindow) -> Bool { (a.window, a.service, a.node) < (b.window, b.service, b.node) }
}

/// Per-request records as JSON Lines, written as requests end (buffered).
public final class RequestLog {
    let handle: FileHandle
    var buffer: [UInt8] = []
    public var nodeNames: [String] = []
    /// An instance's id by its index (instances appear during a run as plans change).
    public var instanceName: (InstanceIndex) -> String = { $0.description }

    public init(path: String) throws(InputError) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw InputError(.io, at: SourceLocation(file: path, line: 1, column: 1), "cannot write the request log")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ r: Request, _ outcome: Outcome, _ reason: EndReason, end: Double, services: Table<ServiceIndex, ServiceInfo>) {
        var line = "{\"id\":\(r.id),\"service\":\"\(services[r.service].name)\""
        if let stream = r.stream { line += ",\"stream\":\(stream)" }
        line += ",\"origin\":\"\(nodeNames[r.origin.offset])\""
        if let instance = r.instance { line += ",\"instance\":\"\(instanceName(instance))\"" }
        line += ",\"hops\":\(r.hops)"
        line += ",\"arrival_s\":\(r.arrival.rounded(places: 6)),\"end_s\":\(end.rounded(places: 6))"
        line += ",\"latency_ms\":\(((end - r.arrival) * 1000).rounded(places: 3))"
        if !r.firstToken.isNaN { line += ",\"ttft_ms\":\((r.timeToFirstTokenS * 1000).rounded(places: 3))" }
        if r.inputTokens > 0 { line += ",\"input_tokens\":\(r.inputTokens),\"output_tokens\":\(r.outputTokens)" }
        line += ",\"outcome\":\"\(outcome.name)\""
        if reason != .none { line += ",\"reason\":\"\(reason.name)\"" }
        line += "}\n"
        buffer.append(contentsOf: line.utf8)
        if buffer.count >= 1 << 20 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    deinit {
        flush()
        try? handle.close()
    }
}
