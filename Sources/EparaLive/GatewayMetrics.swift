import EparaServe
import Prometheus

/// The gateways' Prometheus metrics (swift-prometheus), one registry per process: requests by
/// node, service and how they ended, and end-to-end latency by service.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// Latency buckets, seconds: 1 ms to 60 s.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    public init() {}

    public func record(node: String, service: String, _ result: LiveResult) {
        registry.makeCounter(name: "epara_requests_total", labels: [("node", node), ("service", service), ("outcome", result.outcome.name)],
                             help: "Requests that arrived at this gateway, by how they ended.").increment()
        if result.outcome == .completedInSlo || result.outcome == .completedLate {
            registry.makeValueHistogram(name: "epara_request_latency_seconds", labels: [("service", service)], buckets: Self.buckets,
                                        help: "Arrival to answer, for completed requests.").record(result.latencyS)
        }
    }

    /// The Prometheus text exposition format.
    public func text() -> String { registry.emitToString() }
}
