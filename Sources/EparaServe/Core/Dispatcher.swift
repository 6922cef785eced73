import EparaCore
import EparaDocuments

// Where a request goes: each node's handler picks an instance for the requests arriving there
// (by estimated completion on the last synced state, or by the plan's routing weights), sends
// it there, and the instance's node forwards it onward when it would miss its deadline there.
extension RequestCore {
    /// A new request at its origin node.
    public func admit(_ request: Request) {
        guard isUp[request.origin] else {
            executor.finish(request, .failed, .originDown, at: executor.now)
            return
        }
        dispatch(request, from: request.origin, excluding: nil)
    }

    /// Static cost of reaching instance `i` from node `n` and back with an empty queue.
    @inline(__always) func reachCost(_ service: ServiceIndex, _ i: InstanceIndex, from n: NodeIndex, inputTokens: Int32) -> Double {
        transferS(bytes: requestBytes(service, inputTokens), from: n, to: hot[i].node)
            + firstResultS(i, inputTokens: inputTokens)
            + transferS(bytes: hotServices[service].answerBytes, from: hot[i].answerNode, to: n)
    }

    /// The live instances node `n` may send a service's requests to: those that answer a typical
    /// request within its deadline, nearest first, at most 32.
    func candidates(_ service: ServiceIndex, from n: NodeIndex) -> [InstanceIndex] {
        if let cached = reach[service, n] { return cached }
        let s = deployment.services[service]
        let tokens = Int32(s.inputTokens.rounded())
        let ranked = liveOf[service].map { (i: $0, cost: reachCost(service, $0, from: n, inputTokens: tokens)) }
            .filter { $0.cost <= s.deadlineS || isServerRun($0.i) }
            .sorted { ($0.cost, $0.i) < ($1.cost, $1.i) }
        let list = ranked.prefix(32).map(\.i)
        reach[service, n] = list
        return list
    }

    /// Seconds of work ahead of a new request at instance `i`, as node `n` believes it.
    @inline(__always) func backlogS(_ i: InstanceIndex, from n: NodeIndex, now: Double) -> Double {
        let node = hot[i].node
        let loading = max(0, instances[i].readyAt - now)
        if node == n { return deviceBacklogS(hot[i].device) + loading }
        // Remote: the backlog it reported at the last sync, drained since, plus what this node
        // sent it since — for requests counted once per origin of the service, since the other
        // origins are presumably sending as much and this node cannot see it until the next
        // sync. Streams are steady flows: the others' frames are already in the synced backlog,
        // and counting this node's frames once per origin made every instance but the last
        // chosen look full after a frame or two, so each camera cycled through all of them.
        let drained = max(0, Double(views[n].queued[i]) - (now - views[n].heardAt[node]))
        let perOrigin = hotServices[hot[i].service].isFrequency ? 1 : Double(senders[hot[i].service])
        let sent = Double(views[n].sent[i]) * perOrigin
        return drained + sent / max(hot[i].capacityPerS, 1e-9) + loading
    }

    /// `retrying`: why the request left the instance it had (then, with nowhere else to go, it
    /// fails for that reason rather than being dropped).
    func dispatch(_ request: Request, from n: NodeIndex, excluding: InstanceIndex?, retrying: EndReason? = nil) {
        let now = executor.now
        let service = request.service
        let chosen: InstanceIndex?
        var outOfCredit = false
        if config.followsPlanWeights {
            chosen = weightedChoice(service, from: n, excluding: excluding, now: now)
        } else {
            (chosen, outOfCredit) = bestCompletion(request, from: n, excluding: excluding, now: now)
        }
        guard let chosen else {
            let ending = nowhereToGo(request, retrying: retrying, outOfCredit: outOfCredit)
            executor.finish(request, ending.outcome, ending.reason, at: now)
            return
        }
        send(request, to: chosen, from: n)
    }

    /// EPARA's handler: the instance with the best estimated completion (reaching it, its
    /// backlog as last synced, and back); for frames, the better of two that answer in time.
    /// `outOfCredit`: some instance was passed over because the stream had no credit left there.
    func bestCompletion(
        _ request: Request, from n: NodeIndex, excluding: InstanceIndex?,
        now: Double
    ) -> (chosen: InstanceIndex?, outOfCredit: Bool) {
        let service = request.service
        let isFrequency = hotServices[service].isFrequency
        var best = Double.infinity
        var chosen: InstanceIndex?
        var outOfCredit = false
        let localOnly = config.dispatch == .local
        let sampling = isFrequency && !localOnly
        if sampling { inTime.removeAll(keepingCapacity: true) }
        for i in candidates(service, from: n) where i != excluding {
            guard !localOnly || hot[i].node == n else { continue }
            guard instances[i].isLive, believesUp(hot[i].node, from: n, now: now) else { continue }
            if isFrequency, !hasCredit(origin: n, at: i) {
                outOfCredit = true
                continue
            }
            let estimate = reachCost(service, i, from: n, inputTokens: request.inputTokens) + backlogS(i, from: n, now: now)
            if sampling, now + estimate <= request.deadline { inTime.append((i, estimate)) }
            if estimate < best {
                best = estimate
                chosen = i
            }
        }
        if sampling, inTime.count > 2 { return (betterOfTwo(request, from: n), outOfCredit) }
        return (chosen, outOfCredit)
    }

