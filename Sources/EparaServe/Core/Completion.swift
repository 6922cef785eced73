import EparaDocuments

// Work that finished on its device: a batch completes its requests (or moves on to the next
// pipeline stage), an LLM iteration leaves first tokens or finished sequences; each request's
// end is judged against its SLO.
extension RequestCore {
    /// A piece of work finished on its device.
    public func workFinished(_ w: WorkIndex, token: Int) {
        // A completion from before the work was preempted.
        guard works[w].token == token else { return }
        if works[w].kind == .call { return serverCallEnded(w, outputTokens: nil, failed: false) }
        let i = works[w].instance
        let stage = works[w].stage
        let d = stage == 0 ? hot[i].device : infos[i].stages[stage].device
        if devices[d].current == w {
            if works[w].steps > 1 { addRunBusyTime(w, on: d) }
            devices[d].finished(after: works[w].durationS)
        }
        if works[w].cancelled {
            release(w)
            schedule(device: d)
            return
        }
        let now = executor.now
        if stage == 0 && works[w].kind == .batch { instances[i].inService -= works[w].requests.count }
        switch works[w].kind {
        case .batch:
            if stage + 1 < hot[i].stageCount {
                executor.handOff(work: w, delayS: infos[i].stages[stage].handoffS[works[w].requests.count])
                if stage == 0 { instances[i].worksInFlight -= 1 }
                schedule(device: d)
                return
            }
            for k in works[w].requests.indices { complete(works[w].requests[k], at: now) }
        case .prefill:
            prefillFinished(w, on: i, at: now)
        case .decode:
            decodeStepFinished(on: i, at: now, steps: works[w].steps)
        case .step:
            chunkedStepFinished(on: i, at: now)
        case .call:
            break
        }
        if stage == 0 { instances[i].worksInFlight -= 1 }
        release(w)
        schedule(device: d)
    }

    /// A piece of work on a model server finished, but the server failed some of its requests
    /// (`failed`: their ids): those are tried on another instance, the rest complete.
    public func workFinished(_ w: WorkIndex, token: Int, failed: Set<Int>) {
        if works[w].kind == .call { return serverCallEnded(w, outputTokens: nil, failed: !failed.isEmpty) }
        guard !failed.isEmpty, works[w].token == token, !works[w].cancelled else {
            workFinished(w, token: token)
            return
        }
        let lost = works[w].requests.filter { failed.contains($0.id) }
        works[w].requests.removeAll { failed.contains($0.id) }
        let i = works[w].instance
        if works[w].stage == 0 && works[w].kind == .batch { instances[i].inService -= lost.count }
        workFinished(w, token: token)
        for r in lost { retry(r, failing: .backendError) }
    }

    /// Activations of a model-parallel batch reached the next stage's device.
    public func handedOff(_ w: WorkIndex) {
        let i = works[w].instance
        works[w].stage += 1
        let next = infos[i].stages[works[w].stage]
        settleRun(on: next.device)
        if works[w].cancelled || !isUp[next.node] {
            for r in works[w].requests { fail(r, .nodeDown) }
            release(w)
            return
        }
        let device = next.device
        devices[device].continuing.append(w)
        schedule(device: device)
    }

    /// A request answered: in SLO when its answer (an LLM's first token) is back by the deadline
    /// and, for an LLM, its tokens came at the time-per-output-token bound or faster.
    @inline(__always) func complete(_ r: Request, at now: Double) {
        let service = hotServices[r.service]
        let end = now + r.returnS
        var inSLO: Bool
        if service.isLLM {
            inSLO = r.firstToken + r.returnS <= r.deadline + 1e-12
            if !service.tpotS.isNaN, r.outputTokens > 1 {
                inSLO = inSLO && (now - r.firstToken) / Double(r.outputTokens - 1) <= service.tpotS + 1e-12
            }
        } else {
            inSLO = end <= r.deadline + 1e-12
        }
        servedAt[hot[r.at].node] += 1
        if service.isFrequency { credit(r, success: inSLO) }
        executor.finish(r, inSLO ? .completedInSlo : .completedLate, .none, at: end)
    }

    func fail(_ r: Request, _ reason: EndReason) {
        if hotServices[r.service].isFrequency, let at = r.instance { views[r.origin].inFlight[at] -= 1 }
        executor.finish(r, .failed, reason, at: executor.now)
    }

    /// A model-parallel batch between stages when the run ends.
    public func abandon(work w: WorkIndex) {
        for r in works[w].requests { fail(r, .runEnded) }
        release(w)
    }
}
