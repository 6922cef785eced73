import EparaCore

/// Faults injected into a simulated run: nodes going down and up, links degrading, and sync
/// messages lost at random.
public struct FaultPlan: Sendable, Equatable {
    public enum Event: Sendable, Equatable {
        case nodeDown(String)
        case nodeUp(String)
        /// A link between two sites changes; nil restores the cluster's own.
        case link(sites: [String], Link?)
    }

    public struct Timed: Sendable, Equatable {
        public var atS: Double
        public var event: Event

        public init(atS: Double, event: Event) {
            self.atS = atS
            self.event = event
        }

        public var description: String {
            switch event {
            case let .nodeDown(node): "node \(node) down"
            case let .nodeUp(node): "node \(node) up"
            case let .link(sites, link?): "link \(sites.joined(separator: "-")) \(link.bandwidthMbps) Mbps, \(link.latencyMs) ms"
            case let .link(sites, nil): "link \(sites.joined(separator: "-")) restored"
            }
        }
    }

    public var events: [Timed]
    /// Probability that one sync message from one node to another is lost.
    public var syncLoss: Double

    public init(events: [Timed] = [], syncLoss: Double = 0) {
        self.events = events.sorted { $0.atS < $1.atS }
        self.syncLoss = syncLoss
    }

    public static let none = FaultPlan()

    /// Reads a `kind: Faults` document, checking node and site names against the cluster.
    ///
    /// ```yaml
    /// apiVersion: epara/v1
    /// kind: Faults
    /// sync_loss: 0.3
    /// events:
    ///   - {at: 30s, node: orin-nx-1, state: down, for: 60s}
    ///   - {at: 10s, link: [campus, factory], bandwidth: 10Mbps, latency: 40ms, for: 30s}
    /// ```
    public static func read(_ source: SourceText, cluster: Cluster) throws(InputError) -> FaultPlan {
        let (document, sink) = try DocumentReader.single(source, kind: "Faults", keys: ["sync_loss", "events"])
        var events: [Timed] = []
        var syncLoss = 0.0
        if let m = document {
            if let loss = m.optional("sync_loss")?.number(minimum: 0) {
                if loss > 1 { m.optional("sync_loss")?.error("expected a probability from 0 to 1, found \(loss)") } else { syncLoss = loss }
            }
            let nodes = cluster.nodes.map(\.name), sites = cluster.sites
            for item in m.optional("events")?.list() ?? [] {
                guard let e = item.mapping(keys: ["at", "node", "state", "for", "link", "bandwidth", "latency"]) else { continue }
                guard let at = e.required("at", Quantity.duration.expectation)?.quantity(.duration) else { continue }
                let duration = e.optional("for")?.quantity(.duration, above: 0)
                if let nodeValue = e.optional("node") {
                    guard let node = nodeValue.name() else { continue }
                    guard nodes.contains(node) else {
                        let hint = Suggestion.closest(to: node, in: nodes).map { "; did you mean '\($0)'?" } ?? ""
                        nodeValue.error("unknown node '\(node)'\(hint)")
                        continue
                    }
                    if e.contains("link") { e.error("an event changes a node or a link, not both") }
                    guard let state = e.required("state", "down or up")?.oneOf(["down", "up"]) else { continue }
                    events.append(Timed(atS: at / 1000, event: state == "down" ? .nodeDown(node) : .nodeUp(node)))
                    if let duration {
                        if state == "up" { e.optional("for")?.error("'for' applies to a node going down") }
                        events.append(Timed(atS: (at + duration) / 1000, event: .nodeUp(node)))
                    }
                } else if let linkValue = e.optional("link") {
                    guard let pair = linkValue.list()?.compactMap({ $0.name() }), pair.count == 2 else {
                        linkValue.error("expected two site names, as [a, b]")
                        continue
                    }
                    if let unknown = pair.first(where: { !sites.contains($0) }) {
                        let hint = Suggestion.closest(to: unknown, in: sites).map { "; did you mean '\($0)'?" } ?? ""
                        linkValue.error("unknown site '\(unknown)'\(hint)")
                        continue
                    }
                    let bandwidth = e.required("bandwidth", Quantity.bandwidth.expectation)?.quantity(.bandwidth, above: 0)
                    let latency = e.required("latency", Quantity.duration.expectation)?.quantity(.duration)
                    guard let bandwidth, let latency else { continue }
                    events.append(Timed(atS: at / 1000, event: .link(sites: pair, Link(bandwidthMbps: bandwidth, latencyMs: latency))))
                    if let duration { events.append(Timed(atS: (at + duration) / 1000, event: .link(sites: pair, nil))) }
                } else {
                    e.error("expected 'node' (with state: down or up) or 'link' (with bandwidth and latency)")
                }
            }
        }
        try sink.check()
        return FaultPlan(events: events, syncLoss: syncLoss)
    }
}
