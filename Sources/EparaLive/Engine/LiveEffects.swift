import EparaCore
import EparaDocuments
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
            if hosted[node] {
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
        case let .firstToken(request, paceS):
            emulatedFirstToken(s, request, paceS: paceS)
        case let .finish(request, outcome, reason, at):
            let held = s.inFlight[request.id] ?? InFlightRequest()
            held.emulatedStream?.end()
            if !held.fromPeer {
                s.recorder.finish(request, outcome, reason, at: at)
                if let observe = options.llmObserver, !request.firstToken.isNaN, outcome == .completedInSlo || outcome == .completedLate {
                    observe(s.deployment.services[request.service].name, request.timeToFirstTokenS, request.timePerOutputTokenS(endingAt: at))
                }
            }
            // A streaming client has had its answer since the first token.
            if !held.answeredEarly {
                let answer = LiveAnswer(
                    result: LiveResult(id: request.id, outcome: outcome, reason: reason, latencyS: at - request.arrival),
                    reply: held.reply)
                s.deliver(request.id, answer)
            }
            s.end(request.id)
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
    /// server (which batches by itself) it is one request's call, from dispatch to the server's
    /// last token (ServerCalls.swift). Returns the requests that failed when the work is already
    /// over (it takes no time, or its model server is held off after a failure), nil when it runs.
    func startWork(_ s: EngineState, _ w: WorkIndex, token: Int, durationS: Double) -> Set<Int>? {
        let (i, _, requests) = s.core.work(w)
        let target = target(s, instance: i)
        guard target.isReal, let http, let request = requests.first else {
            let seconds = durationS * target.timeScale
            guard seconds > 0 else { return [] }
            spawn(s, after: seconds) { $0.core.workFinished(w, token: token, failed: []) }
            return nil
        }
        if let until = s.backendDownUntil[i], until > s.outbox.now { return [request.id] }
        let payload = s.inFlight[request.id]?.payload ?? Payload(api: .native)
        // An LLM's answer is always asked for as a stream: the first token's time and the pace of
        // the rest are then measured, whatever the client asked for.
        let streamed = target.kind == .openai && s.deployment.services[request.service].isLLM
        // Sent once the engine's lock is released: a call that fails at once comes straight back in.
        s.outgoing.append { [self] in
            http.call(target, payload: payload, streamed: streamed).whenComplete { result in
                self.callAnswered(result, work: w, request: request.id, instance: i, target: target, payload: payload, streamed: streamed)
            }
        }
        return nil
    }

    /// The server's first answer to a call (or its failure): a whole body ends the call; a stream
    /// gives the request its first token, goes to a streaming client at once, and is read to its
    /// end in a task the engine keeps.
    func callAnswered(
        _ result: Result<Reply, any Error>, work w: WorkIndex, request id: Int, instance i: InstanceIndex, target: BackendTarget,
        payload: Payload, streamed: Bool
    ) {
        let reply: Reply
        switch result {
        case let .failure(error):
            enter { s in
                if case let BackendFailure.badInput(message) = error {
                    // The client's mistake: answer it rather than retry elsewhere.
                    s.inFlight[id]?.reply = Reply(status: 400, contentType: "application/json", first: ByteBuffer(string: Gateway.errorJSON(message)))
                    s.core.serverCallEnded(w, outputTokens: nil, failed: false)
                } else {
                    logger.warning("model server call failed", metadata: ["url": "\(target.url ?? "")", "error": "\(error)"])
                    if case BackendFailure.unreachable = error { s.backendDownUntil[i] = s.outbox.now + Self.backendHoldOffS }
                    s.core.serverCallEnded(w, outputTokens: nil, failed: true)
                }
            }
            return
        case let .success(value): reply = value
        }
        enter { s in
            s.core.serverFirstAnswer(w)
            // An LLM's stream is read to its end (one the server had already ended is read as
            // such); anything else — a KServe v2 answer, an error, a stream a client asked of a
            // server that is not an LLM's — goes back as it came.
            guard streamed, reply.status < 300, reply.contentType.contains("event-stream") else {
                s.inFlight[id]?.reply = reply
                s.core.serverCallEnded(w, outputTokens: nil, failed: false)
                return
            }
            let rest = reply.rest ?? AsyncThrowingStream { $0.finish() }
            let first = reply.first
            let promptTokens = s.core.work(w).requests.first?.inputTokens ?? 0
            let wantsUsage = CompletionStream.wantsUsage(payload.body)
            var relay: AsyncThrowingStream<ByteBuffer, any Error>.Continuation?
            if payload.stream {
                let (out, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
                relay = continuation
                answerEarly(s, w, Reply(status: reply.status, contentType: reply.contentType, first: ByteBuffer(), rest: out))
            }
            spawn(
                s,
                { [relay] () async -> (tokens: Int32, whole: ByteBuffer?, broken: Bool) in
                    var stream = CompletionStream(api: payload.api, clientWantsUsage: wantsUsage)
                    var broken = false
                    let events = stream.take(first)
                    if events.readableBytes > 0 { relay?.yield(events) }
                    do {
                        for try await chunk in rest {
                            let events = stream.take(chunk)
                            if events.readableBytes > 0 { relay?.yield(events) }
                        }
                        relay?.finish()
                    } catch {
                        broken = true
                        relay?.finish(throwing: error)
                    }
                    return (stream.outputTokens, payload.stream ? nil : stream.assembled(promptTokens: promptTokens), broken)
                },
                then: { s, ended in
                    if !payload.stream {
                        // A whole answer put back together; a stream cut short is tried elsewhere.
                        guard !ended.broken, let whole = ended.whole else {
                            s.core.serverCallEnded(w, outputTokens: nil, failed: true)
                            return
                        }
                        s.inFlight[id]?.reply = Reply(status: 200, contentType: "application/json", first: whole)
                    }
                    s.core.serverCallEnded(w, outputTokens: ended.tokens, failed: false)
                })
        }
    }

    /// Hands a streaming client its answer at the server's first token; the request's end (its
    /// last token, judged against the TPOT bound) is recorded when the stream ends.
    func answerEarly(_ s: EngineState, _ w: WorkIndex, _ reply: Reply) {
        guard let r = s.core.work(w).requests.first else { return }
        answerEarly(s, r, reply)
    }

    func answerEarly(_ s: EngineState, _ r: Request, _ reply: Reply) {
        let id = r.id
        s.inFlight[id]?.answeredEarly = true
        // Judged so far on its first token; the Run and the state store get the final verdict.
        let firstAnswer = r.firstToken + r.returnS
        let result = LiveResult(
            id: id, outcome: firstAnswer <= r.deadline + 1e-12 ? .completedInSlo : .completedLate, reason: .none,
            latencyS: firstAnswer - r.arrival)
        s.deliver(id, LiveAnswer(result: result, reply: reply))
    }
}
