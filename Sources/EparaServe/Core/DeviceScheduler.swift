// What runs next on a device, and when running work gives way: EPARA's device arbitration
// between the instances sharing a GPU (preempted work > later pipeline stages > about to miss
// > latency-sensitive by earliest deadline > frequency-sensitive by oldest frame).
extension RequestCore {
    /// Queues a request at its instance and gets its device going (or preempts it).
    func enqueue(_ r: Request) {
        let i = r.at
        if isServerRun(i) {
            instances[i].edf.insert(ByDeadline(request: r))
            feedServer(i)
            return
        }
        if hotServices[r.service].isFrequency && !hot[i].isLLM {
            instances[i].fifo.append(r)
        } else {
            instances[i].edf.insert(ByDeadline(request: r))
        }
        let d = hot[i].device
        if devices[d].isBusy {
            settleRun(on: d)
            preemptIfUrgent(device: d, for: i)
        } else {
            schedule(device: d)
        }
    }

    /// The executor's wake-up for an instance (a frame pack's wait ended, a model loaded).
    public func wake(instance i: InstanceIndex) {
        instances[i].wakeAt = .infinity
        settleRun(on: hot[i].device)
        schedule(device: hot[i].device)
    }

    /// Starts the next piece of work on a free device: preempted work first, then later stages of
    /// model-parallel batches, then the most urgent instance: about to miss > latency (earliest
    /// deadline) > frequency (oldest frame).
    func schedule(device d: DeviceIndex) {
        guard !devices[d].isBusy, isUp[deviceNode[d]] else { return }
        // Looked at before popping: a pop is a write to the device's row, and the queues are
        // almost always empty.
        if !devices[d].preempted.isEmpty, let w = devices[d].preempted.popFirst() {
            run(work: w, on: d)
            return
        }
        if !devices[d].continuing.isEmpty, let w = devices[d].continuing.popFirst() {
            run(work: w, on: d)
            return
        }
        let now = executor.now
        var bestInstance: InstanceIndex?
        var bestClass = 3, bestKey = Double.infinity
        for i in devices[d].instances {
            guard instances[i].server == nil, instances[i].readyAt <= now, instances[i].worksInFlight == 0 || hot[i].stageCount > 1 else { continue }
            guard let key = priority(i, now: now) else {
                // A pack still filling: come back when it is due.
                if hot[i].framesPacked > 1, !instances[i].fifo.isEmpty { scheduleWake(i) }
                continue
            }
            if key.0 < bestClass || (key.0 == bestClass && key.1 < bestKey) {
                bestClass = key.0
                bestKey = key.1
                bestInstance = i
            }
        }
        guard let bestInstance else { return }
        if let w = formWork(bestInstance) {
            run(work: w, on: d)
        } else {
            // Everything at the head was dropped, or a pack is still filling: look again.
            schedule(device: d)
        }
    }

    /// (class, key) of an instance with work that can start now; nil when it has none.
    @inline(__always) func priority(_ i: InstanceIndex, now: Double) -> (Int, Double)? {
        if hot[i].isLLM {
            let seats = instances[i].running.count + instances[i].prefilling.count < hot[i].batch
            if seats, instances[i].preempted.isEmpty, let head = instances[i].edf.min {
                return (slackClass(head.request, i, now: now), head.request.deadline)
            }
            if !instances[i].running.isEmpty || !instances[i].prefilling.isEmpty || (seats && !instances[i].preempted.isEmpty) {
                let tpot = hotServices[hot[i].service].tpotS
                return (1, now + (tpot.isNaN ? 0.05 : tpot))
            }
            return nil
        }
        if let head = instances[i].edf.min { return (slackClass(head.request, i, now: now), head.request.deadline) }
        if let head = instances[i].fifo.first {
            if hot[i].framesPacked > 1 && !packReady(i, now: now) { return nil }
            return (slackClass(head, i, now: now) == 0 ? 0 : 2, head.arrival)
        }
        return nil
    }

    /// 0 when the request is about to miss (less slack than one full batch), else 1.
    @inline(__always) func slackClass(_ r: Request, _ i: InstanceIndex, now: Double) -> Int {
        let full = hot[i].isLLM ? 0 : batchS(i, hot[i].batch)
        return r.deadline - now - r.returnS - firstResultS(i, inputTokens: r.inputTokens) < full ? 0 : 1
    }

    /// Seconds a piece of work occupies its device.
    func duration(of w: WorkIndex) -> Double {
        switch works[w].kind {
        case .batch:
            let i = works[w].instance, stage = works[w].stage
            return stage == 0 ? batchS(i, works[w].requests.count) : infos[i].stages[stage].batchS[works[w].requests.count]
        case .prefill, .decode, .step, .call:
            return works[w].durationS
        }
    }

    func run(work w: WorkIndex, on d: DeviceIndex) {
        var t: Double
        if let resume = works[w].resumeS {
            // Resuming preempted work: it is already counted in flight.
            t = resume
            works[w].resumeS = nil
        } else {
            t = duration(of: w)
            if config.serviceTimeCV > 0 {
                let shape = 1 / (config.serviceTimeCV * config.serviceTimeCV)
                t *= jitter.gamma(shape: shape, scale: 1 / shape)
            }
            if works[w].stage == 0 && works[w].kind == .batch { instances[works[w].instance].inService += works[w].requests.count }
            if works[w].stage == 0 { instances[works[w].instance].worksInFlight += 1 }
        }
        devices[d].current = w
        works[w].startedAt = executor.now
        works[w].durationS = t
        executor.start(work: w, token: works[w].token, durationS: t)
    }

    /// EPARA's preemption: a latency-sensitive request that would miss its deadline waiting for
    /// the work on its device (another instance's batch, a long LLM iteration, a frame batch)
    /// pauses that work, runs, and the paused work resumes first once the device is free. Work
    /// holding a request due earlier is not paused (a decode step holds none: its sequences'
    /// first tokens are out, and a pause of milliseconds stays within their per-token bound).
    func preemptIfUrgent(device d: DeviceIndex, for i: InstanceIndex) {
        guard executor.canPreempt, let w = devices[d].current, works[w].instance != i, !works[w].cancelled,
            !hotServices[hot[i].service].isFrequency, instances[i].readyAt <= executor.now, instances[i].worksInFlight == 0,
            let head = instances[i].head
        else { return }
        let now = executor.now
        let remaining = works[w].startedAt + works[w].durationS - now
        let need = firstResultS(i, inputTokens: head.inputTokens) + head.returnS
        guard remaining > 1e-6, now + remaining + need > head.deadline, now + need <= head.deadline else { return }
        if works[w].requests.contains(where: { $0.deadline <= head.deadline }) { return }
        works[w].token += 1
        works[w].resumeS = remaining
        devices[d].busyS += now - works[w].startedAt
        devices[d].preempted.append(w)
        devices[d].current = nil
        if let urgent = formWork(i) {
            run(work: urgent, on: d)
        } else {
            schedule(device: d)
        }
    }

    // MARK: Work slots

    func newWork(_ i: InstanceIndex, kind: WorkKind) -> WorkIndex {
        let w: WorkIndex
        if let free = freeWorks.popLast() {
            w = free
        } else {
            w = works.nextIndex
            works.append(Work())
        }
        works[w].instance = i
        works[w].stage = 0
        works[w].kind = kind
        works[w].cancelled = false
        works[w].resumeS = nil
        works[w].requests.removeAll(keepingCapacity: true)
        works[w].steps = 1
        return w
    }

    func release(_ w: WorkIndex) {
        works[w].requests.removeAll(keepingCapacity: true)
        freeWorks.append(w)
    }
}
