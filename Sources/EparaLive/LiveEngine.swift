import EparaCore
import EparaPlan
import EparaServe
import EparaStore
import Logging
import NIOConcurrencyHelpers
import NIOCore

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
    /// Length of the windows recorded for the Run and the state store, seconds.
    public var windowS: Double

    public init(core: CoreConfig = CoreConfig(), hosted: Set<String>? = nil, peers: [String: String] = [:], backends: BackendTable? = nil,
                peerToken: String? = nil, windowS: Double = 10) {
        self.core = core
        self.hosted = hosted
        self.peers = peers
        self.backends = backends
        self.peerToken = peerToken
        self.windowS = windowS
    }
}

/// The executor the request-handling core sees in the live engine: wall-clock time, and effects
/// collected while the core runs under the engine's lock, carried out right after.
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

/// The live engine: the same `RequestCore` as the simulator, driven by wall-clock time, for the
/// nodes this process hosts (every node with `--all-nodes`, one with `--node`). Work runs on
/// model servers (or sleeps for the latency model's time on the emulated backend); a request
/// for an instance on a node another process hosts goes to that node's gateway over HTTP; nodes
/// sync their backlogs over HTTP (or in memory between nodes of this process). The HTTP
/// gateways sit on top of `submit` and `acceptForwarded`.
///
/// A lock guards it rather than an actor: a request's way through the engine is short and never
/// waits, and an actor would add hops between threads on every request — a fifth of the
/// gateway's throughput (bench/gateway). Everything it starts that takes time (sleeps, calls to
/// model servers and peers) runs in tasks that take the lock again when they are done.
public final class LiveEngine: @unchecked Sendable {
    let lock = NIOLock()
    let core: RequestCore
    let outbox = Outbox()
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    var _plan: Plan
    let options: LiveOptions
    /// Node indices hosted here.
    let hosted: [Bool]
    let peerURLs: [Int: String]
    let backends: BackendTable
    let http: HTTPBackends?
    let peers: PeerClient?
    let logger: Logger
    var waiting: [Int: CheckedContinuation<LiveAnswer, Never>] = [:]
    /// Requests that ended before their submitter waited (work that takes no time).
    var endedAtOnce: [Int: LiveAnswer] = [:]
    var payloads: [Int: Payload] = [:]
    var replies: [Int: Reply] = [:]
    /// Requests another gateway forwarded here: their origin records them.
    var fromPeers: Set<Int> = []
    var nextID = 0
    var syncTask: Task<Void, Never>?
    let recorder: Recorder
    /// (time, node, up) as this process's handlers saw them: every node at the start, then
    /// each change of what they believe about a peer.
    var _health: [(timeS: Double, node: Int, up: Bool)] = []
    var believedUp: [Bool]
    /// Requests this process sent to each peer's gateway.
    var sentToPeer: [Int: Int] = [:]
    /// Each instance's backend, looked up once.
    var targets: [BackendTarget?] = []
    /// Instances whose model server just could not be reached (refused, or no answer in time):
    /// until when their work fails at once (and is tried elsewhere) instead of calling it again
    /// — a server that does not answer would otherwise cost every request its timeout. A server
    /// that answers with an error is alive and is not held off.
    var backendDownUntil: [Int: Double] = [:]
    static let backendHoldOffS = 1.0

    public init(plan: Plan, options: LiveOptions = LiveOptions(), logger: Logger = Logger(label: "epara.live")) {
        let deployment = Deployment(plan: plan)
        core = RequestCore(deployment: deployment, config: options.core)
        _plan = plan
        self.options = options
        self.logger = logger
        hosted = plan.cluster.nodes.map { options.hosted?.contains($0.name) ?? true }
        var urls: [Int: String] = [:]
        for (n, node) in plan.cluster.nodes.enumerated() where !(options.hosted?.contains(node.name) ?? true) {
            if let url = options.peers[node.name] ?? node.address { urls[n] = url.trimmingSuffix("/") }
        }
        peerURLs = urls
        let table = options.backends ?? BackendTable(plan: plan)
        backends = table
        let needsHTTP = plan.services.contains { table.isReal(service: $0.name) } || !urls.isEmpty
        let http = needsHTTP ? HTTPBackends() : nil
        self.http = http
        peers = http.flatMap { urls.isEmpty ? nil : PeerClient(client: $0.client, token: options.peerToken) }
        recorder = Recorder(services: deployment.services, nodeCount: deployment.nodes.count, windowS: options.windowS, keepOrigins: true,
                            requestLog: nil)
        believedUp = Array(repeating: true, count: deployment.nodes.count)
        _health = deployment.nodes.indices.map { (0, $0, true) }
        started = clock.now
    }

