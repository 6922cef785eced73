import EparaCore
import EparaDocuments
import EparaPlan
import EparaServe
import Logging
import NIOSSL

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

/// A request's end and, when a model server answered, its answer.
public struct LiveAnswer: Sendable {
    public var result: LiveResult
    public var reply: Reply?
}

/// What the live engine runs: which nodes' handlers this process hosts, where the others are,
/// and where each service's work goes.
public struct LiveOptions: Sendable {
    public var core: CoreConfig
    /// Nodes whose gateways run in this process; nil: every node of the plan.
    public var hosted: Set<String>?
    /// Gateways of the nodes this process does not host, by node name.
    public var peers: [String: String]
    public var backends: BackendTable?
    /// Bearer token this process presents to its peers.
    public var peerToken: String?
    /// TLS for calls to peers at https:// addresses: whom to trust, what certificate to present.
    public var peerTLS: TLSConfiguration?
    /// Length of the windows recorded for the Run and the state store, seconds.
    public var windowS: Double
    /// Told each LLM request's time to first token and time per further token (nil for one
    /// token) when it ends at its origin: the gateways' Prometheus histograms.
    public var llmObserver: (@Sendable (_ service: String, _ ttftS: Double, _ tpotS: Double?) -> Void)?

    public init(
        core: CoreConfig = CoreConfig(), hosted: Set<String>? = nil, peers: [String: String] = [:], backends: BackendTable? = nil,
        peerToken: String? = nil, peerTLS: TLSConfiguration? = nil, windowS: Double = 10
    ) {
        self.core = core
        self.hosted = hosted
        self.peers = peers
        self.backends = backends
        self.peerToken = peerToken
        self.peerTLS = peerTLS
        self.windowS = windowS
    }
}

public enum LiveError: Error, Sendable, Equatable {
    case unknownService(String)
    case unknownNode(String)
    case unknownInstance(String)
    case incompatiblePlan(String)
    case unknownStream(String, Int32)
}

/// The live engine: the same `RequestCore` as the simulator, driven by wall-clock time, for the
/// nodes this process hosts (every node with `--all-nodes`, one with `--node`). Work runs on
/// model servers (or sleeps for the latency model's time on the emulated backend); a request
/// for an instance on a node another process hosts goes to that node's gateway over HTTP; nodes
/// sync their backlogs over HTTP (or in memory between nodes of this process). The HTTP
/// gateways sit on top of `submit` and `acceptForwarded`.
///
/// Its state is in a locked box rather than an actor: a request's way through the engine is
/// short and never waits, and an actor would add hops between threads on every request — a
/// fifth of the gateway's throughput (bench/gateway). `enter` is the one way in: it sets the
/// core's clock, runs its body, and carries out what the core asked for (LiveEffects.swift).
/// What takes time runs outside it and enters again when done: sleeps and calls to peers in
/// tasks the engine keeps (`stop` cancels them), calls to model servers on their connections'
/// event loops (`shutdown` closes those).
public final class LiveEngine: Sendable {
    let box: LockedEngineState
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    let options: LiveOptions
    /// Whether each node's gateway runs in this process.
    let hosted: Table<NodeIndex, Bool>
    let peerURLs: [NodeIndex: String]
    let http: HTTPBackends?
    let peers: PeerClient?
    let logger: Logger
    static let backendHoldOffS = 1.0

    public init(plan: Plan, options: LiveOptions = LiveOptions(), logger: Logger = Logger(label: "epara.live")) {
        let table = options.backends ?? BackendTable(plan: plan)
        box = LockedEngineState(EngineState(plan: plan, config: options.core, windowS: options.windowS, backends: table))
        self.options = options
        self.logger = logger
        hosted = Table(plan.cluster.nodes.map { options.hosted?.contains($0.name) ?? true })
        var urls: [NodeIndex: String] = [:]
        for (n, node) in Table<NodeIndex, ClusterNode>(plan.cluster.nodes).indexed() where !(options.hosted?.contains(node.name) ?? true) {
            if let url = options.peers[node.name] ?? node.address { urls[n] = BackendURL.withoutTrailingSlashes(url) }
        }
        peerURLs = urls
        // A Backends document may bring real model servers with a later plan (it is re-read with
        // it), so its presence alone keeps an HTTP client ready.
        let needsHTTP = plan.services.contains { table.isReal(service: $0.name) } || options.backends != nil
        http = needsHTTP ? HTTPBackends() : nil
        peers = urls.isEmpty ? nil : PeerClient(token: options.peerToken, tls: options.peerTLS)
        started = clock.now
    }

