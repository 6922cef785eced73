import EparaDocuments

// Nodes going down and coming back (the simulator's fault plan; a live gateway's view of a
// peer is in NodeViews.swift), and the end of a run: everything a node — or the whole run —
// still holds fails, with its reason.
extension RequestCore {
    /// A node goes down: every request queued or running on it fails.
    public func nodeWentDown(_ n: NodeIndex) {
        guard isUp[n] else { return }
        for d in devices.indices where deviceNode[d] == n { settleRun(on: d) }
        isUp[n] = false
        failEverythingHeld(.nodeDown, instances: { self.infos[$0].nodes.contains(n) }, devices: { self.deviceNode[$0] == n })
        // Model-parallel batches on other nodes whose group includes this one fail at handoff.
    }

    /// A node comes back: its instances reload their models before they take requests.
    public func nodeCameUp(_ n: NodeIndex) {
        guard !isUp[n] else { return }
        isUp[n] = true
        let now = executor.now
        for i in infos.indices where infos[i].nodes.contains(n) {
            instances[i].readyAt = now + infos[i].loadS
            instances[i].worksInFlight = 0
            instances[i].inService = 0
            executor.wake(instance: i, at: instances[i].readyAt)
        }
        for d in devices.indices where deviceNode[d] == n { devices[d].current = nil }
        for m in views.indices { views[m].heardAt[n] = now }
    }

    /// Requests still held when the run ends.
    public func drain() {
        for d in devices.indices { settleRun(on: d) }
        failEverythingHeld(.runEnded, instances: { _ in true }, devices: { _ in true })
    }

    /// Fails every request queued at the chosen instances or held by work on the chosen devices
    /// (running, paused, or waiting for a later pipeline stage), and frees that work.
    private func failEverythingHeld(
        _ reason: EndReason, instances chosen: (InstanceIndex) -> Bool,
        devices onDevice: (DeviceIndex) -> Bool
    ) {
        for i in infos.indices where chosen(i) {
            while let r = instances[i].popHead() { fail(r, reason) }
            while let seq = instances[i].running.popMin() { fail(seq.request, reason) }
            while let prompt = instances[i].prefilling.popFirst() { fail(prompt.request, reason) }
            while let prompt = instances[i].preempted.popFirst() { fail(prompt.request, reason) }
            instances[i].contextSum = 0
        }
        for d in devices.indices where onDevice(d) {
            if let w = devices[d].current, !works[w].cancelled {
                works[w].cancelled = true
                for r in works[w].requests { fail(r, reason) }
                leaveFirstStage(w)
            }
            while let w = devices[d].continuing.popFirst() {
                for r in works[w].requests { fail(r, reason) }
                release(w)
            }
            while let w = devices[d].preempted.popFirst() {
                for r in works[w].requests { fail(r, reason) }
                leaveFirstStage(w)
                release(w)
            }
        }
    }

    /// Work on an instance's first stage that ends without finishing no longer counts there.
    private func leaveFirstStage(_ w: WorkIndex) {
        guard works[w].stage == 0 else { return }
        let i = works[w].instance
        instances[i].worksInFlight -= 1
        if works[w].kind == .batch { instances[i].inService -= works[w].requests.count }
    }
}