    public convenience init(plan: Plan, config: CoreConfig) {
        self.init(plan: plan, options: LiveOptions(core: config))
    }

    /// The plan in force.
    public var plan: Plan { lock.withLock { _plan } }

    /// (time, node, up) as this process's handlers saw them: every node at the start, then
    /// each change of what they believe about a peer.
    public var health: [(timeS: Double, node: Int, up: Bool)] { lock.withLock { _health } }

    /// Runs `body` holding the lock (typed throws, which NIOLock's `withLock` does not carry).
    @inline(__always) func locked<T>(_ body: () throws(LiveError) -> T) throws(LiveError) -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    var elapsed: Double {
        let d = clock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Nodes without a gateway here or an address to reach one.
    public var unreachableNodes: [String] {
        let nodes = plan.cluster.nodes
        return nodes.indices.filter { !hosted[$0] && peerURLs[$0] == nil }.map { nodes[$0].name }
    }

    // MARK: Requests

    /// A request arriving at `origin` (a node name; the service's first origin when nil). Returns
    /// when it has ended, however it ended, with the model server's answer if there was one.
    public func submit(service: String, origin: String? = nil, stream: Int32 = -1, inputTokens: Int32 = 0, outputTokens: Int32 = 0,
                       payload: Payload? = nil) async throws(LiveError) -> LiveAnswer {
        let id = try locked { () throws(LiveError) -> Int in
            try admit(service: service, origin: origin, stream: stream, inputTokens: inputTokens, outputTokens: outputTokens, payload: payload)
        }
        return await answer(id)
    }

    func admit(service: String, origin: String?, stream: Int32, inputTokens: Int32, outputTokens: Int32,
               payload: Payload?) throws(LiveError) -> Int {
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
        var deadlineS = info.deadlineS
        var modelledOutput = outputTokens
        if backends.isReal(service: service) {
            // A model server batches its own decoding: the core schedules each request up to its
            // first answer — the first token of a stream, the whole body otherwise, which then
            // has until the last token's deadline (TTFT + TPOT per further token).
            modelledOutput = 1
            if info.isLLM, !(payload?.stream ?? false) {
                deadlineS += Double(max(outputTokens - 1, 0)) * (info.tpotS ?? 0)
            }
        }
        // Frames of one camera are packed together; a stream beyond the service's is refused.
        guard stream < Int32(max(info.streams, 0)) else { throw .unknownStream(service, stream) }
        let request = Request(id: nextID, service: Int32(s), stream: info.isFrequency ? max(stream, 0) : -1, origin: Int32(node), arrival: now,
                              deadline: now + deadlineS, inputTokens: inputTokens, outputTokens: modelledOutput)
        nextID += 1
        if let payload { payloads[request.id] = payload }
        recorder.arrival(request)
        outbox.now = now
        core.admit(request, outbox)
        pump()
        return request.id
    }

    /// A request another node's gateway sent to an instance of a node hosted here.
    public func acceptForwarded(_ forwarded: ForwardedRequest, payload: Payload?) async throws(LiveError) -> LiveAnswer {
        let id = try locked { () throws(LiveError) -> Int in try arrive(forwarded, payload: payload) }
        return await answer(id)
    }

    func arrive(_ forwarded: ForwardedRequest, payload: Payload?) throws(LiveError) -> Int {
        let deployment = core.deployment
        guard let s = deployment.serviceIndex[forwarded.service] else { throw .unknownService(forwarded.service) }
        guard let origin = deployment.nodeIndex[forwarded.origin] else { throw .unknownNode(forwarded.origin) }
        guard let i = core.instanceIndex(id: forwarded.instance) else { throw .unknownInstance(forwarded.instance) }
        let node = core.infos[i].node
        guard hosted[node] else { throw .unknownInstance(forwarded.instance) }
        let now = elapsed
        var request = Request(id: nextID, service: Int32(s), origin: Int32(origin), arrival: now - forwarded.ageS,
                              deadline: now + forwarded.deadlineInS, inputTokens: forwarded.inputTokens, outputTokens: forwarded.outputTokens)
        request.instance = Int32(i)
        request.hops = Int16(forwarded.hops)
        request.returnS = forwarded.returnS
        nextID += 1
        fromPeers.insert(request.id)
        if let payload { payloads[request.id] = payload }
        outbox.now = now
        core.arrived(request, at: node, outbox)
        pump()
        return request.id
    }

    /// The end of request `id`: at once if it has ended, else when it does.
    func answer(_ id: Int) async -> LiveAnswer {
        if let answer = lock.withLock({ endedAtOnce.removeValue(forKey: id) }) { return answer }
        return await withCheckedContinuation { continuation in
            lock.withLock {
                if let answer = endedAtOnce.removeValue(forKey: id) {
                    continuation.resume(returning: answer)
                } else {
                    waiting[id] = continuation
                }
            }
        }
    }

    /// Carries out what the core asked for, until it asks for nothing more. Work that takes no
    /// time (the emulated backend at time_scale 0) ends here, without a task.
    func pump() {
        while !outbox.effects.isEmpty {
            let effects = outbox.effects
            outbox.effects.removeAll(keepingCapacity: true)
            var immediate: [(work: Int, token: Int, failed: Set<Int>)] = []
            carryOut(effects, immediate: &immediate)
            for done in immediate {
                outbox.now = elapsed
                core.workFinished(done.work, token: done.token, failed: done.failed, outbox)
            }
        }
    }

    func carryOut(_ effects: [Outbox.Effect], immediate: inout [(work: Int, token: Int, failed: Set<Int>)]) {
        for effect in effects {
            switch effect {
            case let .start(work, token, durationS):
                if let failed = startWork(work, token: token, durationS: durationS) { immediate.append((work, token, failed)) }
            case let .transfer(request, node, delayS):
                if hosted[node] {
                    Task {
                        await Self.sleep(delayS)
                        self.arrived(request, at: node)
                    }
                } else {
                    forward(request, to: node)
                }
            case let .handOff(work, delayS):
                let real = target(instance: core.work(work).instance).isReal
                Task {
                    // A real model server runs every stage of its model itself.
                    if !real { await Self.sleep(delayS) }
                    self.handedOff(work)
                }
            case let .wake(instance, at):
                let delay = at - elapsed
                Task {
                    await Self.sleep(delay)
                    self.wake(instance)
                }
            case let .finish(request, outcome, reason, at):
                let reply = replies.removeValue(forKey: request.id)
                payloads.removeValue(forKey: request.id)
                if fromPeers.remove(request.id) == nil { recorder.finish(request, outcome, reason, at: at) }
                let answer = LiveAnswer(result: LiveResult(id: request.id, outcome: outcome, reason: reason, latencyS: at - request.arrival),
                                        reply: reply)
                if let continuation = waiting.removeValue(forKey: request.id) {
                    continuation.resume(returning: answer)
                } else {
                    endedAtOnce[request.id] = answer
                }
            }
        }
    }

    static func sleep(_ seconds: Double) async {
        guard seconds > 0 else { return }
        try? await Task.sleep(for: .nanoseconds(boundedNanoseconds(seconds)))
    }

    func target(instance i: Int) -> BackendTarget {
        if i < targets.count, let target = targets[i] { return target }
        if targets.count <= i { targets.append(contentsOf: Array(repeating: nil, count: i + 1 - targets.count)) }
        let info = core.infos[i]
        let target = backends.target(service: core.deployment.services[info.service].name, node: core.deployment.nodes[info.node].name)
        targets[i] = target
        return target
    }

    /// A piece of work: on the emulated backend it takes the latency model's time; on a model
    /// server each of its requests is one call, made together, and the work ends when every
    /// call has its first answer (later stages of a model-parallel instance are the server's).
    /// Returns the requests that failed when the work is already over (it takes no time, or its
    /// model server is held off after a failure), nil when it runs.
    func startWork(_ w: Int, token: Int, durationS: Double) -> Set<Int>? {
        let (i, stage, requests) = core.work(w)
        let target = target(instance: i)
        guard target.isReal, let http else {
            let seconds = durationS * target.timeScale
            guard seconds > 0 else { return [] }
            Task {
                await Self.sleep(seconds)
                self.workDone(w, token: token, replies: [:], failed: [])
            }
            return nil
        }
        if stage > 0 { return [] }
        if let until = backendDownUntil[i], until > elapsed { return Set(requests.map(\.id)) }
        let calls = requests.map { (id: $0.id, payload: payloads[$0.id] ?? Payload(api: .native)) }
        let logger = logger
        Task {
            var answered: [Int: Reply] = [:]
            var failed: Set<Int> = []
            var unreachable = false
            func settle(_ id: Int, _ result: Result<Reply, any Error>) {
                switch result {
                case let .success(reply): answered[id] = reply
                case let .failure(error):
                    if case let BackendFailure.badInput(message) = error {
                        // The client's mistake: answer it rather than retry elsewhere.
                        answered[id] = Reply(status: 400, contentType: "application/json", first: ByteBuffer(string: Gateway.errorJSON(message)))
                    } else {
                        logger.warning("model server call failed", metadata: ["url": "\(target.url ?? "")", "error": "\(error)"])
                        failed.insert(id)
                        if case BackendFailure.unreachable = error { unreachable = true }
                    }
                }
            }
            if calls.count == 1 {
                // A lone request (most of them at light load) needs no group of tasks.
                settle(calls[0].id, await Result(catching: { try await http.call(target, payload: calls[0].payload) }))
            } else {
                await withTaskGroup(of: (Int, Result<Reply, any Error>).self) { group in
                    for call in calls {
                        group.addTask { (call.id, await Result(catching: { try await http.call(target, payload: call.payload) })) }
                    }
                    for await (id, result) in group { settle(id, result) }
                }
            }
            self.workDone(w, token: token, replies: answered, failed: failed, holdOff: unreachable)
        }
        return nil
    }

    func workDone(_ work: Int, token: Int, replies answered: [Int: Reply], failed: Set<Int>, holdOff: Bool = false) {
        lock.withLock {
            replies.merge(answered) { $1 }
            if holdOff { backendDownUntil[core.work(work).instance] = elapsed + Self.backendHoldOffS }
            outbox.now = elapsed
            core.workFinished(work, token: token, failed: failed, outbox)
            pump()
        }
    }

    func arrived(_ request: Request, at node: Int) {
        lock.withLock {
            outbox.now = elapsed
            core.arrived(request, at: node, outbox)
            pump()
        }
    }

    func handedOff(_ work: Int) {
        lock.withLock {
            outbox.now = elapsed
            core.handedOff(work, outbox)
            pump()
        }
    }

    func wake(_ instance: Int) {
        lock.withLock {
            outbox.now = elapsed
            core.wake(instance: instance, outbox)
            pump()
        }
    }

    // MARK: Between gateways

    /// Carries a request to the gateway of the node its instance is on; if that gateway cannot
    /// be reached, the request is tried on another instance (or fails, with a reason).
    func forward(_ request: Request, to node: Int) {
        let now = elapsed
        guard let peers, let url = peerURLs[node] else {
            // Called while carrying out effects: the pump that runs this goes on to what it asks.
            outbox.now = now
            core.retry(request, failing: .nodeDown, outbox)
            return
        }
        let deployment = core.deployment
        let forwarded = ForwardedRequest(service: deployment.services[Int(request.service)].name,
                                         origin: deployment.nodes[Int(request.origin)].name,
                                         instance: core.infos[Int(request.instance)].id, hops: Int(request.hops),
                                         ageS: now - request.arrival, deadlineInS: request.deadline - now,
                                         inputTokens: request.inputTokens, outputTokens: request.outputTokens, returnS: request.returnS)
        let payload = payloads[request.id]
        let logger = logger
        let nodeName = deployment.nodes[node].name
        sentToPeer[node, default: 0] += 1
        Task {
            do {
                let (outcome, reason, reply) = try await peers.forward(forwarded, payload: payload, to: url)
                self.endedElsewhere(request, outcome, reason, reply: reply)
            } catch {
                logger.warning("peer unreachable", metadata: ["node": "\(nodeName)", "url": "\(url)", "error": "\(error)"])
                self.unreachable(request)
            }
        }
    }

    func endedElsewhere(_ request: Request, _ outcome: Outcome, _ reason: EndReason, reply: Reply?) {
        lock.withLock {
            if let reply { replies[request.id] = reply }
            outbox.now = elapsed
            core.endedElsewhere(request, outcome, reason, at: outbox.now, outbox)
            pump()
        }
    }

    func unreachable(_ request: Request) {
        lock.withLock {
            outbox.now = elapsed
            core.retry(request, failing: .nodeDown, outbox)
            pump()
        }
    }

    /// Every `interval` seconds each hosted node tells every other node the backlog of its
    /// instances: in memory within this process, over HTTP to peers.
    public func startSync(every interval: Double) {
        let task = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(boundedNanoseconds(interval)))
                self.syncRound(timeoutS: interval)
            }
        }
        lock.withLock {
            syncTask?.cancel()
            syncTask = task
        }
    }

    func syncRound(timeoutS: Double) {
        lock.withLock {
            let now = elapsed
            let n = core.deployment.nodes.count
            for from in 0..<n where hosted[from] {
                for to in 0..<n where to != from && hosted[to] { core.sync(from: from, to: to, now: now) }
            }
            if let peers {
                for from in 0..<n where hosted[from] {
                    let report = SyncReport(node: core.deployment.nodes[from].name,
                                            instances: core.syncReport(from: from).map { .init(id: core.infos[$0.instance].id, backlogS: $0.backlogS) })
                    guard let body = try? JSONOutput.encoder(pretty: false).encode(report) else { continue }
                    for url in peerURLs.values {
                        Task { try? await peers.sync(ByteBuffer(bytes: body), to: url, timeoutS: timeoutS) }
                    }
                }
            }
            noteHealth(now: now)
        }
    }

    /// A peer's sync report arrived.
    public func acceptSync(_ report: SyncReport) throws(LiveError) {
        try locked { () throws(LiveError) in
            let deployment = core.deployment
            guard let from = deployment.nodeIndex[report.node] else { throw .unknownNode(report.node) }
            let entries = report.instances.compactMap { entry in core.instanceIndex(id: entry.id).map { (instance: $0, backlogS: entry.backlogS) } }
            let now = elapsed
            for to in deployment.nodes.indices where hosted[to] && to != from {
                core.acceptSync(from: from, to: to, report: entries, now: now)
            }
            noteHealth(now: now)
        }
    }

    /// Records (and logs) each change in whether this process's handlers count a peer as up.
    func noteHealth(now: Double) {
        guard let observer = hosted.firstIndex(of: true) else { return }
        for node in peerURLs.keys.sorted() {
            let up = core.heard(by: observer, from: node, now: now).up
            if up != believedUp[node] {
                believedUp[node] = up
                _health.append((now, node, up))
                let name = core.deployment.nodes[node].name
                if up { logger.info("peer is back", metadata: ["node": "\(name)"]) } else {
                    logger.warning("peer missed its syncs: routing around it", metadata: ["node": "\(name)"])
                }
            }
        }
    }

    // MARK: Operations

    /// Puts a new plan in force without dropping anything: instances both plans have keep their
    /// queues, new ones load their model first, removed ones finish what they hold and their
    /// queued requests are dispatched again.
    public func reload(_ plan: Plan) throws(LiveError) {
        // Checked completely before anything is swapped (a plan read from a file was checked
        // already; one built in code is checked here): a bad plan leaves the running one in force.
        let problems = plan.problems()
        if let first = problems.first {
            throw .incompatiblePlan("\(first.path): \(first.message)" + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""))
        }
        let deployment = Deployment(plan: plan)
        try locked { () throws(LiveError) in
            guard plan.cluster.nodes.map(\.name) == _plan.cluster.nodes.map(\.name),
                  plan.services.map(\.name) == _plan.services.map(\.name) else {
                throw .incompatiblePlan("its nodes or services differ from the running plan's; restart the gateways to change them")
            }
            _plan = plan
            outbox.now = elapsed
            core.apply(deployment, outbox)
            pump()
        }
    }

    public func stop() {
        lock.withLock {
            syncTask?.cancel()
            syncTask = nil
        }
    }

    /// Closes the HTTP client to model servers and peers (after the gateways drained).
    public func shutdown() async {
        stop()
        await http?.shutdown()
    }

    /// What this process measured, as a Run document (engine "live"): requests that arrived at
    /// its gateways, by how they ended, per service, category, node and window.
    public func run() -> Run {
        lock.lock()
        defer { lock.unlock() }
        let plan = _plan
        let horizon = elapsed
        let deployment = core.deployment
        var downS = Array(repeating: 0.0, count: deployment.nodes.count)
        var since: [Int: Double] = [:]
        for h in _health {
            if !h.up { since[h.node] = h.timeS } else if let s = since.removeValue(forKey: h.node) { downS[h.node] += h.timeS - s }
        }
        for (n, s) in since { downS[n] += horizon - s }
        let settings = RunSettings(seed: 0, dispatch: options.core.syncIntervalS > 0 ? options.core.dispatch.rawValue : DispatchMode.planWeights.rawValue,
                                   syncIntervalS: options.core.syncIntervalS, syncLoss: 0, replanEveryS: 0, maxOffload: options.core.maxOffload,
                                   earlyDrop: options.core.earlyDrop, windowS: options.windowS, serviceTimeCv: 0)
        let hostedNames = deployment.nodes.indices.filter { hosted[$0] }.map { deployment.nodes[$0].name }
        return recorder.run(engine: "live", plan: plan, planDigest: JSONOutput.digest(plan), traceDigest: "live",
                            trace: ["source": "live traffic", "gateways": hostedNames.joined(separator: ",")], settings: settings,
                            horizon: horizon, nodes: recorder.nodeRuns(core: core, horizon: horizon, downS: downS), replans: [], faults: [],
                            predicted: plan.predicted)
    }

    /// Rows for the state store: windows by service and origin node starting at `from` (only
    /// those complete unless `final`), every health change, the summary so far.
    public func stateRows(runId: String, from: Double, final: Bool)
        -> (windows: [WindowStats], health: [NodeHealth], gaps: [GapWindow], summaryJSON: String) {
        lock.withLock {
            let now = elapsed
            let deployment = core.deployment
            let windows = recorder.originWindows(from: from).filter { final || $0.startS + recorder.windowS <= now }.map { w in
                WindowStats(runId: runId, windowStartS: w.startS, windowLengthS: recorder.windowS, service: deployment.services[w.service].name,
                            node: deployment.nodes[w.node].name, arrivals: w.counts.arrivals, completedInSLO: w.counts.completedInSlo,
                            completedLate: w.counts.completedLate, dropped: w.counts.dropped, failed: w.counts.failed)
            }
            let gaps = recorder.gapWindows(from: from).filter { final || $0.startS + recorder.windowS <= now }.map { g in
                GapWindow(runId: runId, windowStartS: g.startS, service: deployment.services[g.service].name, gaps: g.gaps.count,
                          sumS: g.gaps.sumS, squaresS2: g.gaps.squaresS2)
            }
            let health = _health.map { NodeHealth(runId: runId, timeS: $0.timeS, node: deployment.nodes[$0.node].name, up: $0.up) }
            let summary = (try? JSONOutput.encoder(pretty: false).encode(recorder.totals(durationS: now))).map { String(decoding: $0, as: UTF8.self) }
            return (windows, health, gaps, summary ?? "{}")
        }
    }

    public var windowS: Double { recorder.windowS }
}

