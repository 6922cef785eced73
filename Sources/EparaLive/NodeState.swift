import EparaServe

/// What one node's gateway reports at `GET /v1/state`: its instances and what they hold, and
/// the peers it hears from.
public struct NodeState: Codable, Sendable, Equatable {
    public struct InstanceState: Codable, Sendable, Equatable {
        public var id: String
        public var service: String
        /// Requests queued or running.
        public var load: Int
        /// Taking new requests (false once a new plan removed it).
        public var live: Bool
    }

    public struct PeerState: Codable, Sendable, Equatable {
        public var node: String
        public var url: String
        /// Seconds since its last sync report.
        public var lastHeardS: Double
        /// Counted as up (it has not missed its sync periods).
        public var up: Bool
        /// Requests this gateway's process sent to it.
        public var forwarded: Int
    }

    public var node: String
    public var up: Bool
    public var instances: [InstanceState]
    public var peers: [PeerState]
}

extension LiveEngine {
    public func state(node: String) throws(LiveError) -> NodeState {
        try enter { (s: EngineState) throws(LiveError) -> NodeState in
            let deployment = s.deployment
            let core = s.core
            guard let n = deployment.nodeIndex[node], hosted[n] else { throw .unknownNode(node) }
            // Each instance's plan entry read once (it holds arrays; a scrape asks for every instance).
            let instances: [NodeState.InstanceState] = core.instanceIndices.compactMap { i in
                let info = core.info(i)
                guard info.node == n else { return nil }
                return NodeState.InstanceState(
                    id: info.id, service: deployment.services[info.service].name, load: core.load(i), live: core.isLive(i))
            }
            let now = s.outbox.now
            let peers = peerURLs.keys.sorted().map { m in
                let heard = core.heard(by: NodeIndex(n), from: m, now: now)
                return NodeState.PeerState(
                    node: deployment.nodes[m.offset].name, url: peerURLs[m]!, lastHeardS: ((now - heard.at) * 1000).rounded() / 1000,
                    up: heard.up, forwarded: s.sentToPeer[m] ?? 0)
            }
            return NodeState(node: node, up: core.isNodeUp(NodeIndex(n)), instances: instances, peers: peers)
        }
    }
}
