/// What a run observed about the present: demand as it arrived and which nodes are down.
/// The state store produces it (`plan --state`), or a Prometheus server scraping the gateways
/// (`plan --prometheus`); placement is fed it.
public struct ObservedDemand: Hashable, Sendable, Codable {
    public var runId: String?
    /// Mean arrival rate per service over the windows read.
    public var demandPerS: [String: Double]
    /// The same, by the node where requests arrived.
    public var demandByOrigin: [String: [String: Double]]
    public var nodesDown: [String]
    public var windowsRead: Int
    /// Burstiness observed per service: the coefficient of variation of the gaps between its
    /// arrivals (nil when the store has none recorded).
    public var cv: [String: Double]?

    /// Where it was observed when not (only) in state stores: `prometheus URL over WINDOW`
    /// (nil for a state store, whose `runId` says which run).
    public var source: String?

    public var cvByService: [String: Double] { cv ?? [:] }

    public init(
        runId: String?, demandPerS: [String: Double], demandByOrigin: [String: [String: Double]], nodesDown: [String],
        windowsRead: Int, cv: [String: Double]? = nil, source: String? = nil
    ) {
        self.cv = cv
        self.source = source
        self.runId = runId
        self.demandPerS = demandPerS
        self.demandByOrigin = demandByOrigin
        self.nodesDown = nodesDown
        self.windowsRead = windowsRead
    }

    public static let empty = ObservedDemand(runId: nil, demandPerS: [:], demandByOrigin: [:], nodesDown: [], windowsRead: 0)

    /// What several state stores (or a store and Prometheus) observed together — the stores of
    /// gateways on separate machines, each holding its own nodes' arrivals: demand added up,
    /// every node any of them saw down.
    public static func combined(_ parts: [ObservedDemand]) -> ObservedDemand {
        guard parts.count > 1 else { return parts.first ?? .empty }
        var demand: [String: Double] = [:]
        var byOrigin: [String: [String: Double]] = [:]
        for part in parts {
            for (service, rate) in part.demandPerS { demand[service, default: 0] += rate }
            for (service, origins) in part.demandByOrigin {
                for (node, rate) in origins { byOrigin[service, default: [:]][node, default: 0] += rate }
            }
        }
        // Burstiness: the largest any store saw (the planner provisions for the worst).
        var cv: [String: Double] = [:]
        for part in parts { for (service, value) in part.cvByService { cv[service] = max(cv[service] ?? 0, value) } }
        let runs = parts.compactMap(\.runId)
        let sources = parts.compactMap(\.source)
        return ObservedDemand(
            runId: runs.isEmpty ? nil : runs.joined(separator: "+"), demandPerS: demand, demandByOrigin: byOrigin,
            nodesDown: Array(Set(parts.flatMap(\.nodesDown))).sorted(),
            windowsRead: parts.map(\.windowsRead).min() ?? 0, cv: cv.isEmpty ? nil : cv,
            source: sources.isEmpty ? nil : sources.joined(separator: " + "))
    }
}
