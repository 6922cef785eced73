import EparaCore
import EparaServe
import NIOConcurrencyHelpers
import Prometheus

/// The gateways' Prometheus metrics (swift-prometheus), one registry per process: requests by
/// node, service and how they ended, end-to-end latency by service, each instance's requests in
/// flight and whether it is live, and the build. Counters and histograms
/// are looked up once per label set and kept (the registry's own lookup builds label arrays on
/// every call).
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// Latency buckets, seconds: 1 ms to 60 s.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "requests", unitName: "total",
            helpText: "Requests that arrived at this gateway, by how they ended.")
    }
    static var latency: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "request_latency", unitName: "seconds",
            helpText: "Arrival to answer, for completed requests.")
    }
    static var buildInfo: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "build", unitName: "info",
            helpText: "Always 1; the labels say which epara is running.")
    }
    static var instanceInFlight: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "instance_requests_in_flight", unitName: "",
            helpText: "Requests queued or running at an instance of this node, as of the scrape.")
    }
    static var instanceLive: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "instance_live", unitName: "",
            helpText: "1 while the instance takes new requests; 0 once a new plan removed it.")
    }
    let gauges = NIOLockedValueBox<[String: Gauge]>([:])
    let counters = NIOLockedValueBox<[String: Counter]>([:])
    let histograms = NIOLockedValueBox<[String: ValueHistogram]>([:])

    public init(version: String = EparaBuild.version) {
        registry.makeGauge(descriptor: Self.buildInfo, labels: [("version", version)]).set(1.0)
    }

    /// Every series a gateway for `node` will report, at zero, before the first request: a
    /// scrape of a fresh gateway then tells "idle" from "missing", and rates start from a known 0.
    public func prepare(node: String, services: [String]) {
        for service in services {
            for outcome in Outcome.allCases { _ = counter(node: node, service: service, outcome: outcome) }
            _ = histogram(service: service)
        }
    }

    func counter(node: String, service: String, outcome: Outcome) -> Counter {
        let key = node + "\u{0}" + service + "\u{0}" + outcome.name
        return counters.withLockedValue { cache in
            if let counter = cache[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.requests,
                labels: [("node", node), ("service", service), ("outcome", outcome.name)])
            cache[key] = counter
            return counter
        }
    }

    func histogram(service: String) -> ValueHistogram {
        histograms.withLockedValue { cache in
            if let histogram = cache[service] { return histogram }
            let histogram = registry.makeValueHistogram(descriptor: Self.latency, labels: [("service", service)], buckets: Self.buckets)
            cache[service] = histogram
            return histogram
        }
    }

    /// The node's instances as the engine holds them, set on each scrape (gauges are states,
    /// read when asked).
    public func observe(_ state: NodeState) {
        for instance in state.instances {
            let labels = [("node", state.node), ("service", instance.service), ("instance", instance.id)]
            gauge(Self.instanceInFlight, labels).set(Double(instance.load))
            gauge(Self.instanceLive, labels).set(instance.live ? 1.0 : 0.0)
        }
    }

    func gauge(_ descriptor: MetricNameDescriptor, _ labels: [(String, String)]) -> Gauge {
        let key = ([descriptor.metricName] + labels.map(\.1)).joined(separator: "\u{0}")
        return gauges.withLockedValue { cache in
            if let gauge = cache[key] { return gauge }
            let gauge = registry.makeGauge(descriptor: descriptor, labels: labels)
            cache[key] = gauge
            return gauge
        }
    }

    public func record(node: String, service: String, _ result: LiveResult) {
        counter(node: node, service: service, outcome: result.outcome).increment()
        if result.outcome == .completedInSlo || result.outcome == .completedLate {
            histogram(service: service).record(result.latencyS)
        }
    }

    /// The Prometheus text exposition format.
    public func text() -> String { registry.emitToString() }
}