    public convenience init(plan: Plan, config: CoreConfig) {
        self.init(plan: plan, options: LiveOptions(core: config))
    }

    /// The one way into the engine's state: sets the core's clock to now, runs `body`, and
    /// carries out the effects it left, until there are none.
    @discardableResult
    func enter<T, Failure: Error>(_ body: (EngineState) throws(Failure) -> T) throws(Failure) -> T {
        try enter(body, then: { $1 })
    }

    /// `enter`, and then `after` with what `body` returned, once the effects are carried out
    /// (still holding the lock): a request that ended at once is picked up in the same visit.
    func enter<T, U, Failure: Error>(
        _ body: (EngineState) throws(Failure) -> T,
        then after: (EngineState, T) -> U
    ) throws(Failure) -> U {
        let (value, outgoing) = try box.withLock { (s: EngineState) throws(Failure) -> (U, [@Sendable () -> Void]) in
            s.outbox.now = elapsed
            let result = try body(s)
            pump(s)
            let value = after(s, result)
            guard !s.outgoing.isEmpty else { return (value, []) }
            defer { s.outgoing.removeAll(keepingCapacity: true) }
            return (value, s.outgoing)
        }
        for call in outgoing { call() }
        return value
    }

    var elapsed: Double {
        (clock.now - started).seconds
    }

    /// The plan in force.
    public var plan: Plan { enter { $0.plan } }

    /// One service of the plan in force, as the client-facing routes describe it: whether it is
    /// a language model and how many instances serve it; nil when the plan has no such service.
    public func serviceSummary(_ name: String) -> ServiceSummary? {
        enter { s in
            s.deployment.serviceIndex[name].map { ServiceSummary(s.deployment, index: $0) }
        }
    }

    /// Every service of the plan in force, in the plan's order.
    public var serviceSummaries: [ServiceSummary] {
        enter { s in s.deployment.services.indices.map { ServiceSummary(s.deployment, index: $0) } }
    }

    /// (time, node, up) as this process's handlers saw them: every node at the start, then
    /// each change of what they believe about a peer.
    public var health: [(timeS: Double, node: NodeIndex, up: Bool)] { enter { s in s.health } }

    /// Nodes without a gateway here or an address to reach one.
    public var unreachableNodes: [String] {
        let nodes = Table<NodeIndex, ClusterNode>(plan.cluster.nodes)
        return nodes.indices.filter { !hosted[$0] && peerURLs[$0] == nil }.map { nodes[$0].name }
    }

    public var windowS: Double { options.windowS }

    // MARK: Requests

    /// A request arriving at `origin` (a node name; the service's first origin when nil). Returns
    /// when it has ended, however it ended, with the model server's answer if there was one.
    public func submit(
        service: String, origin: String? = nil, stream: Int32? = nil, inputTokens: Int32 = 0, outputTokens: Int32 = 0,
        payload: Payload? = nil
    ) async throws(LiveError) -> LiveAnswer {
        let (id, ended) = try enter(
            { (s: EngineState) throws(LiveError) -> Int in
                try admit(s, service: service, origin: origin, stream: stream, inputTokens: inputTokens, outputTokens: outputTokens, payload: payload)
            }, then: Self.endedAtOnce)
        if let ended { return ended }
        return await answer(id)
    }

    func admit(
        _ s: EngineState, service: String, origin: String?, stream: Int32?, inputTokens: Int32, outputTokens: Int32,
        payload: Payload?
    ) throws(LiveError) -> Int {
        let deployment = s.deployment
        guard let index = deployment.serviceIndex[service] else { throw .unknownService(service) }
        let info = deployment.services[index]
        let node: NodeIndex
        if let origin {
            guard let n = deployment.nodeIndex[origin] else { throw .unknownNode(origin) }
            node = n
        } else {
            node = info.origins[0]
        }
        let now = s.outbox.now
        // Frames of one camera are packed together; a stream beyond the service's is refused.
        if let stream, !(0..<Int32(max(info.streams, 0))).contains(stream) { throw .unknownStream(service, stream) }
        let request = Request(
            id: s.nextID, service: index, stream: info.isFrequency ? stream ?? 0 : nil, origin: node,
            arrival: now, deadline: now + info.deadlineS, inputTokens: inputTokens, outputTokens: outputTokens)
        s.nextID += 1
        s.inFlight[request.id] = InFlightRequest(payload: payload)
        s.recorder.arrival(request)
        s.core.admit(request)
        return request.id
    }

