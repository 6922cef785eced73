import EparaCore
import EparaServe
import NIOCore

// Between gateways: requests for instances on nodes another process hosts go to that node's
// gateway; every sync period each hosted node tells the others its backlogs (in memory within
// this process, over HTTP to peers), and what the handlers believe about a peer is logged when
// it changes.
extension LiveEngine {
    /// Carries a request to the gateway of the node its instance is on; if that gateway cannot
    /// be reached, the request is tried on another instance (or fails, with a reason).
    func forward(_ s: EngineState, _ request: Request, to node: NodeIndex) {
        guard let peers, let url = peerURLs[node], let instance = request.instance else {
            // Called while carrying out effects: the pump that runs this goes on to what it asks.
            s.core.retry(request, failing: .nodeDown)
            return
        }
        let now = s.outbox.now
        let deployment = s.deployment
        let forwarded = ForwardedRequest(
            service: deployment.services[request.service].name,
            origin: deployment.nodes[request.origin].name,
            instance: s.core.info(instance).id, hops: Int(request.hops),
            ageS: now - request.arrival, deadlineInS: request.deadline - now,
            inputTokens: request.inputTokens, outputTokens: request.outputTokens, returnS: request.returnS)
        let payload = s.inFlight[request.id]?.payload
        let logger = logger
        let nodeName = deployment.nodes[node].name
        s.sentToPeer[node, default: 0] += 1
        spawn(
            s,
            { () async -> (Outcome, EndReason, Reply?)? in
                do {
                    return try await peers.forward(forwarded, payload: payload, to: url)
                } catch {
                    logger.warning("peer unreachable", metadata: ["node": "\(nodeName)", "url": "\(url)", "error": "\(error)"])
                    return nil
                }
            },
            then: { s, ended in
                guard let (outcome, reason, reply) = ended else {
                    s.core.retry(request, failing: .nodeDown)
                    return
                }
                if let reply { s.inFlight[request.id]?.reply = reply }
                s.core.endedElsewhere(request, outcome, reason, at: s.outbox.now)
            })
    }

    /// Every `interval` seconds, a sync round (`syncRound`), until `stop`. The gateways' server
    /// runs its rounds as a lifecycle service instead (LiveServer.swift).
    public func startSync(every interval: Double) {
        enter { s in
            spawn(
                s,
                {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .nanoseconds(boundedNanoseconds(interval)))
                        if Task.isCancelled { break }
                        self.syncRound(timeoutS: interval)
                    }
                }, then: { _, _ in })
        }
    }

    /// Each hosted node tells every other node the backlog of its instances.
    public func syncRound(timeoutS: Double) {
        enter { s in
            let now = s.outbox.now
            let nodes = s.deployment.nodes.indices
            for from in nodes where hosted[from] {
                for to in nodes where to != from && hosted[to] { s.core.sync(from: from, to: to, now: now) }
            }
            if let peers {
                for from in nodes where hosted[from] {
                    let report = SyncReport(
                        node: s.deployment.nodes[from].name,
                        instances: s.core.syncReport(from: from).map {
                            .init(id: s.core.info($0.instance).id, backlogS: $0.backlogS)
                        })
                    guard let body = try? JSONOutput.encoder(pretty: false).encode(report) else { continue }
                    for url in peerURLs.values {
                        spawn(s, { try? await peers.sync(ByteBuffer(bytes: body), to: url, timeoutS: timeoutS) }, then: { _, _ in })
                    }
                }
            }
            noteHealth(s, now: now)
        }
    }

    /// A peer's sync report arrived.
    public func acceptSync(_ report: SyncReport) throws(LiveError) {
        try enter { (s: EngineState) throws(LiveError) in
            let deployment = s.deployment
            guard let from = deployment.nodeIndex[report.node] else { throw .unknownNode(report.node) }
            let entries = report.instances.compactMap { entry in
                s.core.instanceIndex(id: entry.id).map { (instance: $0, backlogS: entry.backlogS) }
            }
            let now = s.outbox.now
            for to in deployment.nodes.indices where hosted[to] && to != from {
                s.core.acceptSync(from: from, to: to, report: entries, now: now)
            }
            noteHealth(s, now: now)
        }
    }

    /// Records (and logs) each change in whether this process's handlers count a peer as up.
    func noteHealth(_ s: EngineState, now: Double) {
        guard let observer = hosted.firstIndex(of: true) else { return }
        for node in peerURLs.keys.sorted() {
            let up = s.core.heard(by: observer, from: node, now: now).up
            if up != s.believedUp[node] {
                s.believedUp[node] = up
                s.health.append((now, node, up))
                let name = s.deployment.nodes[node].name
                if up {
                    logger.info("peer is back", metadata: ["node": "\(name)"])
                } else {
                    logger.warning("peer missed its syncs: routing around it", metadata: ["node": "\(name)"])
                }
            }
        }
    }
}