/// What one node's gateway reports at `GET /v1/state`: its instances and what they hold, and
/// the peers it hears from.
public struct NodeState: Codable, Sendable, Equatable {
    public struct InstanceState: Codable, Sendable, Equatable {
        public var id: String
        public var service: String
        /// Requests queued or running.
        public var load: Int
        /// Taking new requests (false once a new plan removed it).
        public var live: Bool
    }

    public struct PeerState: Codable, Sendable, Equatable {
        public var node: String
        public var url: String
        /// Seconds since its last sync report.
        public var lastHeardS: Double
        /// Counted as up (it has not missed its sync periods).
        public var up: Bool
        /// Requests this gateway's process sent to it.
        public var forwarded: Int
    }

    public var node: String
    public var up: Bool
    public var instances: [InstanceState]
    public var peers: [PeerState]
}

extension LiveEngine {
    public func state(node: String) throws(LiveError) -> NodeState {
        try locked { () throws(LiveError) -> NodeState in
            let deployment = core.deployment
            guard let n = deployment.nodeIndex[node], hosted[n] else { throw .unknownNode(node) }
            let instances = core.infos.indices.filter { core.infos[$0].node == n }.map { i in
                NodeState.InstanceState(id: core.infos[i].id, service: deployment.services[core.infos[i].service].name, load: core.load(i),
                                        live: core.isLive(i))
            }
            let now = elapsed
            let peers = peerURLs.keys.sorted().map { m in
                let heard = core.heard(by: n, from: m, now: now)
                return NodeState.PeerState(node: deployment.nodes[m].name, url: peerURLs[m]!, lastHeardS: ((now - heard.at) * 1000).rounded() / 1000,
                                           up: heard.up, forwarded: sentToPeer[m] ?? 0)
            }
            return NodeState(node: node, up: core.nodeUp[n], instances: instances, peers: peers)
        }
    }
}

public enum LiveError: Error, Sendable, Equatable {
    case unknownService(String)
    case unknownNode(String)
    case unknownInstance(String)
    case incompatiblePlan(String)
    case unknownStream(String, Int32)
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing call, as a value.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