    /// A request another node's gateway sent to an instance of a node hosted here.
    public func acceptForwarded(_ forwarded: ForwardedRequest, payload: Payload?) async throws(LiveError) -> LiveAnswer {
        let (id, ended) = try enter(
            { (s: EngineState) throws(LiveError) -> Int in try arrive(s, forwarded, payload: payload) },
            then: Self.endedAtOnce)
        if let ended { return ended }
        return await answer(id)
    }

    func arrive(_ s: EngineState, _ forwarded: ForwardedRequest, payload: Payload?) throws(LiveError) -> Int {
        let deployment = s.deployment
        guard let service = deployment.serviceIndex[forwarded.service] else { throw .unknownService(forwarded.service) }
        guard let origin = deployment.nodeIndex[forwarded.origin] else { throw .unknownNode(forwarded.origin) }
        guard let i = s.core.instanceIndex(id: forwarded.instance) else { throw .unknownInstance(forwarded.instance) }
        let node = s.core.info(i).node
        guard hosted[node] else { throw .unknownInstance(forwarded.instance) }
        let now = s.outbox.now
        var request = Request(
            id: s.nextID, service: service, origin: origin, arrival: now - forwarded.ageS,
            deadline: now + forwarded.deadlineInS, inputTokens: forwarded.inputTokens, outputTokens: forwarded.outputTokens)
        request.instance = i
        request.hops = Int16(forwarded.hops)
        request.returnS = forwarded.returnS
        s.nextID += 1
        s.inFlight[request.id] = InFlightRequest(payload: payload, fromPeer: true)
        s.core.arrived(request, at: node)
        return request.id
    }

    /// A request and its answer if it ended while it was admitted (work that takes no time).
    static func endedAtOnce(_ s: EngineState, _ id: Int) -> (Int, LiveAnswer?) { (id, s.takeAnswer(id)) }

    /// The end of request `id`, when it comes (or now, if it came since it was admitted).
    func answer(_ id: Int) async -> LiveAnswer {
        await withCheckedContinuation { continuation in
            enter { s in
                if let answer = s.takeAnswer(id) {
                    continuation.resume(returning: answer)
                } else {
                    s.inFlight[id, default: InFlightRequest()].waiter = continuation
                }
            }
        }
    }

    // MARK: Operations

    /// Puts a new plan in force without dropping anything: instances both plans have keep their
    /// queues, new ones load their model first, removed ones finish what they hold and their
    /// queued requests are dispatched again.
    public func reload(_ plan: Plan, backends: BackendTable? = nil) throws(LiveError) {
        // Checked completely before anything is swapped (a plan read from a file was checked
        // already; one built in code is checked here): a bad plan leaves the running one in force.
        let problems = plan.problems()
        if let first = problems.first {
            throw .incompatiblePlan("\(first.path): \(first.message)" + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""))
        }
        let deployment = Deployment(plan: plan)
        try enter { (s: EngineState) throws(LiveError) in
            guard plan.cluster.nodes.map(\.name) == s.plan.cluster.nodes.map(\.name),
                plan.services.map(\.name) == s.plan.services.map(\.name)
            else {
                throw .incompatiblePlan("its nodes or services differ from the running plan's; restart the gateways to change them")
            }
            if let backends {
                if http == nil, plan.services.contains(where: { backends.isReal(service: $0.name) }) {
                    throw .incompatiblePlan("its backends call model servers, and these gateways started without any; restart them")
                }
                s.backends = backends
                s.targets = [:]
            }
            s.plan = plan
            s.core.apply(deployment)
        }
    }

    /// TLS for later calls to peers (the certificates were read again).
    public func replacePeerTLS(_ tls: TLSConfiguration?) { peers?.replaceTLS(tls) }

    /// A rotated peer token (SIGHUP): later calls to peers present it.
    public func replacePeerToken(_ token: String?) { peers?.replaceToken(token) }

    /// Where each instance's requests go, as of now.
    public var backends: BackendTable { enter { s in s.backends } }

    /// Cancels every task the engine started (sync rounds, sleeps, calls in flight); what they
    /// held plays out at once. The gateways have drained by then, so normally nothing is held.
    public func stop() {
        let tasks = enter { s in
            s.stopped = true
            return s.tasks.values
        }
        for task in tasks { task.cancel() }
    }

    /// Stops, and closes the HTTP client to model servers and peers (after the gateways drained).
    public func shutdown() async {
        stop()
        await http?.shutdown()
        await peers?.shutdown()
    }
}
