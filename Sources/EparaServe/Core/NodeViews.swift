// Information sync: what each node's handler knows of the others' backlogs, when it last heard
// from them, and whether it still counts them as up. The simulator syncs in memory; live
// gateways send the same reports over HTTP.
extension RequestCore {
    @inline(__always) func believesUp(_ node: NodeIndex, from n: NodeIndex, now: Double) -> Bool {
        guard config.syncIntervalS > 0, node != n else { return true }
        return now - views[n].heardAt[node] <= config.syncIntervalS * Double(config.missedSyncsForDown) + 1e-9
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
