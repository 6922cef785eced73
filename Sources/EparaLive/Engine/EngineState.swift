import EparaCore
import EparaDocuments
import EparaPlan
import EparaServe
import NIOConcurrencyHelpers

/// The executor the request-handling core sees in the live engine: wall-clock time (set each
/// time the engine is entered), and effects collected while the core runs, carried out right
/// after by the engine.
final class Outbox: ServeExecutor {
    enum Effect {
        case start(work: WorkIndex, token: Int, durationS: Double)
        case transfer(Request, node: NodeIndex, delayS: Double)
        case handOff(work: WorkIndex, delayS: Double)
        case wake(instance: InstanceIndex, at: Double)
        case finish(Request, Outcome, EndReason, at: Double)
        case firstToken(Request, paceS: Double)
    }

    var now = 0.0
    var effects: [Effect] = []
    /// Where each instance's requests go (replaced with a plan that brings its own): an instance
    /// on a real model server is run by that server, one call per request.
    var backends: BackendTable

    init(backends: BackendTable) { self.backends = backends }

    func serverConcurrency(service: String, node: String, instance: String) -> Int? {
        let target = backends.target(service: service, node: node, instance: instance)
        return target.isReal ? target.maxConcurrency : nil
    }

    /// A call to a model server cannot be paused halfway.
    var canPreempt: Bool { false }
    var coalescesDecodeSteps: Bool { false }

    func start(work: WorkIndex, token: Int, durationS: Double) { effects.append(.start(work: work, token: token, durationS: durationS)) }
    func transfer(_ request: Request, to node: NodeIndex, delayS: Double) { effects.append(.transfer(request, node: node, delayS: delayS)) }
    func handOff(work: WorkIndex, delayS: Double) { effects.append(.handOff(work: work, delayS: delayS)) }
    func wake(instance: InstanceIndex, at time: Double) { effects.append(.wake(instance: instance, at: time)) }
    func finish(_ request: Request, _ outcome: Outcome, _ reason: EndReason, at time: Double) {
        effects.append(.finish(request, outcome, reason, at: time))
    }
    func firstToken(_ request: Request, paceS: @autoclosure () -> Double) { effects.append(.firstToken(request, paceS: paceS())) }
}

/// Everything in the live engine that changes: the core and its outbox, the requests waiting
/// for their end, the bodies they carry, what the engine believes about its peers, and the tasks
/// it started. Only `LiveEngine.enter` reaches it, holding the lock.
final class EngineState {
    let outbox: Outbox
    let core: RequestCore<Outbox>
    var plan: Plan
    let recorder: Recorder
    /// Every request this process holds, by id, from its admission until its answer is handed over.
    var inFlight: [Int: InFlightRequest] = [:]
    var nextID = 0
    /// (time, node, up) as this process's handlers saw them: every node at the start, then
    /// each change of what they believe about a peer.
    var health: [(timeS: Double, node: NodeIndex, up: Bool)]
    var believedUp: Table<NodeIndex, Bool>
    /// Requests this process sent to each peer's gateway.
    var sentToPeer: [NodeIndex: Int] = [:]
    /// Where each instance's requests go (the outbox's table, which the core asks).
    var backends: BackendTable {
        get { outbox.backends }
        set { outbox.backends = newValue }
    }
    /// Each instance's backend, looked up once.
    var targets: [InstanceIndex: BackendTarget] = [:]
    /// Instances whose model server just could not be reached (refused, or no answer in time):
    /// until when their work fails at once (and is tried elsewhere) instead of calling it again
    /// — a server that does not answer would otherwise cost every request its timeout. A server
    /// that answers with an error is alive and is not held off.
    var backendDownUntil: [InstanceIndex: Double] = [:]
    /// Tasks the engine started (work, wakes, transfers, calls to peers), by number: `stop`
    /// cancels them.
    var tasks: [Int: Task<Void, Never>] = [:]
    var nextTask = 0
    /// Calls to model servers started in this visit, made once the lock is released (a call that
    /// fails at once enters the engine again, from the same thread).
    var outgoing: [@Sendable () -> Void] = []
    var stopped = false

    init(plan: Plan, config: CoreConfig, windowS: Double, backends: BackendTable) {
        let deployment = Deployment(plan: plan)
        self.plan = plan
        let outbox = Outbox(backends: backends)
        self.outbox = outbox
        core = RequestCore(deployment: deployment, config: config, executor: outbox)
        recorder = Recorder(
            services: deployment.services, nodeCount: deployment.nodes.count, windowS: windowS, keepOrigins: true,
            requestLog: nil)
        believedUp = Table(repeating: true, count: deployment.nodes.count)
        health = deployment.nodes.indices.map { (0, $0, true) }
    }

    var deployment: Deployment { core.deployment }

    /// Hands `answer` to the request's submitter, now if it waits, else when it does.
    func deliver(_ id: Int, _ answer: LiveAnswer) {
        if let waiter = inFlight[id]?.waiter {
            waiter.resume(returning: answer)
            inFlight[id]?.waiter = nil
        } else {
            inFlight[id]?.answer = answer
        }
    }

    /// The request is over: its record goes now, or once its submitter has taken the answer
    /// still waiting for it (an answer handed over early, at the first token, may be).
    func end(_ id: Int) {
        if inFlight[id]?.answer != nil { inFlight[id]?.ended = true } else { inFlight[id] = nil }
    }

    /// The answer of request `id` if it has come, taken (the record goes if the request is over).
    func takeAnswer(_ id: Int) -> LiveAnswer? {
        guard let answer = inFlight[id]?.answer else { return nil }
        if inFlight[id]!.ended { inFlight[id] = nil } else { inFlight[id]?.answer = nil }
        return answer
    }
}

/// One request the live engine holds, from its admission (or its arrival from a peer) until its
/// answer is handed over: what it carries, what came back, and who waits for it.
struct InFlightRequest {
    /// What the client sent, for the model server or a peer (nil: the native endpoint's).
    var payload: Payload?
    /// The model server's (or a peer's) answer, once there is one.
    var reply: Reply?
    /// Forwarded here by another gateway: its origin records it.
    var fromPeer = false
    /// The client has had its answer since the first token (streaming): the end is recorded,
    /// not answered again.
    var answeredEarly = false
    /// The streaming answer the emulated backend is writing, told when the request ends.
    var emulatedStream: EmulatedStreamEnd?
    /// The submitter, once it waits for the answer.
    var waiter: CheckedContinuation<LiveAnswer, Never>?
    /// The answer, when it came before its submitter waited.
    var answer: LiveAnswer?
    /// The request is over: the record goes once its answer is taken.
    var ended = false

    init(payload: Payload? = nil, fromPeer: Bool = false) {
        self.payload = payload
        self.fromPeer = fromPeer
    }
}

/// The engine's state behind its lock. Sendable because nothing reaches the state but through
/// `withLock`.
final class LockedEngineState: @unchecked Sendable {
    private let lock = NIOLock()
    private let state: EngineState

    init(_ state: EngineState) { self.state = state }

    @inline(__always) func withLock<T, Failure: Error>(_ body: (EngineState) throws(Failure) -> T) throws(Failure) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(state)
    }
}
