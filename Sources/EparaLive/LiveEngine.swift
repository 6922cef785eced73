import EparaCore
import EparaPlan
import EparaServe

/// How a request ended in the live engine, for its HTTP response.
public struct LiveResult: Sendable, Equatable {
    public var id: Int
    public var outcome: Outcome
    public var reason: EndReason
    /// Arrival to answer, seconds.
    public var latencyS: Double

    public init(id: Int, outcome: Outcome, reason: EndReason, latencyS: Double) {
        self.id = id
        self.outcome = outcome
        self.reason = reason
        self.latencyS = latencyS
    }
}

/// What a piece of work asks of a model server. The emulated backend sleeps for the latency
/// model's time; real backends (OpenAI-compatible, KServe v2) call the server.
public protocol Backend: Sendable {
    func run(durationS: Double) async
}

/// Sleeps for the time the latency model gives: dry runs, benchmarks, and the fidelity check
/// against the simulator.
public struct EmulatedBackend: Backend {
    public init() {}
    public func run(durationS: Double) async {
        try? await Task.sleep(for: .nanoseconds(Int64(max(durationS, 0) * 1e9)))
    }
}

/// The executor the request-handling core sees in the live engine: wall-clock time, and effects
/// collected while the core runs inside the engine's actor, carried out right after.
final class Outbox: ServeExecutor {
    enum Effect {
        case start(work: Int, token: Int, durationS: Double)
        case transfer(Request, node: Int, delayS: Double)
        case handOff(work: Int, delayS: Double)
        case wake(instance: Int, at: Double)
        case finish(Request, Outcome, EndReason, at: Double)
    }

    var now = 0.0
    var effects: [Effect] = []
    /// A call to a model server cannot be paused halfway.
    var canPreempt: Bool { false }

    func start(work: Int, token: Int, durationS: Double) { effects.append(.start(work: work, token: token, durationS: durationS)) }
    func transfer(_ request: Request, to node: Int, delayS: Double) { effects.append(.transfer(request, node: node, delayS: delayS)) }
    func handOff(work: Int, delayS: Double) { effects.append(.handOff(work: work, delayS: delayS)) }
    func wake(instance: Int, at time: Double) { effects.append(.wake(instance: instance, at: time)) }
    func finish(_ request: Request, _ outcome: Outcome, _ reason: EndReason, at time: Double) {
        effects.append(.finish(request, outcome, reason, at: time))
    }
}

