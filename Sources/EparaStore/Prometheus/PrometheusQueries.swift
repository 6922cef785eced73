/// The PromQL `plan --prometheus` asks a Prometheus server, over the series the gateways export
/// (docs/serve.md, `GET /metrics`), all instant queries evaluated at the time they are asked.
///
/// Every gateway of a process serves the process's whole registry, so one series can reach
/// Prometheus through several scrape targets; a (service, node, outcome) counter comes from one
/// process only (the one hosting the node), so `max by` over its identifying labels keeps one
/// copy of each before anything is added up.
public struct PrometheusQueries: Hashable, Sendable {
    /// The range of the rate and increase selectors, e.g. `5m`.
    public var window: String

    /// `windowMs`: the window in milliseconds, written in the largest unit that holds it exactly.
    public init(windowMs: Double) {
        window = Self.duration(ms: windowMs)
    }

    /// Requests per second by service and origin node (every outcome: they all arrived).
    public var demand: String {
        "sum by (service, node) (max by (service, node, outcome) (rate(epara_requests_total[\(window)])))"
    }

    /// The nodes whose gateways Prometheus holds fresh series of now. A node missing here is
    /// down: its process is not answering scrapes (Prometheus marks a failed target's series
    /// stale at the next scrape, so they drop out of instant queries), or is not scraped at all.
    public var nodesPresent: String { "count by (node) (epara_requests_total)" }

    /// Nodes some gateway of another process routes around now (they missed their syncs), as the
    /// state store's node health records them.
    public var peersDown: String { "min by (peer) (epara_peer_up) == 0" }

    /// Gaps between arrivals over the window, per service and per scrape target: their count,
    /// sum and sum of squares (joined on their labels; each process counts its own gateways').
    public var gapCount: String { "increase(epara_arrival_gaps_total[\(window)])" }
    public var gapSum: String { "increase(epara_arrival_gap_seconds_total[\(window)])" }
    public var gapSquares: String { "increase(epara_arrival_gap_seconds_squared_total[\(window)])" }

    /// A PromQL duration: `5m`, `30s`, `1h`, `1500ms`.
    static func duration(ms: Double) -> String {
        let ms = Int(ms.rounded())
        for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000)] where ms % size == 0 && ms >= size {
            return "\(ms / size)\(unit)"
        }
        return "\(ms)ms"
    }
}
