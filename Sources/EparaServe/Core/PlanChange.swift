import DequeModule
import EparaCore
import HeapModule

// A new plan in force during a run (the simulator's in-run replanning, the live engine's
// reload): how the core's tables follow it without losing a request.
extension RequestCore {
    /// Puts a new plan in force during a run: instances the previous plan also had keep their
    /// queues; new ones are offline while their model loads and their device is woken when it
    /// is loaded; removed ones stop taking requests, finish the sequences they are decoding, and
    /// the requests queued at them are dispatched again from the node they were on.
    public func apply(_ next: Deployment) {
        let now = executor.now
        for d in devices.indices { settleRun(on: d) }
        let orphans = install(next, now: now, loadModels: true)
        for i in instances.indices where instances[i].isLive && instances[i].readyAt > now {
            executor.wake(instance: i, at: instances[i].readyAt)
        }
        for (request, node) in orphans {
            if hotServices[request.service].isFrequency, let at = request.instance { views[request.origin].inFlight[at] -= 1 }
            dispatch(request, from: node, excluding: request.instance)
        }
    }

    /// Installs a deployment's instances and returns the requests queued at those it removes.
    func install(_ next: Deployment, now: Double, loadModels: Bool) -> [(request: Request, node: NodeIndex)] {
        deployment.plan = next.plan
        deployment.instances = next.instances
        deployment.instancesOf = next.instancesOf
        var inPlan = Set<InstanceIndex>()
        for info in next.instances {
            if let index = idIndex[info.id] {
                if !instances[index].isLive {
                    instances[index].isLive = true
                    instances[index].readyAt = max(instances[index].readyAt, now + info.loadS)
                }
                inPlan.insert(index)
            } else {
                let index = infos.nextIndex
                idIndex[info.id] = index
                infos.append(info)
                hot.append(Self.hotInstance(info, batchOffset: batchTable.count))
                batchTable.append(contentsOf: info.stages[0].batchS)
                llms.append(info.llm)
                var state = InstanceState()
                state.readyAt = loadModels ? now + info.loadS : 0
                instances.append(state)
                devices[info.stages[0].device].instances.append(index)
                inPlan.insert(index)
            }
        }
        var orphans: [(request: Request, node: NodeIndex)] = []
        for index in instances.indices where !inPlan.contains(index) && instances[index].isLive {
            instances[index].isLive = false
            let node = hot[index].node
            orphans.append(contentsOf: instances[index].edf.unordered.map { (request: $0.request, node: node) })
            orphans.append(contentsOf: instances[index].fifo.map { (request: $0, node: node) })
            instances[index].edf = Heap()
            instances[index].fifo = Deque()
        }
        liveOf = Table(repeating: [], count: deployment.services.count)
        for index in inPlan.sorted() { liveOf[hot[index].service].append(index) }
        growViews(to: infos.count)
        onNode = Table(repeating: [], count: deployment.nodes.count)
        for index in infos.indices { onNode[hot[index].node].append(index) }
        resetRoutes()
        refreshServers(inPlan.sorted())
        return orphans
    }

    /// The numbers of an instance read on every request, from its plan entry.
    static func hotInstance(_ info: InstanceInfo, batchOffset: Int) -> HotInstance {
        let stage = info.stages[0]
        var tail = stage.handoffS.isEmpty ? 0 : stage.handoffS[1]
        for later in info.stages.dropFirst() { tail += later.batchS[1] + (later.handoffS.isEmpty ? 0 : later.handoffS[1]) }
        return HotInstance(
            node: info.node, answerNode: info.stages[info.stages.count - 1].node,
            device: stage.device, service: info.service, batch: info.batch,
            framesPacked: info.framesPacked, stageCount: info.stages.count, capacityPerS: info.capacityPerS,
            batchOffset: batchOffset, tailS: tail, loneS: stage.batchS[1] + tail, isLLM: info.llm != nil)
    }

    /// Recomputes reach after links or the plan change.
    public func resetRoutes() {
        reach = Grid(rows: deployment.services.count, columns: deployment.nodes.count, repeating: nil)
        weighted = Grid(rows: deployment.services.count, columns: deployment.nodes.count, repeating: nil)
    }

    public func setLink(sites: (String, String), to link: Link?) {
        deployment.setLink(sites: sites, to: link)
        resetRoutes()
    }
}
