import EparaCore
import EparaServe
import Logging
import NIOCore

// What the live engine does with the effects the core leaves in its outbox: work runs on a
// model server (or sleeps on the emulated backend), transfers and handoffs take their network
// time or go to a peer's gateway, wakes sleep until they are due, and ends resume whoever waits
// for the answer.
extension LiveEngine {
    /// Carries out what the core asked for, until it asks for nothing more. Work that takes no
    /// time (the emulated backend at time_scale 0) ends here, without a task.
    func pump(_ s: EngineState) {
        while !s.outbox.effects.isEmpty {
            let effects = s.outbox.effects
            s.outbox.effects.removeAll(keepingCapacity: true)
            var immediate: [(work: WorkIndex, token: Int, failed: Set<Int>)] = []
            for effect in effects { carryOut(effect, in: s, immediate: &immediate) }
            for done in immediate {
                s.outbox.now = elapsed
                s.core.workFinished(done.work, token: done.token, failed: done.failed)
            }
        }
    }

    func carryOut(_ effect: Outbox.Effect, in s: EngineState, immediate: inout [(work: WorkIndex, token: Int, failed: Set<Int>)]) {
        switch effect {
        case let .start(work, token, durationS):
            if let failed = startWork(s, work, token: token, durationS: durationS) { immediate.append((work, token, failed)) }
        case let .transfer(request, node, delayS):
            if hosted[node.offset] {
                spawn(s, after: delayS) { $0.core.arrived(request, at: node) }
            } else {
                forward(s, request, to: node)
            }
        case let .handOff(work, delayS):
            // A real model server runs every stage of its model itself.
            let real = target(s, instance: s.core.work(work).instance).isReal
            spawn(s, after: real ? 0 : delayS) { $0.core.handedOff(work) }
        case let .wake(instance, at):
            spawn(s, after: at - elapsed) { $0.core.wake(instance: instance) }
        case let .finish(request, outcome, reason, at):
            let reply = s.replies.removeValue(forKey: request.id)
            s.payloads.removeValue(forKey: request.id)
            if s.fromPeers.remove(request.id) == nil { s.recorder.finish(request, outcome, reason, at: at) }
            let answer = LiveAnswer(
                result: LiveResult(id: request.id, outcome: outcome, reason: reason, latencyS: at - request.arrival),
                reply: reply)
            if let continuation = s.waiting.removeValue(forKey: request.id) {
                continuation.resume(returning: answer)
            } else {
                s.endedAtOnce[request.id] = answer
            }
        }
    }

    /// Starts `work` in a task the engine keeps (so `stop` can cancel it); `then` runs inside
    /// the engine with what it returned.
    func spawn<Value: Sendable>(
        _ s: EngineState, _ work: @escaping @Sendable () async -> Value,
        then: @escaping @Sendable (EngineState, Value) -> Void
    ) {
        let id = s.nextTask
        s.nextTask &+= 1
        let task = Task {
            let value = await work()
            self.enter { s in
                s.tasks[id] = nil
                then(s, value)
            }
        }
        // The task cannot end before it is registered: it enters the engine, whose lock is held here.
        s.tasks[id] = task
        if s.stopped { task.cancel() }
    }

    /// Runs `then` inside the engine after `seconds`.
    func spawn(_ s: EngineState, after seconds: Double, then: @escaping @Sendable (EngineState) -> Void) {
        spawn(s, { await Self.sleep(seconds) }, then: { s, _ in then(s) })
    }

    static func sleep(_ seconds: Double) async {
        guard seconds > 0 else { return }
        try? await Task.sleep(for: .nanoseconds(boundedNanoseconds(seconds)))
    }

    func target(_ s: EngineState, instance i: InstanceIndex) -> BackendTarget {
        if let target = s.targets[i] { return target }
        let info = s.core.info(i)
        let target = s.backends.target(
            service: s.deployment.services[info.service].name, node: s.deployment.nodes[info.node].name, instance: info.id)
        s.targets[i] = target
        return target
    }

    /// A piece of work: on the emulated backend it takes the latency model's time; on a model
    /// server each of its requests is one call, made together, and the work ends when every
    /// call has its first answer (later stages of a model-parallel instance are the server's).
    /// Returns the requests that failed when the work is already over (it takes no time, or its
    /// model server is held off after a failure), nil when it runs.
    func startWork(_ s: EngineState, _ w: WorkIndex, token: Int, durationS: Double) -> Set<Int>? {
        let (i, stage, requests) = s.core.work(w)
        let target = target(s, instance: i)
        guard target.isReal, let http else {
            let seconds = durationS * target.timeScale
            guard seconds > 0 else { return [] }
            spawn(s, after: seconds) { $0.core.workFinished(w, token: token, failed: []) }
            return nil
        }
        if stage > 0 { return [] }
        if let until = s.backendDownUntil[i], until > s.outbox.now { return Set(requests.map(\.id)) }
        let calls = requests.map { (id: $0.id, payload: s.payloads[$0.id] ?? Payload(api: .native)) }
        // Sent once the engine's lock is released: a call that fails at once comes straight back in.
        s.outgoing.append { [self] in
            call(http, target, calls) { done in
                self.enter { s in
                    s.replies.merge(done.answered) { $1 }
                    if done.unreachable { s.backendDownUntil[i] = s.outbox.now + Self.backendHoldOffS }
                    s.core.workFinished(w, token: token, failed: done.failed)
                }
            }
        }
        return nil
    }

    /// The calls of one piece of work to its model server, made together; `then` gets the
    /// answers, the requests that failed, and whether the server could not be reached at all,
    /// on an event loop, without a task in between.
    func call(
        _ http: HTTPBackends, _ target: BackendTarget, _ calls: [(id: Int, payload: Payload)],
        then: @escaping @Sendable ((answered: [Int: Reply], failed: Set<Int>, unreachable: Bool)) -> Void
    ) {
        let logger = logger
        let answers = calls.map { http.call(target, payload: $0.payload) }
        let settle: @Sendable ([Result<Reply, any Error>]) -> Void = { results in
            var answered: [Int: Reply] = [:]
            var failed: Set<Int> = []
            var unreachable = false
            for (call, result) in zip(calls, results) {
                switch result {
                case let .success(reply): answered[call.id] = reply
                case let .failure(error):
                    if case let BackendFailure.badInput(message) = error {
                        // The client's mistake: answer it rather than retry elsewhere.
                        answered[call.id] = Reply(
                            status: 400, contentType: "application/json", first: ByteBuffer(string: Gateway.errorJSON(message)))
                    } else {
                        logger.warning("model server call failed", metadata: ["url": "\(target.url ?? "")", "error": "\(error)"])
                        failed.insert(call.id)
                        if case BackendFailure.unreachable = error { unreachable = true }
                    }
                }
            }
            then((answered, failed, unreachable))
        }
        if answers.count == 1 {
            // A lone request (most of them at light load) needs nothing to gather its answers.
            answers[0].whenComplete { settle([$0]) }
        } else {
            EventLoopFuture.whenAllComplete(answers, on: answers[0].eventLoop).whenSuccess(settle)
        }
    }
}
