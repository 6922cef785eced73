import EparaClassify
import EparaCore
import EparaPlan
import HeapModule

/// How a simulated run is set up besides the plan and the trace.
public struct SimOptions: Sendable {
    public var core: CoreConfig
    /// Seconds between in-run replans (0: never).
    public var replanEveryS: Double
    /// Length of the Run's time windows, seconds.
    public var windowS: Double
    public var faults: FaultPlan
    public var seed: UInt64
    /// Longest the run goes on after the trace ends, for requests still in the system.
    public var drainLimitS: Double
    /// Keep per-(window, service, origin) counts for the state store.
    public var keepOriginWindows: Bool

    public init(
        core: CoreConfig = CoreConfig(), replanEveryS: Double = 60, windowS: Double = 10, faults: FaultPlan = .none,
        seed: UInt64 = 1, drainLimitS: Double = 600, keepOriginWindows: Bool = false
    ) {
        self.core = core
        self.replanEveryS = replanEveryS
        self.windowS = windowS
        self.faults = faults
        self.seed = seed
        self.drainLimitS = drainLimitS
        self.keepOriginWindows = keepOriginWindows
    }
}

/// Something that happens at a time in the simulation: a kind and its payload packed in one
/// integer. An enum with payloads read the same but cost 9% of the serve benchmark's throughput
/// (docs/serve.md §5), so the packing stays — made and read here only, through typed
/// constructors and accessors.
struct Event: Comparable {
    struct What {
        enum Kind: UInt8 { case workDone, transfer, handOff, wake, sync, replan, fault }
        let kind: Kind
        private let payload: Int

        private init(_ kind: Kind, _ payload: Int = 0) {
            self.kind = kind
            self.payload = payload
        }

        /// A device finished a piece of work (`token` tells a run that was preempted from one that was not).
        static func workDone(_ work: WorkIndex, token: Int) -> What { What(.workDone, work.offset | token << 32) }
        /// A request reaches a node: the slot in `SimWorld.transit` that holds it.
        static func transfer(_ slot: TransitSlot) -> What { What(.transfer, slot.offset) }
        /// A model-parallel batch reaches its next stage.
        static func handOff(_ work: WorkIndex) -> What { What(.handOff, work.offset) }
        /// An instance looks at its queue again (a batch's wait is over, a model has loaded).
        static func wake(_ instance: InstanceIndex) -> What { What(.wake, instance.offset) }
        static let sync = What(.sync)
        static let replan = What(.replan)
        /// The fault plan's event at this position.
        static func fault(_ k: Int) -> What { What(.fault, k) }

        /// The work of a `workDone` or `handOff`.
        var work: WorkIndex { WorkIndex(payload & 0xFFFF_FFFF) }
        /// The token of a `workDone`.
        var token: Int { payload >> 32 }
        var slot: TransitSlot { TransitSlot(payload) }
        var instance: InstanceIndex { InstanceIndex(payload) }
        var faultIndex: Int { payload }
    }

    var time: Double
    var order: UInt64
    var what: What

    static func < (a: Event, b: Event) -> Bool { a.time < b.time || (a.time == b.time && a.order < b.order) }
    static func == (a: Event, b: Event) -> Bool { a.time == b.time && a.order == b.order }
}

struct SourceHead: Comparable {
    var time: Double
    var source: Int
    static func < (a: SourceHead, b: SourceHead) -> Bool { (a.time, a.source) < (b.time, b.source) }
}