/// The live engine for every node of a plan in one process: the same `RequestCore` as the
/// simulator, driven by wall-clock time. Work runs on a backend; transfers between nodes and
/// information sync take their modelled time. The HTTP gateways sit on top of `submit`.
public actor LiveEngine {
    let core: RequestCore
    let outbox = Outbox()
    let backend: any Backend
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    var waiting: [Int: CheckedContinuation<LiveResult, Never>] = [:]
    var nextID = 0
    var syncTask: Task<Void, Never>?

    public init(plan: Plan, config: CoreConfig = CoreConfig(), backend: any Backend = EmulatedBackend()) {
        core = RequestCore(deployment: Deployment(plan: plan), config: config)
        self.backend = backend
        started = clock.now
    }

    var elapsed: Double {
        let d = clock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// A request arriving at `origin` (a node name; the service's first origin when nil). Returns
    /// when it has ended, however it ended.
    public func submit(service: String, origin: String? = nil, inputTokens: Int32 = 0, outputTokens: Int32 = 0)
        async throws(LiveError) -> LiveResult {
        let deployment = core.deployment
        guard let s = deployment.serviceIndex[service] else { throw .unknownService(service) }
        let info = deployment.services[s]
        let node: Int
        if let origin {
            guard let n = deployment.nodeIndex[origin] else { throw .unknownNode(origin) }
            node = n
        } else {
            node = Int(info.origins[0])
        }
        let now = elapsed
        let request = Request(id: nextID, service: Int32(s), origin: Int32(node), arrival: now, deadline: now + info.deadlineS,
                              inputTokens: inputTokens, outputTokens: outputTokens)
        nextID += 1
        return await withCheckedContinuation { continuation in
            waiting[request.id] = continuation
            outbox.now = now
            core.admit(request, outbox)
            pump()
        }
    }

    /// Carries out what the core asked for.
    func pump() {
        let effects = outbox.effects
        outbox.effects.removeAll(keepingCapacity: true)
        for effect in effects {
            switch effect {
            case let .start(work, token, durationS):
                let backend = backend
                Task {
                    await backend.run(durationS: durationS)
                    self.workDone(work, token: token)
                }
            case let .transfer(request, node, delayS):
                Task {
                    try? await Task.sleep(for: .nanoseconds(Int64(max(delayS, 0) * 1e9)))
                    self.arrived(request, at: node)
                }
            case let .handOff(work, delayS):
                Task {
                    try? await Task.sleep(for: .nanoseconds(Int64(max(delayS, 0) * 1e9)))
                    self.handedOff(work)
                }
            case let .wake(instance, at):
                let delay = at - elapsed
                Task {
                    try? await Task.sleep(for: .nanoseconds(Int64(max(delay, 0) * 1e9)))
                    self.wake(instance)
                }
            case let .finish(request, outcome, reason, at):
                waiting.removeValue(forKey: request.id)?.resume(returning: LiveResult(id: request.id, outcome: outcome, reason: reason,
                                                                                      latencyS: at - request.arrival))
            }
        }
    }

    func workDone(_ work: Int, token: Int) {
        outbox.now = elapsed
        core.workFinished(work, token: token, outbox)
        pump()
    }

    func arrived(_ request: Request, at node: Int) {
        outbox.now = elapsed
        core.arrived(request, at: node, outbox)
        pump()
    }

    func handedOff(_ work: Int) {
        outbox.now = elapsed
        core.handedOff(work, outbox)
        pump()
    }

    func wake(_ instance: Int) {
        outbox.now = elapsed
        core.wake(instance: instance, outbox)
        pump()
    }

    /// Puts a new plan in force without dropping anything: instances both plans have keep their
    /// queues, new ones load their model first, removed ones finish what they hold and their
    /// queued requests are dispatched again.
    public func reload(_ plan: Plan) {
        outbox.now = elapsed
        core.apply(Deployment(plan: plan), outbox)
        pump()
    }

    /// Every node tells every other its backlog, every `interval` seconds (in one process the
    /// messages cannot be lost; between gateways they go over HTTP).
    public func startSync(every interval: Double) {
        syncTask?.cancel()
        syncTask = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(Int64(interval * 1e9)))
                self.syncAll()
            }
        }
    }

    func syncAll() {
        let now = elapsed
        let n = core.deployment.nodes.count
        for from in 0..<n {
            for to in 0..<n where to != from { core.sync(from: from, to: to, now: now) }
        }
    }

    public func stop() {
        syncTask?.cancel()
        syncTask = nil
    }
}

/// What one node's gateway reports at `GET /v1/state`: its instances and what they hold.
public struct NodeState: Codable, Sendable, Equatable {
    public struct InstanceState: Codable, Sendable, Equatable {
        public var id: String
        public var service: String
        /// Requests queued or running.
        public var load: Int
        /// Taking new requests (false once a new plan removed it).
        public var live: Bool
    }

    public var node: String
    public var up: Bool
    public var instances: [InstanceState]
}

extension LiveEngine {
    public func state(node: String) throws(LiveError) -> NodeState {
        let deployment = core.deployment
        guard let n = deployment.nodeIndex[node] else { throw .unknownNode(node) }
        let instances = core.infos.indices.filter { core.infos[$0].node == n }.map { i in
            NodeState.InstanceState(id: core.infos[i].id, service: deployment.services[core.infos[i].service].name, load: core.load(i),
                                    live: core.isLive(i))
        }
        return NodeState(node: node, up: core.nodeUp[n], instances: instances)
    }
}

public enum LiveError: Error, Sendable, Equatable {
    case unknownService(String)
    case unknownNode(String)
}
