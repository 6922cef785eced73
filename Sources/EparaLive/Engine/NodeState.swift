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
        /// Its model server's observed pace, when one that batches by itself runs it.
        public var server: ServerState?
    }

    /// What the gateway has learned of a model server (ServerCalls.swift in EparaServe).
    public struct ServerState: Codable, Sendable, Equatable {
        /// Calls it keeps open at most (the Backends entry's max_concurrency).
        public var maxConcurrency: Int
        public var inFlight: Int
        /// Moving averages: to the first answer (an LLM's first token), per further token, per call.
        public var firstAnswerMs: Double
        public var perTokenMs: Double
        public var callMs: Double
        /// Calls measured so far.
        public var observed: Int

        init(_ pace: ServerPace) {
            maxConcurrency = pace.concurrency
            inFlight = pace.inFlight
            firstAnswerMs = (pace.firstAnswerS * 1e6).rounded() / 1000
            perTokenMs = (pace.perTokenS * 1e6).rounded() / 1000
            callMs = (pace.callS * 1e6).rounded() / 1000
            observed = pace.observed
        }
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
                    id: info.id, service: deployment.services[info.service].name, load: core.load(i), live: core.isLive(i),
                    server: core.serverPace(i).map(NodeState.ServerState.init))
            }
            let now = s.outbox.now
            let peers = peerURLs.keys.sorted().map { m in
                let heard = core.heard(by: n, from: m, now: now)
                return NodeState.PeerState(
                    node: deployment.nodes[m].name, url: peerURLs[m]!, lastHeardS: ((now - heard.at) * 1000).rounded() / 1000,
                    up: heard.up, forwarded: s.sentToPeer[m] ?? 0)
            }
            return NodeState(node: node, up: core.isNodeUp(n), instances: instances, peers: peers)
        }
    }
}

extension LiveEngine {
    /// What the engine has learned of the model server behind an instance (nil: not one that
    /// batches by itself, or no such instance).
    public func serverPace(instance id: String) -> ServerPace? {
        enter { s in s.core.instanceIndex(id: id).flatMap { s.core.serverPace($0) } }
    }
}