/// The embedded engine: a discrete-event simulation in virtual time that drives the
/// request-handling core with the latency model standing in for devices. Deterministic: the
/// same plan, trace and seed give the same Run.
public final class SimEngine {
    /// Seconds of virtual time since the start of the run.
    public var now: Double { world.now }
    /// The request-handling core; it owns `world`, its executor.
    public let core: RequestCore<SimWorld>
    /// Virtual time, the event heap, requests on the wire.
    let world: SimWorld
    public let recorder: Recorder
    public private(set) var plan: Plan
    /// The plan the run started from (`plan` is the one in force).
    public let startingPlan: Plan
    let options: SimOptions
    let trace: TraceSet
    // Written on every arrival: exclusivity checks off here (docs/serve.md §5).
    @exclusivity(unchecked) var sources: [any ArrivalSource]
    @exclusivity(unchecked) var heads = Heap<SourceHead>()
    @exclusivity(unchecked) var pending: [Arrival]
    @exclusivity(unchecked) var nextID = 0
    @exclusivity(unchecked) var originRandom: SeededRandom
    @exclusivity(unchecked) var syncRandom: SeededRandom
    /// Arrivals per (service, origin) since the last replan: the demand the scheduler observes.
    @exclusivity(unchecked) var observed: Grid<ServiceIndex, NodeIndex, Int>
    /// Arrivals per (service, origin) and length of the last few replan periods, newest last.
    var history: [(counts: Grid<ServiceIndex, NodeIndex, Int>, seconds: Double)] = []
    static let historyPeriods = 5
    var lastReplan = 0.0
    /// Sync every ordered pair of nodes even when a round could be shared (NodeViews.swift);
    /// the test that the two agree sets it.
    var syncsPairByPair = false
    var downSince: Table<NodeIndex, Double?>
    var downTotal: Table<NodeIndex, Double>
    public private(set) var replans: [ReplanRecord] = []
    public private(set) var replannedPlans: [Plan] = []
    public private(set) var faultLog: [FaultRecord] = []
    /// (time, node, up) whenever a node's state changes, starting with every node up.
    public private(set) var health: [(timeS: Double, node: NodeIndex, up: Bool)] = []
    /// Called now and then with (simulated seconds, horizon) for a progress bar.
    public var progress: ((Double, Double) -> Void)?
    /// Makes a new plan from the current one and the observed demand; nil keeps the current.
    public var replanner: ((Plan, ObservedDemand) -> Plan?)?
    /// The plan the run started with.
    let planDigest: String
    let initialPrediction: Prediction

    public init(plan: Plan, trace: TraceSet, options: SimOptions, requestLog: RequestLog? = nil) {
        self.plan = plan
        startingPlan = plan
        planDigest = JSONOutput.digest(plan)
        initialPrediction = plan.predicted
        self.options = options
        self.trace = trace
        let deployment = Deployment(plan: plan)
        var config = options.core
        config.seed = options.seed
        recorder = Recorder(
            services: deployment.services, nodeCount: deployment.nodes.count, windowS: options.windowS,
            keepOrigins: options.keepOriginWindows, requestLog: requestLog)
        world = SimWorld(recorder: recorder)
        requestLog?.nodeNames = deployment.nodes.map(\.name)
        sources = trace.sources
        pending = []
        let root = SeededRandom(seed: options.seed)
        originRandom = root.derived(0xA11)
        syncRandom = root.derived(0x5C)
        observed = Grid(rows: deployment.services.count, columns: deployment.nodes.count, repeating: 0)
        downSince = Table(repeating: nil, count: deployment.nodes.count)
        downTotal = Table(repeating: 0, count: deployment.nodes.count)
        replanner = { current, demand in
            let workload = ClassifiedWorkload(
                inputDigest: current.workloadDigest, thresholds: Thresholds(), cluster: current.cluster,
                catalog: current.catalog, services: current.services, summary: [:])
            // Replanning plans as the plan in force was planned: its policy, ablations and settings;
            // what fits is placed (a run cannot stop for a shortfall).
            var options = current.replanOptions
            options.observed = demand
            options.previous = current
            options.allowPartial = true
            // No simulator: in-run replanning does not simulate its plans (a short simulation
            // inside a run, on the rates just observed, served the example's run worse, and
            // slower: docs/plan.md §2).
            return try? Planner.plan(workload, options: options)
        }
        let core = RequestCore(deployment: deployment, config: config, executor: world)
        self.core = core
        requestLog?.instanceName = { [unowned core] in core.info($0).id }
    }

    // MARK: Running

