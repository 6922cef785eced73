import EparaCore

/// What the answers to `PrometheusQueries` say about the present, as an `ObservedDemand` like
/// the state store's: demand by service and origin node, burstiness, nodes down.
public struct PrometheusObservation: Sendable {
    /// `PrometheusQueries.demand`'s answer: requests per second by `service` and `node`.
    public var demand: [PrometheusSample]
    /// `nodesPresent`'s: the nodes with fresh series.
    public var nodesPresent: [PrometheusSample]
    /// `peersDown`'s: the peers some gateway routes around.
    public var peersDown: [PrometheusSample]
    /// `gapCount`'s, `gapSum`'s and `gapSquares`'s.
    public var gapCount: [PrometheusSample]
    public var gapSum: [PrometheusSample]
    public var gapSquares: [PrometheusSample]

    public init(
        demand: [PrometheusSample], nodesPresent: [PrometheusSample], peersDown: [PrometheusSample] = [],
        gapCount: [PrometheusSample] = [], gapSum: [PrometheusSample] = [], gapSquares: [PrometheusSample] = []
    ) {
        self.demand = demand
        self.nodesPresent = nodesPresent
        self.peersDown = peersDown
        self.gapCount = gapCount
        self.gapSum = gapSum
        self.gapSquares = gapSquares
    }

    /// The observation of a cluster of `nodes`. As with the state store, a (service, origin) pair
    /// without requests is left out (so a service nobody asked for is planned for its declared
    /// demand), a service's CV needs 20 gaps, and a process's CV is its own (the largest of any
    /// process's is the service's: the planner provisions for the worst, as when stores combine).
    /// A node is down when no gateway reports its series now, or some gateway routes around it
    /// (every node is, when all the gateways stopped within the window); a server with no
    /// gateway's series over the whole window is scraping something else, and says so.
    /// `url` and `window` name where it was observed (the plan's `state.source`).
    public func observed(nodes: [String], url: String, window: String) throws(PrometheusError) -> ObservedDemand {
        guard !(demand.isEmpty && nodesPresent.isEmpty) else {
            throw PrometheusError(
                .badAnswer,
                "Prometheus at \(url) has no epara_requests_total series over the last \(window): is it scraping the gateways' /metrics (honor_labels: true)?"
            )
        }
        var byOrigin: [String: [String: Double]] = [:]
        for sample in demand where sample.value > 0 {
            guard let service = sample.labels["service"], let node = sample.labels["node"] else { continue }
            byOrigin[service, default: [:]][node, default: 0] += sample.value
        }
        var perService: [String: Double] = [:]
        for (service, origins) in byOrigin { perService[service] = origins.values.reduce(0, +) }

        let present = Set(nodesPresent.compactMap { $0.labels["node"] })
        let routedAround = Set(peersDown.compactMap { $0.labels["peer"] })
        let down = nodes.filter { !present.contains($0) || routedAround.contains($0) }

        var cv: [String: Double] = [:]
        for (labels, gaps) in Self.joined(count: gapCount, sum: gapSum, squares: gapSquares) {
            guard let service = labels["service"], let value = gaps.cv else { continue }
            cv[service] = max(cv[service] ?? 0, value)
        }
        return ObservedDemand(
            runId: nil, demandPerS: perService, demandByOrigin: byOrigin, nodesDown: down, windowsRead: 1,
            cv: cv.isEmpty ? nil : cv, source: "prometheus \(url) over \(window)")
    }

    /// The three gap answers joined on their label sets (one per service and scrape target).
    static func joined(count: [PrometheusSample], sum: [PrometheusSample], squares: [PrometheusSample]) -> [([String: String], ArrivalGaps)] {
        let sums = Dictionary(sum.map { ($0.labels, $0.value) }, uniquingKeysWith: { a, _ in a })
        let squareSums = Dictionary(squares.map { ($0.labels, $0.value) }, uniquingKeysWith: { a, _ in a })
        return count.compactMap { sample in
            guard let sumS = sums[sample.labels], let squaresS2 = squareSums[sample.labels] else { return nil }
            return (sample.labels, ArrivalGaps(count: Int(sample.value.rounded()), sumS: sumS, squaresS2: squaresS2))
        }
    }
}
