import EparaCore
import EparaServe
import NIOConcurrencyHelpers
import Prometheus

/// The gateways' Prometheus metrics (swift-prometheus), one registry per process: requests by
/// node, service and how they ended, end-to-end latency by service, the gaps between each
/// service's arrivals (their count, sum and sum of squares: the burstiness `plan --prometheus`
/// reads), each instance's requests in flight and whether it is live, whether the process counts
/// each peer up, and the build. Counters and histograms are looked up once per label set and
/// kept (the registry's own lookup builds label arrays on every call).
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
    /// Time per output token buckets, seconds: 1 ms to 2 s.
    static let tokenBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2]
    static var timeToFirstToken: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "time_to_first_token", unitName: "seconds",
            helpText: "LLM requests: arrival to the first token back at the origin, as the model server delivered it.")
    }
    static var timePerOutputToken: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "time_per_output_token", unitName: "seconds",
            helpText: "LLM requests of more than one token: mean time per token after the first.")
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
    static var arrivalGaps: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "arrival_gaps", unitName: "total",
            helpText: "Gaps between consecutive arrivals of the service at this process's gateways (any node).")
    }
    static var arrivalGapSeconds: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "arrival_gap_seconds", unitName: "total",
            helpText: "Sum of the gaps between consecutive arrivals of the service, seconds.")
    }
    static var arrivalGapSquares: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "arrival_gap_seconds_squared", unitName: "total",
            helpText: "Sum of the squares of the gaps between consecutive arrivals of the service, seconds squared.")
    }
    static var peerUp: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "epara", metricName: "peer_up", unitName: "",
            helpText: "1 while the node's gateway counts the peer up (it has not missed its syncs), 0 while it routes around it.")
    }
    let gauges = NIOLockedValueBox<[String: Gauge]>([:])
    let counters = NIOLockedValueBox<[String: Counter]>([:])
    /// By metric name, then service (no key is built per request).
    let histograms = NIOLockedValueBox<[String: [String: ValueHistogram]]>([:])
    /// Per service: the gap counters and the sums they last showed (the engine keeps the sums;
    /// a scrape adds what is new, so the request path does nothing for them).
    let gaps = NIOLockedValueBox<[String: (counters: GapCounters, exported: ArrivalGaps)]>([:])

    struct GapCounters {
        var count: Counter
        var sumS: Counter
        var squaresS2: Counter
    }

    public init(version: String = EparaBuild.version) {
        registry.makeGauge(descriptor: Self.buildInfo, labels: [("version", version)]).set(1.0)
    }

    /// Every series a gateway for `node` will report, at zero, before the first request: a
    /// scrape of a fresh gateway then tells "idle" from "missing", and rates start from a known 0.
    public func prepare(node: String, services: [String], llmServices: Set<String> = []) {
        for service in services {
            for outcome in Outcome.allCases { _ = counter(node: node, service: service, outcome: outcome) }
            _ = histogram(service: service)
            if llmServices.contains(service) {
                _ = histogram(Self.timeToFirstToken, service: service, buckets: Self.buckets)
                _ = histogram(Self.timePerOutputToken, service: service, buckets: Self.tokenBuckets)
            }
        }
        observe(gaps: services.map { ($0, ArrivalGaps()) })
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

    /// The end-to-end latency histogram of a service.
    func histogram(service: String) -> ValueHistogram { histogram(Self.latency, service: service, buckets: Self.buckets) }

    /// A histogram of one service, made once and kept.
    func histogram(_ descriptor: MetricNameDescriptor, service: String, buckets: [Double]) -> ValueHistogram {
        histograms.withLockedValue { cache in
            if let histogram = cache[descriptor.metricName]?[service] { return histogram }
            let histogram = registry.makeValueHistogram(descriptor: descriptor, labels: [("service", service)], buckets: buckets)
            cache[descriptor.metricName, default: [:]][service] = histogram
            return histogram
        }
    }

    /// An LLM request's time to first token and per further token, measured at its origin.
    public func recordLLM(service: String, ttftS: Double, tpotS: Double?) {
        histogram(Self.timeToFirstToken, service: service, buckets: Self.buckets).record(ttftS)
        if let tpotS { histogram(Self.timePerOutputToken, service: service, buckets: Self.tokenBuckets).record(tpotS) }
    }

    /// The node's instances as the engine holds them, set on each scrape (gauges are states,
    /// read when asked).
    public func observe(_ state: NodeState) {
        for instance in state.instances {
            let labels = [("node", state.node), ("service", instance.service), ("instance", instance.id)]
            gauge(Self.instanceInFlight, labels).set(Double(instance.load))
            gauge(Self.instanceLive, labels).set(instance.live ? 1.0 : 0.0)
        }
        for peer in state.peers {
            gauge(Self.peerUp, [("node", state.node), ("peer", peer.node)]).set(peer.up ? 1.0 : 0.0)
        }
    }

    /// The gaps between each service's arrivals so far, as the engine's recorder sums them
    /// (gapWindow rows come from the same sums): the counters advance by what is new since the
    /// last scrape, under one lock so that two gateways of the process scraped at once add it once.
    public func observe(gaps current: [(service: String, gaps: ArrivalGaps)]) {
        gaps.withLockedValue { cache in
            for (service, now) in current {
                let labels = [("service", service)]
                var entry =
                    cache[service]
                    ?? (
                        GapCounters(
                            count: registry.makeCounter(descriptor: Self.arrivalGaps, labels: labels),
                            sumS: registry.makeCounter(descriptor: Self.arrivalGapSeconds, labels: labels),
                            squaresS2: registry.makeCounter(descriptor: Self.arrivalGapSquares, labels: labels)),
                        ArrivalGaps()
                    )
                if now.count > entry.exported.count {
                    entry.counters.count.increment(by: Int64(now.count - entry.exported.count))
                    entry.counters.sumS.increment(by: max(0, now.sumS - entry.exported.sumS))
                    entry.counters.squaresS2.increment(by: max(0, now.squaresS2 - entry.exported.squaresS2))
                    entry.exported = now
                }
                cache[service] = entry
            }
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