    func nextArrival(from source: Int) throws(InputError) {
        if let arrival = try sources[source].next() {
            pending[source] = arrival
            heads.insert(SourceHead(time: arrival.time, source: source))
        }
    }

    public func run() throws(InputError) -> Run {
        let horizon = trace.durationS
        let deployment = core.deployment
        pending = Array(repeating: Arrival(time: 0, service: ServiceIndex(raw: 0)), count: sources.count)
        for s in sources.indices { try nextArrival(from: s) }
        for n in deployment.nodes.indices { health.append((0, n, true)) }
        if options.core.syncIntervalS > 0, options.core.syncIntervalS < horizon { world.push(options.core.syncIntervalS, .sync) }
        if options.replanEveryS > 0, options.replanEveryS < horizon { world.push(options.replanEveryS, .replan) }
        for (k, fault) in options.faults.events.enumerated() where fault.atS <= horizon { world.push(fault.atS, .fault(k)) }
        let stopAt = horizon + options.drainLimitS
        var steps = 0
        while true {
            let arrivalTime = heads.min?.time ?? .infinity
            let eventTime = world.events.min?.time ?? .infinity
            if arrivalTime == .infinity && eventTime == .infinity { break }
            if arrivalTime <= eventTime {
                let head = heads.removeMin()
                world.now = head.time
                admit(pending[head.source])
                try nextArrival(from: head.source)
            } else {
                if eventTime > stopAt { break }
                let event = world.events.removeMin()
                world.now = event.time
                handle(event)
            }
            steps &+= 1
            if steps & 0xFFFF == 0, let progress { progress(now, horizon) }
        }
        // Past the drain limit: whatever is still moving or queued ends now.
        while let event = world.events.popMin() {
            switch event.what.kind {
            case .transfer:
                recorder.finish(world.transit[event.what.slot], .failed, .runEnded, at: now)
            case .handOff:
                core.abandon(work: event.what.work)
            case .workDone, .wake, .sync, .replan, .fault:
                break
            }
        }
        core.drain()
        return assemble(horizon: horizon)
    }

    func admit(_ arrival: Arrival) {
        let service = core.deployment.services[arrival.service]
        let origin =
            arrival.origin
            ?? (service.origins.count == 1 ? service.origins[0] : service.origins[Int(originRandom.next() % UInt64(service.origins.count))])
        let request = Request(
            id: nextID, service: arrival.service, stream: arrival.stream, origin: origin,
            arrival: arrival.time,
            deadline: arrival.time + service.deadlineS, inputTokens: arrival.inputTokens,
            outputTokens: arrival.outputTokens)
        nextID += 1
        observed[arrival.service, origin] += 1
        recorder.arrival(request)
        core.admit(request)
    }

    func handle(_ event: Event) {
        let what = event.what
        switch what.kind {
        case .workDone:
            core.workFinished(what.work, token: what.token)
        case .transfer:
            let slot = what.slot
            let request = world.transit[slot], node = world.transitNode[slot]
            world.freeTransit.append(slot)
            core.arrived(request, at: node)
        case .handOff:
            core.handedOff(what.work)
        case .wake:
            core.wake(instance: what.instance)
        case .sync:
            syncAll()
            let next = now + options.core.syncIntervalS
            if next < trace.durationS { world.push(next, .sync) }
        case .replan:
            replan()
            let next = now + options.replanEveryS
            if next < trace.durationS { world.push(next, .replan) }
        case .fault:
            apply(options.faults.events[what.faultIndex])
        }
    }

    func syncAll() {
        let loss = options.faults.syncLoss
        if loss == 0, !syncsPairByPair, core.syncEveryone(now: now) { return }
        let nodes = core.deployment.nodes.indices
        for from in nodes {
            for to in nodes where to != from {
                if loss > 0, syncRandom.unit() <= loss { continue }
                core.sync(from: from, to: to, now: now)
            }
        }
    }