    /// Frames: the better of two instances drawn in proportion to capacity among those that
    /// would answer in time. Every camera's handler reads the same synced state, so the single
    /// best instance would receive the next frame of every stream right after each sync (a
    /// herd that overflows it, Mitzenmacher's "old information"); two random choices spread
    /// them and keep most of the benefit. The draw hashes the request and node: deterministic,
    /// no generator state.
    func betterOfTwo(_ request: Request, from n: NodeIndex) -> InstanceIndex {
        var total = 0.0
        for (i, _) in inTime { total += hot[i].capacityPerS }
        var hash = SeededRandom(seed: UInt64(truncatingIfNeeded: request.id) &* 0x9E37_79B9 ^ UInt64(n.offset) << 40)
        func draw() -> Int {
            var x = hash.unit() * total
            for k in inTime.indices {
                x -= hot[inTime[k].instance].capacityPerS
                if x <= 0 { return k }
            }
            return inTime.count - 1
        }
        let a = draw()
        var b = draw()
        if b == a { b = (a + 1) % inTime.count }
        return inTime[a].estimate <= inTime[b].estimate ? inTime[a].instance : inTime[b].instance
    }

    /// Smooth weighted round-robin over the plan's routing targets for (service, origin).
    func weightedChoice(_ service: ServiceIndex, from n: NodeIndex, excluding: InstanceIndex?, now: Double) -> InstanceIndex? {
        if weighted[service, n] == nil {
            let name = deployment.services[service].name, origin = deployment.nodes[n].name
            let route = deployment.plan.routing.first { $0.service == name && $0.origin == origin }
            weighted[service, n] = (route?.targets ?? []).compactMap { target in
                idIndex[target.instance].map { (instance: $0, weight: target.weight, current: 0) }
            }
        }
        var entries = weighted[service, n]!
        var total = 0.0
        var best: Int?
        for k in entries.indices {
            let i = entries[k].instance
            guard i != excluding, instances[i].isLive, believesUp(hot[i].node, from: n, now: now) else { continue }
            entries[k].current += entries[k].weight
            total += entries[k].weight
            if best.map({ entries[k].current > entries[$0].current }) ?? true { best = k }
        }
        guard let best else { return nil }
        entries[best].current -= total
        weighted[service, n] = entries
        return entries[best].instance
    }

    func send(_ request: Request, to i: InstanceIndex, from n: NodeIndex) {
        var r = request
        let node = hot[i].node
        let service = r.service
        r.instance = i
        r.returnS = transferS(bytes: hotServices[service].answerBytes, from: hot[i].answerNode, to: r.origin)
        if hotServices[service].isFrequency { views[r.origin].inFlight[i] += 1 }
        if node == n {
            enqueue(r)
        } else {
            views[n].sent[i] += 1
            forwardedBy[n] += 1
            executor.transfer(r, to: node, delayS: transferS(bytes: requestBytes(service, r.inputTokens), from: n, to: node))
        }
    }

    /// A request carried to the node of its instance.
    public func arrived(_ request: Request, at node: NodeIndex) {
        var r = request
        let i = r.at
        let service = r.service
        let isFrequency = hotServices[service].isFrequency
        guard isUp[node] else {
            // The connection is refused; the sender tries another instance if hops remain.
            retry(r, failing: .nodeDown)
            return
        }
        if !instances[i].isLive {
            if isFrequency { views[r.origin].inFlight[i] -= 1 }
            dispatch(r, from: node, excluding: i)
            return
        }
        // The node's handler sees its instance's true queue: forward when the request would
        // miss its deadline here and another instance looks better (streams stay where their
        // credits are).
        if config.dispatch == .bestCompletion, config.syncIntervalS > 0, !isFrequency, Int(r.hops) < config.maxOffload,
            let alternative = betterElsewhere(r, than: i, at: node)
        {
            r.hops += 1
            send(r, to: alternative, from: node)
            return
        }
        enqueue(r)
    }

    /// Another instance that would answer `r` sooner than instance `i`, if `r` would miss its
    /// deadline at `i`.
    func betterElsewhere(_ r: Request, than i: InstanceIndex, at node: NodeIndex) -> InstanceIndex? {
        let now = executor.now
        let here = now + backlogS(i, from: node, now: now) + firstResultS(i, inputTokens: r.inputTokens) + r.returnS
        guard here > r.deadline else { return nil }
        var best = here
        var alternative: InstanceIndex?
        for j in candidates(r.service, from: node) where j != i {
            guard instances[j].isLive, believesUp(hot[j].node, from: node, now: now) else { continue }
            let estimate = now + reachCost(r.service, j, from: node, inputTokens: r.inputTokens) + backlogS(j, from: node, now: now)
            if estimate < best - 1e-9 {
                best = estimate
                alternative = j
            }
        }
        return alternative
    }

    /// A request its instance could not take (its node refused the connection, or its model
    /// server failed): the origin tries another instance if hops remain, else it fails.
    public func retry(_ request: Request, failing reason: EndReason) {
        var r = request
        let i = r.at
        if hotServices[r.service].isFrequency { views[r.origin].inFlight[i] -= 1 }
        if Int(r.hops) < config.maxOffload, isUp[r.origin] {
            r.hops += 1
            dispatch(r, from: r.origin, excluding: i, retrying: reason)
        } else {
            executor.finish(r, .failed, reason, at: executor.now)
        }
    }

    /// A request this node sent to another node's handler ended there (live gateways on
    /// separate machines): the sender settles its stream's credit and reports the end.
    public func endedElsewhere(_ r: Request, _ outcome: Outcome, _ reason: EndReason, at time: Double) {
        if hotServices[r.service].isFrequency, r.instance != nil { credit(r, success: outcome == .completedInSlo) }
        executor.finish(r, outcome, reason, at: time)
    }
}
