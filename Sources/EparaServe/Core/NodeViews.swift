// Information sync: what each node's handler knows of the others' backlogs, when it last heard
// from them, and whether it still counts them as up. The simulator syncs in memory; live
// gateways send the same reports over HTTP.
//
// Views that hold the same values share one copy of their tables (copy on write): at the start
// every view is the same, and after a sync round in which everyone heard from everyone they are
// again. A node's own writes (what it sent since, its streams' credits) copy only its view. So a
// 10,000-node fleet holds a few views' worth of tables, not 10,000² "heard at" times.
extension RequestCore {
    @inline(__always) func believesUp(_ node: NodeIndex, from n: NodeIndex, now: Double) -> Bool {
        guard config.syncIntervalS > 0, node != n else { return true }
        return now - views[n].heardAt[node] <= config.syncIntervalS * Double(config.missedSyncsForDown) + 1e-9
    }

    /// A sync round in which every node hears from every other (no message lost, every node
    /// up): each view ends holding the same backlogs, "heard at" times and zero sends — what
    /// `sync` from every node to every other would leave, for every entry a handler reads — so
    /// they share one copy. Returns false, changing nothing, when a node is down (then the round
    /// goes pair by pair).
    public func syncEveryone(now: Double) -> Bool {
        guard !views.elements.isEmpty, isUp.elements.allSatisfy({ $0 }) else { return false }
        let count = views[NodeIndex(0)].queued.count
        var queued = Table<InstanceIndex, Float>(repeating: 0, count: count)
        for n in onNode.indices {
            for i in onNode[n] { queued[i] = Float(deviceBacklogS(hot[i].device)) }
        }
        let heard = Table<NodeIndex, Double>(repeating: now, count: views.count)
        let sent = Table<InstanceIndex, Int32>(repeating: 0, count: count)
        for n in views.indices {
            views[n].heardAt = heard
            views[n].queued = queued
            views[n].sent = sent
        }
        return true
    }

    /// Grows every view's per-instance tables to `count` rows (new instances); consecutive views
    /// that shared their tables go on sharing the grown ones.
    func growViews(to count: Int) {
        var last: (old: NodeView, new: NodeView)?
        for n in views.indices {
            if let last, last.old.queued == views[n].queued, last.old.sent == views[n].sent,
                last.old.inFlight == views[n].inFlight, last.old.credit == views[n].credit
            {
                views[n].queued = last.new.queued
                views[n].sent = last.new.sent
                views[n].inFlight = last.new.inFlight
                views[n].credit = last.new.credit
                continue
            }
            let old = views[n]
            views[n].queued.append(contentsOf: repeatElement(0, count: count - views[n].queued.count))
            views[n].sent.append(contentsOf: repeatElement(0, count: count - views[n].sent.count))
            views[n].inFlight.append(contentsOf: repeatElement(0, count: count - views[n].inFlight.count))
            while views[n].credit.count < count { views[n].credit.append(initialCredit(views[n].credit.nextIndex)) }
            last = (old, views[n])
        }
    }

    /// Node `from` tells node `to` the state of its instances (the caller decides whether the
    /// message got through).
    public func sync(from: NodeIndex, to: NodeIndex, now: Double) {
        guard isUp[from], isUp[to] else { return }
        views[to].heardAt[from] = now
        for i in onNode[from] {
            views[to].queued[i] = Float(deviceBacklogS(hot[i].device))
            views[to].sent[i] = 0
        }
    }

    /// What node `from` tells the others at a sync: seconds of work ahead of each of its
    /// instances (live gateways send it over HTTP).
    public func syncReport(from: NodeIndex) -> [(instance: InstanceIndex, backlogS: Double)] {
        onNode[from].map { ($0, deviceBacklogS(hot[$0].device)) }
    }

    /// Node `to` takes in a report node `from` sent.
    public func acceptSync(from: NodeIndex, to: NodeIndex, report: [(instance: InstanceIndex, backlogS: Double)], now: Double) {
        guard isUp[to] else { return }
        views[to].heardAt[from] = now
        for (i, backlog) in report where i.offset < views[to].queued.count {
            views[to].queued[i] = Float(backlog)
            views[to].sent[i] = 0
        }
    }

    /// When node `n` last heard from node `m`, and whether it still counts it as up.
    public func heard(by n: NodeIndex, from m: NodeIndex, now: Double) -> (at: Double, up: Bool) {
        (views[n].heardAt[m], believesUp(m, from: n, now: now))
    }
}