    func apply(_ fault: FaultPlan.Timed) {
        faultLog.append(FaultRecord(atS: fault.atS, event: fault.description))
        let deployment = core.deployment
        switch fault.event {
        case let .nodeDown(name):
            let n = deployment.nodeIndex[name]!
            guard core.isNodeUp(n) else { return }
            core.nodeWentDown(n)
            downSince[n] = now
            health.append((now, n, false))
        case let .nodeUp(name):
            let n = deployment.nodeIndex[name]!
            guard !core.isNodeUp(n) else { return }
            core.nodeCameUp(n)
            if let since = downSince[n] { downTotal[n] += now - since }
            downSince[n] = nil
            health.append((now, n, true))
        case let .link(sites, link):
            core.setLink(sites: (sites[0], sites[1]), to: link)
        }
    }

    /// The state-aware scheduler at work inside the run: the observed demand and the nodes that
    /// are down go to the plan stage's placement, with the plan in force as `previous` (so moves
    /// cost their model load time and small gains do not move anything). Demand per service and
    /// origin is the larger of the last period's rate and the rate over the last five periods:
    /// it follows a rise at once and a fall within a few minutes, and a service at 0.2/s does not
    /// lose its instance because a minute went by without a request.
    func replan() {
        guard let replanner else { return }
        let deployment = core.deployment
        history.append((observed, max(now - lastReplan, 1e-9)))
        if history.count > Self.historyPeriods { history.removeFirst() }
        let longSeconds = history.reduce(0) { $0 + $1.seconds }
        var perService: [String: Double] = [:]
        var byOrigin: [String: [String: Double]] = [:]
        for (s, service) in deployment.services.indexed() {
            var total = 0.0
            for n in deployment.nodes.indices {
                let recent = Double(history[history.count - 1].counts[s, n]) / history[history.count - 1].seconds
                let longer = Double(history.reduce(0) { $0 + $1.counts[s, n] }) / longSeconds
                let rate = max(recent, longer)
                guard rate > 0 else { continue }
                total += rate
                byOrigin[service.name, default: [:]][deployment.nodes[n].name] = rate
            }
            perService[service.name] = total
        }
        observed.reset(to: 0)
        lastReplan = now
        let down = deployment.nodes.indices.filter { !core.isNodeUp($0) }.map { deployment.nodes[$0].name }
        let cv = Dictionary(
            uniqueKeysWithValues: deployment.services.indices.compactMap { s -> (String, Double)? in
                guard let value = recorder.gaps[s].cv else { return nil }
                return (deployment.services[s].name, value)
            })
        let demand = ObservedDemand(
            runId: nil, demandPerS: perService, demandByOrigin: byOrigin, nodesDown: down, windowsRead: 1,
            cv: cv.isEmpty ? nil : cv)
        guard let next = replanner(plan, demand), next.deployment != plan.deployment else { return }
        let before = Set(plan.instances.map(\.id)), after = Set(next.instances.map(\.id))
        core.apply(Deployment(plan: next))
        plan = next
        replans.append(
            ReplanRecord(
                atS: now.rounded(places: 6), planDigest: JSONOutput.digest(next),
                added: after.subtracting(before).sorted(), removed: before.subtracting(after).sorted(),
                predictedGoodputPerS: next.predicted.goodputPerS))
        replannedPlans.append(next)
    }

    func assemble(horizon: Double) -> Run {
        let deployment = core.deployment
        let downS = Table<NodeIndex, Double>(deployment.nodes.indices.map { n in downTotal[n] + (downSince[n].map { max(0, horizon - $0) } ?? 0) })
        let nodes = recorder.nodeRuns(core: core, horizon: horizon, downS: downS)
        let settings = RunSettings(
            core: options.core, windowS: options.windowS, seed: options.seed, syncLoss: options.faults.syncLoss,
            replanEveryS: options.replanEveryS, serviceTimeCv: options.core.serviceTimeCV)
        return recorder.run(
            engine: "sim", plan: plan, planDigest: planDigest, traceDigest: trace.digest, trace: trace.description,
            settings: settings, horizon: horizon, nodes: nodes, replans: replans, faults: faultLog,
            predicted: initialPrediction)
    }

}
