// Instances whose work runs on a model server that batches by itself (vLLM, llama.cpp's
// `llama-server`, SGLang, Ollama, Triton): the live engine in front of real servers. The core
// does not form batches or iterations for them — the server's own continuous batching would
// then see only one of our batches at a time, each request waiting behind the longest answer
// before it. Instead each request is its own call, from dispatch to its own end, up to the
// server's concurrency at once; the rest wait here, earliest deadline first. What the server
// delivers (time to its first answer, time per further token, time a call takes) is learned as
// it runs and is what dispatch and early drop estimate with, not the catalog's device model.

/// What one model server does, as observed: calls in flight, and moving averages of its pace.
public struct ServerPace: Sendable, Equatable {
    /// Requests the server runs at once (vLLM `--max-num-seqs`, llama.cpp `--parallel`).
    public var concurrency: Int
    public var inFlight = 0
    /// Start of a call to its first answer (an LLM's first token), seconds.
    public var firstAnswerS: Double
    /// Start of a call to its end, seconds.
    public var callS: Double
    /// Time per output token after the first, seconds (LLMs).
    public var perTokenS = 0.0
    /// Calls that ended and were measured.
    public var observed = 0

    /// Weight of the newest sample in the moving averages: about the last ten calls count.
    static let weight = 0.2

    public init(concurrency: Int, firstAnswerS: Double, callS: Double) {
        self.concurrency = max(concurrency, 1)
        self.firstAnswerS = firstAnswerS
        self.callS = callS
    }

    /// Folds a finished call into the averages (the first one replaces the catalog's guess).
    mutating func observe(firstAnswerS first: Double, callS call: Double, perTokenS perToken: Double?) {
        let w = observed == 0 ? 1 : Self.weight
        firstAnswerS += w * (first - firstAnswerS)
        callS += w * (call - callS)
        if let perToken { perTokenS += (perTokenS == 0 ? 1 : Self.weight) * (perToken - perTokenS) }
        observed += 1
    }

    /// Seconds a request queued now waits for a free call slot: the calls ahead of it beyond the
    /// free slots, at the rate the server ends calls.
    func waitS(queued: Int) -> Double {
        let ahead = inFlight + queued - concurrency + 1
        guard ahead > 0 else { return 0 }
        return Double(ahead) * callS / Double(concurrency)
    }
}

extension RequestCore {
    /// Whether instance `i`'s work runs on a self-batching model server.
    @inline(__always) func isServerRun(_ i: InstanceIndex) -> Bool { instances[i].server != nil }

    /// What the core has learned of instance `i`'s model server; nil when the core schedules it.
    public func serverPace(_ i: InstanceIndex) -> ServerPace? { instances[i].server }

    /// Asks the executor which instances run on self-batching servers (at install and reload:
    /// a reload may bring other backends).
    func refreshServers(_ indices: some Sequence<InstanceIndex>) {
        for i in indices {
            let info = infos[i]
            let concurrency = executor.serverConcurrency(
                service: deployment.services[info.service].name, node: deployment.nodes[info.node].name, instance: info.id)
            guard let concurrency else {
                instances[i].server = nil
                continue
            }
            if instances[i].server == nil {
                let guess = hot[i].isLLM ? firstResultS(i, inputTokens: Int32(deployment.services[info.service].inputTokens)) : hot[i].loneS
                instances[i].server = ServerPace(concurrency: concurrency, firstAnswerS: guess, callS: max(guess, 1e-3))
            } else {
                instances[i].server!.concurrency = max(concurrency, 1)
            }
        }
    }

    /// Sends queued requests of instance `i` to its server while it has free call slots; a
    /// request that cannot get its first answer in time at the server's observed pace is dropped.
    func feedServer(_ i: InstanceIndex) {
        guard isUp[hot[i].node] else { return }
        let now = executor.now
        while let pace = instances[i].server, pace.inFlight < pace.concurrency, let head = instances[i].popHead() {
            if cannotMakeIt(head, processingS: pace.firstAnswerS, now: now) {
                drop(head, .deadlineUnreachable)
                continue
            }
            let w = newWork(i, kind: .call)
            works[w].requests.append(head)
            works[w].startedAt = now
            works[w].durationS = pace.callS
            instances[i].server!.inFlight += 1
            instances[i].inService += 1
            executor.start(work: w, token: works[w].token, durationS: pace.callS)
        }
    }

    /// The server's first answer to call `w` came (an LLM's first token).
    public func serverFirstAnswer(_ w: WorkIndex) {
        guard works[w].kind == .call, !works[w].requests.isEmpty, works[w].requests[0].firstToken.isNaN else { return }
        works[w].requests[0].firstToken = executor.now
    }

    /// Call `w` ended: answered (with `outputTokens` tokens when the server said or they were
    /// counted), or failed — then the request is tried on another instance. Its times teach the
    /// instance's pace; the request is judged on what was measured: first token against the
    /// deadline, time per further token against the TPOT bound.
    public func serverCallEnded(_ w: WorkIndex, outputTokens: Int32?, failed: Bool) {
        guard works[w].kind == .call, var r = works[w].requests.first else { return }
        let i = works[w].instance
        let now = executor.now
        let started = works[w].startedAt
        instances[i].inService -= 1
        if instances[i].server != nil { instances[i].server!.inFlight -= 1 }
        release(w)
        if failed {
            retry(r, failing: .backendError)
        } else {
            if r.firstToken.isNaN { r.firstToken = now }
            let tokens = outputTokens ?? (hot[i].isLLM ? 1 : r.outputTokens)
            r.outputTokens = max(tokens, 1)
            let perToken = r.outputTokens > 1 ? (now - r.firstToken) / Double(r.outputTokens - 1) : nil
            instances[i].server?.observe(firstAnswerS: r.firstToken - started, callS: now - started, perTokenS: perToken)
            complete(r, at: now)
        }
        feedServer(i)
    }
}
