import EparaCore
import DequeModule
import HeapModule

/// What the request-handling core asks of the world around it: a clock, a way to run work on a
/// device, to move a request between nodes, to be woken later, and to hand back finished
/// requests. The simulator answers in virtual time; the live engine with real model servers and
/// sockets. The core itself never sleeps, reads a clock of its own or does I/O.
public protocol ServeExecutor: AnyObject {
    /// Seconds since the start of the run.
    var now: Double { get }
    /// Run `work` (a batch, a prefill or a decode step) for about `durationS`; call
    /// `RequestCore.workFinished(work, token:)` with this token when it is done.
    func start(work: Int, token: Int, durationS: Double)
    /// Whether running work can be paused for a more urgent request (the simulator's devices
    /// can; a real model server's call cannot).
    var canPreempt: Bool { get }
    /// Carry `request` to `node`; call `RequestCore.arrived` when it gets there.
    func transfer(_ request: Request, to node: Int, delayS: Double)
    /// Carry a model-parallel batch's activations to its next stage; call `RequestCore.handedOff`.
    func handOff(work: Int, delayS: Double)
    /// Call `RequestCore.wake` at `time` (a frame pack's wait ends).
    func wake(instance: Int, at time: Double)
    /// A request ended; `time` is when the answer reached its origin (or when it was given up).
    func finish(_ request: Request, _ outcome: Outcome, _ reason: EndReason, at time: Double)
}

public enum DispatchMode: String, Sendable, CaseIterable {
    /// EPARA: the instance with the best estimated completion from the last synced state.
    case bestCompletion = "best-completion"
    /// Follow the plan's routing weights (the baselines, and EPARA without information sync).
    case planWeights = "plan-weights"
    /// EPARA's handler kept to the node where the request arrives: the instance there with the
    /// best estimated completion (the `local` baseline), never forwarded.
    case local

    /// How a policy's requests are dispatched when nothing says otherwise: EPARA's handler, and
    /// AlpaServe's controller (the replica that would answer first, as its simulator does), by
    /// estimated completion; `local` the same among its own node's instances; `round-robin` by
    /// its plan's routing (equal shares).
    public static func `default`(forPolicy policy: String) -> DispatchMode {
        switch policy {
        case "epara", "alpaserve": .bestCompletion
        case "local": .local
        default: .planWeights
        }
    }
}

public struct CoreConfig: Sendable {
    public var dispatch: DispatchMode
    /// Times a request may be forwarded from one node's handler to another's.
    public var maxOffload: Int
    /// Drop a request as soon as it can no longer meet its deadline.
    public var earlyDrop: Bool
    /// Seconds between information syncs (0: none; a node knows only its own state).
    public var syncIntervalS: Double
    /// A peer whose sync messages stop for this many periods is treated as down.
    public var missedSyncsForDown: Int
    /// Largest number of prompt tokens one LLM prefill iteration takes (vLLM's max_num_batched_tokens).
    public var prefillTokenBudget: Int
    /// Variability of execution times around the latency model's (coefficient of variation of a
    /// Gamma factor with mean 1; 0: every batch takes exactly the modelled time).
    public var serviceTimeCV: Double
    public var seed: UInt64

    public init(dispatch: DispatchMode = .bestCompletion, maxOffload: Int = 3, earlyDrop: Bool = true, syncIntervalS: Double = 2,
                missedSyncsForDown: Int = 3, prefillTokenBudget: Int = 8192, serviceTimeCV: Double = 0, seed: UInt64 = 1) {
        self.dispatch = dispatch
        self.maxOffload = maxOffload
        self.earlyDrop = earlyDrop
        self.syncIntervalS = syncIntervalS
        self.missedSyncsForDown = missedSyncsForDown
        self.prefillTokenBudget = prefillTokenBudget
        self.serviceTimeCV = serviceTimeCV
        self.seed = seed
    }
}

struct ByDeadline: Comparable {
    var request: Request
    static func < (a: ByDeadline, b: ByDeadline) -> Bool {
        (a.request.deadline, a.request.id) < (b.request.deadline, b.request.id)
    }
    static func == (a: ByDeadline, b: ByDeadline) -> Bool { a.request.id == b.request.id }
}

struct RunningSequence: Comparable {
    /// Decode step at which the sequence has produced all its tokens.
    var finishStep: Int
    var request: Request
    static func < (a: RunningSequence, b: RunningSequence) -> Bool { (a.finishStep, a.request.id) < (b.finishStep, b.request.id) }
    static func == (a: RunningSequence, b: RunningSequence) -> Bool { a.request.id == b.request.id }
}

/// One instance's queues: latency-sensitive requests earliest deadline first, frames of
/// frequency-sensitive streams first in first out; LLM sequences being decoded.
struct InstanceState {
    var edf = Heap<ByDeadline>()
    var fifo = Deque<Request>()
    var running = Heap<RunningSequence>()
    var step = 0
    var contextSum = 0.0
    var accepting = true
    var readyAt = 0.0
    var worksInFlight = 0
    /// Requests in batches running on the first stage (no longer queued, not yet done).
    var inService = 0
    var wakeAt = Double.infinity
    var waiting: Int { edf.count + fifo.count }
    var load: Int { edf.count + fifo.count + running.count + inService }
}

struct DeviceState {
    var busy = false
    var current = -1
    /// Work paused for a more urgent request: it resumes before anything else.
    var preempted = Deque<Int>()
    /// Later stages of model-parallel batches, which run before new work (they hold requests already).
    var continuing = Deque<Int>()
    /// Instances whose first stage runs here.
    var instances: [Int] = []
    var busyS = 0.0
}

enum WorkKind: UInt8 { case batch, prefill, decode }

struct Work {
    var instance = 0
    var stage = 0
    var kind = WorkKind.batch
    var requests: [Request] = []
    var cancelled = false
    var startedAt = 0.0
    var durationS = 0.0
    /// Seconds left when the work was preempted (-1: it was not).
    var resumeS = -1.0
    /// Bumped when the work is preempted, so its stale completion is ignored.
    var token = 0
}

/// The per-service numbers read on every request, kept apart from `ServiceInfo` (which holds
/// strings and arrays) so that reading them copies nothing and touches no reference count.
struct HotService {
    var isFrequency: Bool
    var isLLM: Bool
    var deadlineS: Double
    var tpotS: Double
    var fps: Double
    var inputBytesPerToken: Double
    var answerBytes: Double
}

/// The per-instance numbers read on every request (see `HotService`).
struct HotInstance {
    var node: Int
    /// Node of the last stage, where the answer leaves from.
    var answerNode: Int
    /// Device of the first stage.
    var device: Int
    var service: Int
    var batch: Int
    var framesPacked: Int
    var stageCount: Int
    var capacityPerS: Double
    /// Offset of the first stage's batch times in `batchTable` (index b: batch of b).
    var batchOffset: Int
    /// Later stages and handoffs for a lone item.
    var tailS: Double
    /// Every stage and handoff for a lone item (vision).
    var loneS: Double
    var isLLM: Bool
}

/// What one node's handler believes about the others: the last synced queue lengths, what it
/// sent since, when it last heard from each node, and the AIMD credits of its streams.
struct NodeView {
    var heardAt: [Double]
    /// Seconds of work on each instance's device at the last sync.
    var queued: [Float]
    var sent: [Int32]
    var credit: [Float]
    var inFlight: [Int32]
}

/// The distributed request handler of EPARA, for every node at once: per-instance queues,
/// device scheduling (preempted > latency EDF > frequency FIFO), deadline-bounded dynamic
/// batching, frame packing, dispatch by estimated completion on synced state, forwarding up to
/// `maxOffload` hops, AIMD credits for streams, early drop, model-parallel stages, and LLM
/// prefill plus continuously batched decode.
public final class RequestCore {
    public private(set) var deployment: Deployment
    public let config: CoreConfig
    /// Every instance any plan of the run has had, in order of first appearance: indices stay
    /// valid across replans, which only switch instances on and off.
    public private(set) var infos: [InstanceInfo] = []
    /// Scratch for `betterOfTwo`: instances that would answer a frame in time, with estimates.
    var inTime: [(instance: Int, estimate: Double)] = []
    var hot: [HotInstance] = []
    var batchTable: [Double] = []
    var llms: [LLMTiming?] = []
    var hotServices: [HotService]
    /// Origin nodes per service: how many handlers dispatch it.
    var senders: [Int]
    var deviceNode: [Int]
    var idIndex: [String: Int] = [:]
    var instances: [InstanceState] = []
    /// Instances taking new requests, per service.
    var live: [[Int]]
    var devices: [DeviceState]
    var works: [Work] = []
    var freeWorks: [Int] = []
    /// The true state of each node.
    public private(set) var nodeUp: [Bool]
    var views: [NodeView]
    /// Candidate instances per (service, node), nearest first; built on first use.
    var reach: [[Int]?]
    /// Smooth weighted round-robin state per (service, origin) for plan-weight dispatch.
    var weighted: [[(instance: Int, weight: Double, current: Double)]?]
    /// Instances whose queue each node's handler owns.
    var onNode: [[Int]] = []
    var jitter: SeededRandom
    /// Requests forwarded onward by each node's handler.
    public private(set) var forwardedBy: [Int]
    /// Requests each node's instances completed.
    public private(set) var servedAt: [Int]

    public init(deployment: Deployment, config: CoreConfig) {
        self.deployment = deployment
        self.config = config
        jitter = SeededRandom(seed: config.seed).derived(0x717)
        let n = deployment.nodes.count
        nodeUp = Array(repeating: true, count: n)
        devices = Array(repeating: DeviceState(), count: deployment.devices.count)
        hotServices = deployment.services.map { s in
            HotService(isFrequency: s.isFrequency, isLLM: s.isLLM, deadlineS: s.deadlineS, tpotS: s.tpotS ?? .nan, fps: s.fps,
                       inputBytesPerToken: s.model.inputBytes, answerBytes: s.model.outputBytes)
        }
        deviceNode = deployment.devices.map { deployment.nodeIndex[$0.node]! }
        senders = deployment.services.map { max($0.origins.count, 1) }
        live = Array(repeating: [], count: deployment.services.count)
        views = (0..<n).map { _ in NodeView(heardAt: Array(repeating: 0, count: n), queued: [], sent: [], credit: [], inFlight: []) }
        reach = []
        weighted = []
        forwardedBy = Array(repeating: 0, count: n)
        servedAt = Array(repeating: 0, count: n)
        _ = install(deployment, now: 0, loadModels: false)
    }

    public func isLive(_ instance: Int) -> Bool { instances[instance].accepting }
    public func busySeconds(device: Int) -> Double { devices[device].busyS }

    // MARK: Plans

    /// Puts a new plan in force during a run: instances the previous plan also had keep their
    /// queues; new ones are offline while their model loads and their device is woken when it
    /// is loaded; removed ones stop taking requests, finish the sequences they are decoding, and
    /// the requests queued at them are dispatched again from the node they were on.
    public func apply<E: ServeExecutor>(_ next: Deployment, _ e: E) {
        let orphans = install(next, now: e.now, loadModels: true)
        for i in instances.indices where instances[i].accepting && instances[i].readyAt > e.now {
            e.wake(instance: i, at: instances[i].readyAt)
        }
        for (request, node) in orphans {
            if deployment.services[Int(request.service)].isFrequency, request.instance >= 0 {
                views[Int(request.origin)].inFlight[Int(request.instance)] -= 1
            }
            dispatch(request, from: node, excluding: Int(request.instance), e)
        }
    }

    /// Installs a deployment's instances and returns the requests queued at those it removes.
    func install(_ next: Deployment, now: Double, loadModels: Bool) -> [(request: Request, node: Int)] {
        deployment.plan = next.plan
        deployment.instances = next.instances
        deployment.instancesOf = next.instancesOf
        var inPlan = Set<Int>()
        for info in next.instances {
            if let index = idIndex[info.id] {
                if !instances[index].accepting {
                    instances[index].accepting = true
                    instances[index].readyAt = max(instances[index].readyAt, now + info.loadS)
                }
                inPlan.insert(index)
            } else {
                let index = infos.count
                idIndex[info.id] = index
                infos.append(info)
                let stage = info.stages[0]
                var tail = stage.handoffS.isEmpty ? 0 : stage.handoffS[1]
                for later in info.stages.dropFirst() { tail += later.batchS[1] + (later.handoffS.isEmpty ? 0 : later.handoffS[1]) }
                hot.append(HotInstance(node: info.node, answerNode: info.stages[info.stages.count - 1].node, device: stage.device, service: info.service, batch: info.batch,
                                       framesPacked: info.framesPacked, stageCount: info.stages.count, capacityPerS: info.capacityPerS,
                                       batchOffset: batchTable.count, tailS: tail, loneS: stage.batchS[1] + tail, isLLM: info.llm != nil))
                batchTable.append(contentsOf: stage.batchS)
                llms.append(info.llm)
                var state = InstanceState()
                state.readyAt = loadModels ? now + info.loadS : 0
                instances.append(state)
                devices[info.stages[0].device].instances.append(index)
                inPlan.insert(index)
            }
        }
        var orphans: [(request: Request, node: Int)] = []
        for index in instances.indices where !inPlan.contains(index) && instances[index].accepting {
            instances[index].accepting = false
            let node = infos[index].node
            orphans.append(contentsOf: instances[index].edf.unordered.map { (request: $0.request, node: node) })
            orphans.append(contentsOf: instances[index].fifo.map { (request: $0, node: node) })
            instances[index].edf = Heap()
            instances[index].fifo = Deque()
        }
        live = Array(repeating: [], count: deployment.services.count)
        for index in inPlan.sorted() { live[infos[index].service].append(index) }
        let count = infos.count
        for n in views.indices {
            views[n].queued.append(contentsOf: repeatElement(0, count: count - views[n].queued.count))
            views[n].sent.append(contentsOf: repeatElement(0, count: count - views[n].sent.count))
            views[n].inFlight.append(contentsOf: repeatElement(0, count: count - views[n].inFlight.count))
            while views[n].credit.count < count { views[n].credit.append(initialCredit(views[n].credit.count)) }
        }
        onNode = Array(repeating: [], count: deployment.nodes.count)
        for index in infos.indices { onNode[infos[index].node].append(index) }
        resetRoutes()
        return orphans
    }

    /// Recomputes reach after links or the plan change.
    public func resetRoutes() {
        let slots = deployment.services.count * deployment.nodes.count
        reach = Array(repeating: nil, count: slots)
        weighted = Array(repeating: nil, count: slots)
    }

    public func setLink(sites: (String, String), to link: Link?) {
        deployment.setLink(sites: sites, to: link)
        resetRoutes()
    }

    /// Frames a stream may have in flight at an instance to begin with: what it completes within one deadline.
    func initialCredit(_ instance: Int) -> Float {
        let deadline = hotServices[hot[instance].service].deadlineS
        return Float(max(2, (hot[instance].capacityPerS * deadline).rounded(.up)))
    }

    @inline(__always) func requestBytes(_ service: Int, _ inputTokens: Int32) -> Double {
        hotServices[service].inputBytesPerToken * Double(max(inputTokens, 1))
    }

    /// Batch of `b` on instance `i`'s first stage.
    @inline(__always) func batchS(_ i: Int, _ b: Int) -> Double { batchTable[hot[i].batchOffset + b] }

    // MARK: Arrival and dispatch

    /// A new request at its origin node.
    public func admit<E: ServeExecutor>(_ request: Request, _ e: E) {
        guard nodeUp[Int(request.origin)] else {
            e.finish(request, .failed, .originDown, at: e.now)
            return
        }
        dispatch(request, from: Int(request.origin), excluding: -1, e)
    }

    /// Static cost of reaching instance `i` from node `n` and back with an empty queue.
    @inline(__always) func reachCost(_ service: Int, _ i: Int, from n: Int, inputTokens: Int32) -> Double {
        return deployment.transferS(bytes: requestBytes(service, inputTokens), from: n, to: hot[i].node)
            + firstResultS(i, inputTokens: inputTokens)
            + deployment.transferS(bytes: hotServices[service].answerBytes, from: hot[i].answerNode, to: n)
    }

    /// Processing time of a lone request on instance `i` (an LLM's prefill; a pipeline's stages).
    @inline(__always) func firstResultS(_ i: Int, inputTokens: Int32) -> Double {
        if hot[i].isLLM { return llms[i].unsafelyUnwrapped.prefillS(tokens: Int(inputTokens)) }
        return hot[i].loneS
    }

    func candidates(_ service: Int, from n: Int) -> [Int] {
        let slot = service * deployment.nodes.count + n
        if let cached = reach[slot] { return cached }
        let s = deployment.services[service]
        let tokens = Int32(s.inputTokens.rounded())
        let ranked = live[service].map { (i: $0, cost: reachCost(service, $0, from: n, inputTokens: tokens)) }
            .filter { $0.cost <= s.deadlineS }
            .sorted { ($0.cost, $0.i) < ($1.cost, $1.i) }
        let list = ranked.prefix(32).map(\.i)
        reach[slot] = list
        return list
    }

    /// Seconds of work queued or running on a device, over every instance sharing it.
    @inline(__always) func deviceBacklogS(_ d: Int) -> Double {
        var total = 0.0
        for j in devices[d].instances { total += Double(instances[j].load) / max(hot[j].capacityPerS, 1e-9) }
        return total
    }

    /// Seconds of work ahead of a new request at instance `i`, as node `n` believes it.
    @inline(__always) func backlogS(_ i: Int, from n: Int, now: Double) -> Double {
        let node = hot[i].node
        let loading = max(0, instances[i].readyAt - now)
        if node == n { return deviceBacklogS(hot[i].device) + loading }
        // Remote: the backlog it reported at the last sync, drained since, plus what this node
        // sent it since — for requests counted once per origin of the service, since the other
        // origins are presumably sending as much and this node cannot see it until the next
        // sync. Streams are steady flows: the others' frames are already in the synced backlog,
        // and counting this node's frames once per origin made every instance but the last
        // chosen look full after a frame or two, so each camera cycled through all of them.
        let drained = max(0, Double(views[n].queued[i]) - (now - views[n].heardAt[node]))
        let perOrigin = hotServices[hot[i].service].isFrequency ? 1 : Double(senders[hot[i].service])
        let sent = Double(views[n].sent[i]) * perOrigin
        return drained + sent / max(hot[i].capacityPerS, 1e-9) + loading
    }

    @inline(__always) func believesUp(_ node: Int, from n: Int, now: Double) -> Bool {
        guard config.syncIntervalS > 0, node != n else { return true }
        return now - views[n].heardAt[node] <= config.syncIntervalS * Double(config.missedSyncsForDown) + 1e-9
    }

    /// `retrying`: why the request left the instance it had (then, with nowhere else to go, it
    /// fails for that reason rather than being dropped).
    func dispatch<E: ServeExecutor>(_ request: Request, from n: Int, excluding: Int, retrying: EndReason? = nil, _ e: E) {
        let now = e.now
        let service = Int(request.service)
        var chosen = -1
        var outOfCredit = false
        if config.dispatch == .planWeights || config.syncIntervalS <= 0 {
            chosen = weightedChoice(service, from: n, excluding: excluding, now: now)
            if chosen < 0 {
                e.finish(request, retrying == nil ? .dropped : .failed, retrying ?? (live[service].isEmpty ? .noInstance : .noRoute), at: now)
                return
            }
        } else {
            let isFrequency = hotServices[service].isFrequency
            var best = Double.infinity
            let localOnly = config.dispatch == .local
            let sampling = isFrequency && !localOnly
            if sampling { inTime.removeAll(keepingCapacity: true) }
            for i in candidates(service, from: n) where i != excluding {
                guard !localOnly || hot[i].node == n else { continue }
                guard instances[i].accepting, believesUp(hot[i].node, from: n, now: now) else { continue }
                // Compared as floats: a credit too large for an Int32 (a huge planned capacity) is no limit.
                if isFrequency, Float(views[n].inFlight[i]) >= views[n].credit[i].rounded(.towardZero) {
                    outOfCredit = true
                    continue
                }
                let estimate = reachCost(service, i, from: n, inputTokens: request.inputTokens) + backlogS(i, from: n, now: now)
                if sampling, now + estimate <= request.deadline { inTime.append((i, estimate)) }
                if estimate < best {
                    best = estimate
                    chosen = i
                }
            }
            if sampling, inTime.count > 2 { chosen = betterOfTwo(request, from: n) }
            if chosen < 0 {
                let reason: EndReason = retrying ?? (live[service].isEmpty ? .noInstance : outOfCredit ? .noCredit : .noFeasibleInstance)
                e.finish(request, reason == .noInstance || retrying != nil ? .failed : .dropped, reason, at: now)
                return
            }
        }
        send(request, to: chosen, from: n, e)
    }

    /// Frames: the better of two instances drawn in proportion to capacity among those that
    /// would answer in time. Every camera's handler reads the same synced state, so the single
    /// best instance would receive the next frame of every stream right after each sync (a
    /// herd that overflows it, Mitzenmacher's "old information"); two random choices spread
    /// them and keep most of the benefit. The draw hashes the request and node: deterministic,
    /// no generator state.
    func betterOfTwo(_ request: Request, from n: Int) -> Int {
        var total = 0.0
        for (i, _) in inTime { total += hot[i].capacityPerS }
        var hash = SeededRandom(seed: UInt64(truncatingIfNeeded: request.id) &* 0x9E37_79B9 ^ UInt64(n) << 40)
        func draw() -> Int {
            var x = hash.unit() * total
            for k in inTime.indices {
                x -= hot[inTime[k].instance].capacityPerS
                if x <= 0 { return k }
            }
            return inTime.count - 1
        }
        let a = draw()
        var b = draw()
        if b == a { b = (a + 1) % inTime.count }
        return inTime[a].estimate <= inTime[b].estimate ? inTime[a].instance : inTime[b].instance
    }

    func send<E: ServeExecutor>(_ request: Request, to i: Int, from n: Int, _ e: E) {
        var r = request
        let node = hot[i].node
        let service = Int(r.service)
        r.instance = Int32(i)
        r.returnS = deployment.transferS(bytes: hotServices[service].answerBytes, from: hot[i].answerNode, to: Int(r.origin))
        if hotServices[service].isFrequency { views[Int(r.origin)].inFlight[i] += 1 }
        if node == n {
            enqueue(r, e)
        } else {
            views[n].sent[i] += 1
            e.transfer(r, to: node, delayS: deployment.transferS(bytes: requestBytes(service, r.inputTokens), from: n, to: node))
        }
    }

    func weightedChoice(_ service: Int, from n: Int, excluding: Int, now: Double) -> Int {
        let slot = service * deployment.nodes.count + n
        if weighted[slot] == nil {
            let name = deployment.services[service].name, origin = deployment.nodes[n].name
            let route = deployment.plan.routing.first { $0.service == name && $0.origin == origin }
            weighted[slot] = (route?.targets ?? []).compactMap { target in
                idIndex[target.instance].map { (instance: $0, weight: target.weight, current: 0) }
            }
        }
        var entries = weighted[slot]!
        var total = 0.0
        var best = -1
        for k in entries.indices {
            let i = entries[k].instance
            guard i != excluding, instances[i].accepting, believesUp(hot[i].node, from: n, now: now) else { continue }
            entries[k].current += entries[k].weight
            total += entries[k].weight
            if best < 0 || entries[k].current > entries[best].current { best = k }
        }
        guard best >= 0 else { return -1 }
        entries[best].current -= total
        weighted[slot] = entries
        return entries[best].instance
    }

    /// A request carried to the node of its instance.
    public func arrived<E: ServeExecutor>(_ request: Request, at node: Int, _ e: E) {
        var r = request
        let i = Int(r.instance)
        let service = Int(r.service)
        let isFrequency = hotServices[service].isFrequency
        guard nodeUp[node] else {
            // The connection is refused; the sender tries another instance if hops remain.
            retry(r, failing: .nodeDown, e)
            return
        }
        if !instances[i].accepting {
            if isFrequency { views[Int(r.origin)].inFlight[i] -= 1 }
            dispatch(r, from: node, excluding: i, e)
            return
        }
        // The node's handler sees its instance's true queue: forward when the request would
        // miss its deadline here and another instance looks better (streams stay where their
        // credits are).
        if config.dispatch == .bestCompletion, config.syncIntervalS > 0, !isFrequency, Int(r.hops) < config.maxOffload {
            let now = e.now
            let here = now + backlogS(i, from: node, now: now) + firstResultS(i, inputTokens: r.inputTokens) + r.returnS
            if here > r.deadline {
                var best = here, alternative = -1
                for j in candidates(service, from: node) where j != i {
                    guard instances[j].accepting, believesUp(hot[j].node, from: node, now: now) else { continue }
                    let estimate = now + reachCost(service, j, from: node, inputTokens: r.inputTokens) + backlogS(j, from: node, now: now)
                    if estimate < best - 1e-9 {
                        best = estimate
                        alternative = j
                    }
                }
                if alternative >= 0 {
                    r.hops += 1
                    forwardedBy[node] += 1
                    send(r, to: alternative, from: node, e)
                    return
                }
            }
        }
        enqueue(r, e)
    }

    /// A request its instance could not take (its node refused the connection, or its model
    /// server failed): the origin tries another instance if hops remain, else it fails.
    public func retry<E: ServeExecutor>(_ request: Request, failing reason: EndReason, _ e: E) {
        var r = request
        let i = Int(r.instance)
        if hotServices[Int(r.service)].isFrequency { views[Int(r.origin)].inFlight[i] -= 1 }
        if Int(r.hops) < config.maxOffload, nodeUp[Int(r.origin)] {
            r.hops += 1
            dispatch(r, from: Int(r.origin), excluding: i, retrying: reason, e)
        } else {
            e.finish(r, .failed, reason, at: e.now)
        }
    }

    /// A request this node sent to another node's handler ended there (live gateways on
    /// separate machines): the sender settles its stream's credit and reports the end.
    public func endedElsewhere<E: ServeExecutor>(_ r: Request, _ outcome: Outcome, _ reason: EndReason, at time: Double, _ e: E) {
        if hotServices[Int(r.service)].isFrequency, r.instance >= 0 { credit(r, success: outcome == .completedInSlo) }
        e.finish(r, outcome, reason, at: time)
    }

    func enqueue<E: ServeExecutor>(_ r: Request, _ e: E) {
        let i = Int(r.instance)
        if hotServices[Int(r.service)].isFrequency && !hot[i].isLLM {
            instances[i].fifo.append(r)
        } else {
            instances[i].edf.insert(ByDeadline(request: r))
        }
        let d = hot[i].device
        if devices[d].busy {
            preemptIfUrgent(device: d, for: i, e)
        } else {
            schedule(device: d, e)
        }
    }

    public func wake<E: ServeExecutor>(instance i: Int, _ e: E) {
        instances[i].wakeAt = .infinity
        schedule(device: hot[i].device, e)
    }

    // MARK: Device scheduling and batching

    /// Starts the next piece of work on a free device: preempted work first, then later stages of
    /// model-parallel batches, then the most urgent instance: about to miss > latency (earliest
    /// deadline) > frequency (oldest frame).
    func schedule<E: ServeExecutor>(device d: Int, _ e: E) {
        guard !devices[d].busy, nodeUp[deviceNode[d]] else { return }
        if let w = devices[d].preempted.popFirst() {
            run(work: w, on: d, e)
            return
        }
        if let w = devices[d].continuing.popFirst() {
            run(work: w, on: d, e)
            return
        }
        let now = e.now
        var bestInstance = -1
        var bestClass = 3, bestKey = Double.infinity
        for i in devices[d].instances {
            guard instances[i].readyAt <= now, instances[i].worksInFlight == 0 || hot[i].stageCount > 1 else { continue }
            guard let key = priority(i, now: now) else {
                // A pack still filling: come back when it is due.
                if hot[i].framesPacked > 1, !instances[i].fifo.isEmpty { scheduleWake(i, e) }
                continue
            }
            if key.0 < bestClass || (key.0 == bestClass && key.1 < bestKey) {
                bestClass = key.0
                bestKey = key.1
                bestInstance = i
            }
        }
        guard bestInstance >= 0 else { return }
        if let w = formWork(bestInstance, e) {
            run(work: w, on: d, e)
        } else {
            // Everything at the head was dropped, or a pack is still filling: look again.
            schedule(device: d, e)
        }
    }

    /// (class, key) of an instance with work that can start now; nil when it has none.
    @inline(__always) func priority(_ i: Int, now: Double) -> (Int, Double)? {
        if hot[i].isLLM {
            if let head = instances[i].edf.min, instances[i].running.count < hot[i].batch {
                return (slackClass(head.request, i, now: now), head.request.deadline)
            }
            if !instances[i].running.isEmpty {
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
    @inline(__always) func slackClass(_ r: Request, _ i: Int, now: Double) -> Int {
        let full = hot[i].isLLM ? 0 : batchS(i, hot[i].batch)
        return r.deadline - now - r.returnS - firstResultS(i, inputTokens: r.inputTokens) < full ? 0 : 1
    }

    /// When instance `i`'s head frame stops waiting for its pack: when the pack's last frame is
    /// due, or earlier if waiting longer would cost the head its deadline.
    func packDeadline(_ i: Int) -> Double {
        guard let head = instances[i].fifo.first else { return .infinity }
        let h = hot[i]
        let fill = head.arrival + Double(h.framesPacked - 1) / max(hotServices[h.service].fps, 1e-9) + 1e-6
        let latest = head.deadline - head.returnS - batchS(i, min(h.batch, instances[i].fifo.count)) - h.tailS
        return min(fill, latest)
    }

    /// MF: a pack is ready when the head's stream has `framesPacked` frames queued, or when
    /// waiting longer would cost the head its deadline.
    func packReady(_ i: Int, now: Double) -> Bool {
        guard let head = instances[i].fifo.first else { return false }
        var count = 0
        for r in instances[i].fifo where r.stream == head.stream {
            count += 1
            if count >= hot[i].framesPacked { return true }
        }
        return now >= packDeadline(i) - 1e-9
    }

    func newWork(_ i: Int, kind: WorkKind) -> Int {
        let w: Int
        if let free = freeWorks.popLast() {
            w = free
        } else {
            w = works.count
            works.append(Work())
        }
        works[w].instance = i
        works[w].stage = 0
        works[w].kind = kind
        works[w].cancelled = false
        works[w].resumeS = -1
        works[w].requests.removeAll(keepingCapacity: true)
        return w
    }

    func release(_ w: Int) {
        works[w].requests.removeAll(keepingCapacity: true)
        freeWorks.append(w)
    }

    /// Takes the next batch (or LLM iteration) off instance `i`'s queue; nil when nothing is left
    /// to run once the requests that can no longer make it are dropped.
    func formWork<E: ServeExecutor>(_ i: Int, _ e: E) -> Int? {
        let now = e.now
        if hot[i].isLLM { return formLLMWork(i, llm: llms[i].unsafelyUnwrapped, e) }
        let tail = hot[i].tailS
        let packing = hot[i].framesPacked > 1
        if packing && !packReady(i, now: now) {
            scheduleWake(i, e)
            return nil
        }
        // Early drop: heads that cannot finish in time even alone.
        if config.earlyDrop {
            let lone = hot[i].loneS
            while let head = peek(i), now + lone + head.returnS > head.deadline {
                popHead(i)
                drop(head, .deadlineUnreachable, e)
            }
        }
        guard let head = peek(i) else { return nil }
        // Deadline-bounded: the largest batch that still gets the most urgent request out in time.
        var size = min(instances[i].waiting, hot[i].batch)
        while size > 1, now + batchS(i, size) + tail + head.returnS > head.deadline { size -= 1 }
        let w = newWork(i, kind: .batch)
        if packing {
            takePacks(i, size: size, into: w)
        } else {
            for _ in 0..<size { works[w].requests.append(popHead(i).unsafelyUnwrapped) }
        }
        return w
    }

    @inline(__always) func peek(_ i: Int) -> Request? { instances[i].edf.min?.request ?? instances[i].fifo.first }

    @discardableResult
    @inline(__always) func popHead(_ i: Int) -> Request? {
        if !instances[i].edf.isEmpty { return instances[i].edf.popMin().unsafelyUnwrapped.request }
        return instances[i].fifo.popFirst()
    }

    /// MF: fills a batch with whole packs: frames in queue order, at most `framesPacked` per stream.
    func takePacks(_ i: Int, size: Int, into w: Int) {
        let k = hot[i].framesPacked
        var taken = [Int32: Int]()
        var remaining = Deque<Request>()
        var total = 0
        for r in instances[i].fifo {
            if total < size, taken[r.stream, default: 0] < k {
                taken[r.stream, default: 0] += 1
                works[w].requests.append(r)
                total += 1
            } else {
                remaining.append(r)
            }
        }
        instances[i].fifo = remaining
    }

    func scheduleWake<E: ServeExecutor>(_ i: Int, _ e: E) {
        let at = max(e.now, packDeadline(i))
        guard at.isFinite else { return }
        if at < instances[i].wakeAt {
            instances[i].wakeAt = at
            e.wake(instance: i, at: at)
        }
    }

    /// LLM continuous batching: admit waiting prompts (prefill) while the decode batch has room,
    /// else run one decode step for every running sequence.
    func formLLMWork<E: ServeExecutor>(_ i: Int, llm: LLMTiming, _ e: E) -> Int? {
        let now = e.now
        let free = hot[i].batch - instances[i].running.count
        if free > 0, !instances[i].edf.isEmpty {
            let w = newWork(i, kind: .prefill)
            var tokens = 0
            while works[w].requests.count < free, let head = instances[i].edf.min?.request {
                let t = Int(head.inputTokens)
                if !works[w].requests.isEmpty, tokens + t > config.prefillTokenBudget { break }
                instances[i].edf.removeMin()
                if config.earlyDrop, now + llm.prefillS(tokens: tokens + t) + head.returnS > head.deadline {
                    drop(head, .deadlineUnreachable, e)
                    continue
                }
                tokens += t
                works[w].requests.append(head)
            }
            if !works[w].requests.isEmpty {
                works[w].durationS = llm.prefillS(tokens: tokens)
                return w
            }
            release(w)
        }
        if !instances[i].running.isEmpty {
            let w = newWork(i, kind: .decode)
            let running = instances[i].running.count
            works[w].durationS = llm.decodeS(batch: running, context: instances[i].contextSum / Double(running))
            return w
        }
        return nil
    }

    /// Seconds a piece of work occupies its device.
    func duration(of w: Int) -> Double {
        switch works[w].kind {
        case .batch:
            let i = works[w].instance, stage = works[w].stage
            return stage == 0 ? batchS(i, works[w].requests.count) : infos[i].stages[stage].batchS[works[w].requests.count]
        case .prefill, .decode:
            return works[w].durationS
        }
    }

    func run<E: ServeExecutor>(work w: Int, on d: Int, _ e: E) {
        var t: Double
        if works[w].resumeS >= 0 {
            // Resuming preempted work: it is already counted in flight.
            t = works[w].resumeS
            works[w].resumeS = -1
        } else {
            t = duration(of: w)
            if config.serviceTimeCV > 0 {
                let shape = 1 / (config.serviceTimeCV * config.serviceTimeCV)
                t *= jitter.gamma(shape: shape, scale: 1 / shape)
            }
            if works[w].stage == 0 && works[w].kind == .batch { instances[works[w].instance].inService += works[w].requests.count }
            if works[w].stage == 0 { instances[works[w].instance].worksInFlight += 1 }
        }
        devices[d].busy = true
        devices[d].current = w
        works[w].startedAt = e.now
        works[w].durationS = t
        e.start(work: w, token: works[w].token, durationS: t)
    }

    /// EPARA's preemption: a latency-sensitive request that would miss its deadline waiting for
    /// the work on its device (another instance's batch, a long LLM iteration, a frame batch)
    /// pauses that work, runs, and the paused work resumes first once the device is free. Work
    /// holding a request due earlier is not paused (a decode step holds none: its sequences'
    /// first tokens are out, and a pause of milliseconds stays within their per-token bound).
    func preemptIfUrgent<E: ServeExecutor>(device d: Int, for i: Int, _ e: E) {
        let w = devices[d].current
        guard e.canPreempt, w >= 0, works[w].instance != i, !works[w].cancelled, !hotServices[hot[i].service].isFrequency,
              instances[i].readyAt <= e.now, instances[i].worksInFlight == 0, let head = peek(i) else { return }
        let now = e.now
        let remaining = works[w].startedAt + works[w].durationS - now
        let need = firstResultS(i, inputTokens: head.inputTokens) + head.returnS
        guard remaining > 1e-6, now + remaining + need > head.deadline, now + need <= head.deadline else { return }
        if works[w].requests.contains(where: { $0.deadline <= head.deadline }) { return }
        works[w].token += 1
        works[w].resumeS = remaining
        devices[d].busyS += now - works[w].startedAt
        devices[d].preempted.append(w)
        devices[d].busy = false
        devices[d].current = -1
        if let urgent = formWork(i, e) {
            run(work: urgent, on: d, e)
        } else {
            schedule(device: d, e)
        }
    }

    // MARK: Completion

    /// A piece of work finished on its device.
    public func workFinished<E: ServeExecutor>(_ w: Int, token: Int, _ e: E) {
        // A completion from before the work was preempted.
        guard works[w].token == token else { return }
        let i = works[w].instance
        let stage = works[w].stage
        let d = stage == 0 ? hot[i].device : infos[i].stages[stage].device
        if devices[d].current == w {
            devices[d].busy = false
            devices[d].current = -1
            devices[d].busyS += works[w].durationS
        }
        if works[w].cancelled {
            release(w)
            schedule(device: d, e)
            return
        }
        let now = e.now
        if stage == 0 && works[w].kind == .batch { instances[i].inService -= works[w].requests.count }
        switch works[w].kind {
        case .batch:
            if stage + 1 < hot[i].stageCount {
                e.handOff(work: w, delayS: infos[i].stages[stage].handoffS[works[w].requests.count])
                if stage == 0 { instances[i].worksInFlight -= 1 }
                schedule(device: d, e)
                return
            }
            for k in works[w].requests.indices { complete(works[w].requests[k], at: now, e) }
        case .prefill:
            for var r in works[w].requests {
                r.firstToken = now
                if r.outputTokens <= 1 {
                    complete(r, at: now, e)
                } else {
                    instances[i].contextSum += Double(r.inputTokens) + 1
                    instances[i].running.insert(RunningSequence(finishStep: instances[i].step + Int(r.outputTokens) - 1, request: r))
                }
            }
        case .decode:
            instances[i].step += 1
            instances[i].contextSum += Double(instances[i].running.count)
            while let next = instances[i].running.min, next.finishStep <= instances[i].step {
                instances[i].running.removeMin()
                instances[i].contextSum -= Double(next.request.inputTokens + next.request.outputTokens)
                complete(next.request, at: now, e)
            }
            if instances[i].running.isEmpty { instances[i].contextSum = 0 }
        }
        if stage == 0 { instances[i].worksInFlight -= 1 }
        release(w)
        schedule(device: d, e)
    }

    /// A piece of work on a model server finished, but the server failed some of its requests
    /// (`failed`: their ids): those are tried on another instance, the rest complete.
    public func workFinished<E: ServeExecutor>(_ w: Int, token: Int, failed: Set<Int>, _ e: E) {
        guard !failed.isEmpty, works[w].token == token, !works[w].cancelled else {
            workFinished(w, token: token, e)
            return
        }
        let lost = works[w].requests.filter { failed.contains($0.id) }
        works[w].requests.removeAll { failed.contains($0.id) }
        let i = works[w].instance
        if works[w].stage == 0 && works[w].kind == .batch { instances[i].inService -= lost.count }
        workFinished(w, token: token, e)
        for r in lost { retry(r, failing: .backendError, e) }
    }

    /// What a piece of work holds: its instance, its stage (model-parallel) and its requests.
    public func work(_ w: Int) -> (instance: Int, stage: Int, requests: [Request]) {
        (works[w].instance, works[w].stage, works[w].requests)
    }

    /// Position of an instance by its plan id (stable across replans within a process).
    public func instanceIndex(id: String) -> Int? { idIndex[id] }

    /// Activations of a model-parallel batch reached the next stage's device.
    public func handedOff<E: ServeExecutor>(_ w: Int, _ e: E) {
        let i = works[w].instance
        works[w].stage += 1
        let next = infos[i].stages[works[w].stage]
        if works[w].cancelled || !nodeUp[next.node] {
            for r in works[w].requests { fail(r, .nodeDown, e) }
            release(w)
            return
        }
        devices[next.device].continuing.append(w)
        schedule(device: next.device, e)
    }

    @inline(__always) func complete<E: ServeExecutor>(_ r: Request, at now: Double, _ e: E) {
        let service = hotServices[Int(r.service)]
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
        servedAt[hot[Int(r.instance)].node] += 1
        if service.isFrequency { credit(r, success: inSLO) }
        e.finish(r, inSLO ? .completedInSlo : .completedLate, .none, at: end)
    }

    func drop<E: ServeExecutor>(_ r: Request, _ reason: EndReason, _ e: E) {
        if hotServices[Int(r.service)].isFrequency { credit(r, success: false) }
        e.finish(r, .dropped, reason, at: e.now)
    }

    func fail<E: ServeExecutor>(_ r: Request, _ reason: EndReason, _ e: E) {
        if hotServices[Int(r.service)].isFrequency, r.instance >= 0 { views[Int(r.origin)].inFlight[Int(r.instance)] -= 1 }
        e.finish(r, .failed, reason, at: e.now)
    }

    /// AIMD: one more frame in flight after a frame in time, half as many after a miss.
    @inline(__always) func credit(_ r: Request, success: Bool) {
        let o = Int(r.origin), i = Int(r.instance)
        views[o].inFlight[i] -= 1
        let cap = 4 * initialCredit(i)
        views[o].credit[i] = success ? min(views[o].credit[i] + 1, cap) : max(views[o].credit[i] / 2, 1)
    }

    // MARK: Information sync and faults

    /// Node `from` tells node `to` the state of its instances (the caller decides whether the
    /// message got through).
    public func sync(from: Int, to: Int, now: Double) {
        guard nodeUp[from], nodeUp[to] else { return }
        views[to].heardAt[from] = now
        for i in onNode[from] {
            views[to].queued[i] = Float(deviceBacklogS(hot[i].device))
            views[to].sent[i] = 0
        }
    }

    /// What node `from` tells the others at a sync: seconds of work ahead of each of its
    /// instances (live gateways send it over HTTP).
    public func syncReport(from: Int) -> [(instance: Int, backlogS: Double)] {
        onNode[from].map { ($0, deviceBacklogS(hot[$0].device)) }
    }

    /// Node `to` takes in a report node `from` sent.
    public func acceptSync(from: Int, to: Int, report: [(instance: Int, backlogS: Double)], now: Double) {
        guard nodeUp[to] else { return }
        views[to].heardAt[from] = now
        for (i, backlog) in report where i < views[to].queued.count {
            views[to].queued[i] = Float(backlog)
            views[to].sent[i] = 0
        }
    }

    /// When node `n` last heard from node `m`, and whether it still counts it as up.
    public func heard(by n: Int, from m: Int, now: Double) -> (at: Double, up: Bool) {
        (views[n].heardAt[m], believesUp(m, from: n, now: now))
    }

    /// A node goes down: every request queued or running on it fails.
    public func nodeDown<E: ServeExecutor>(_ n: Int, _ e: E) {
        guard nodeUp[n] else { return }
        nodeUp[n] = false
        for i in infos.indices where infos[i].nodes.contains(n) {
            while let r = popHead(i) { fail(r, .nodeDown, e) }
            while let seq = instances[i].running.popMin() { fail(seq.request, .nodeDown, e) }
            instances[i].contextSum = 0
        }
        for d in devices.indices where deviceNode[d] == n {
            if devices[d].current >= 0 {
                let w = devices[d].current
                if !works[w].cancelled {
                    works[w].cancelled = true
                    for r in works[w].requests { fail(r, .nodeDown, e) }
                    if works[w].stage == 0 { instances[works[w].instance].worksInFlight -= 1 }
                    if works[w].stage == 0 && works[w].kind == .batch {
                        instances[works[w].instance].inService -= works[w].requests.count
                    }
                }
            }
            while let w = devices[d].continuing.popFirst() {
                for r in works[w].requests { fail(r, .nodeDown, e) }
                release(w)
            }
            while let w = devices[d].preempted.popFirst() {
                for r in works[w].requests { fail(r, .nodeDown, e) }
                if works[w].stage == 0 {
                    instances[works[w].instance].worksInFlight -= 1
                    if works[w].kind == .batch { instances[works[w].instance].inService -= works[w].requests.count }
                }
                release(w)
            }
        }
        // Model-parallel batches on other nodes whose group includes this one fail at handoff.
    }

    /// A node comes back: its instances reload their models before they take requests.
    public func nodeUp<E: ServeExecutor>(_ n: Int, _ e: E) {
        guard !nodeUp[n] else { return }
        nodeUp[n] = true
        for i in infos.indices where infos[i].nodes.contains(n) {
            instances[i].readyAt = e.now + infos[i].loadS
            instances[i].worksInFlight = 0
            instances[i].inService = 0
            e.wake(instance: i, at: instances[i].readyAt)
        }
        for d in devices.indices where deviceNode[d] == n {
            devices[d].busy = false
            devices[d].current = -1
        }
        for m in views.indices { views[m].heardAt[n] = e.now }
    }

    /// A model-parallel batch between stages when the run ends.
    public func abandon<E: ServeExecutor>(work w: Int, _ e: E) {
        for r in works[w].requests { fail(r, .runEnded, e) }
        release(w)
    }

    /// Requests still held when the run ends.
    public func drain<E: ServeExecutor>(_ e: E) {
        for i in instances.indices {
            while let r = popHead(i) { fail(r, .runEnded, e) }
            while let seq = instances[i].running.popMin() { fail(seq.request, .runEnded, e) }
        }
        for d in devices.indices {
            if devices[d].current >= 0, !works[devices[d].current].cancelled {
                works[devices[d].current].cancelled = true
                for r in works[devices[d].current].requests { fail(r, .runEnded, e) }
            }
            while let w = devices[d].continuing.popFirst() {
                for r in works[w].requests { fail(r, .runEnded, e) }
            }
            while let w = devices[d].preempted.popFirst() {
                for r in works[w].requests { fail(r, .runEnded, e) }
            }
        }
    }

    /// Queued plus running requests of an instance (for sync and tests).
    public func load(_ instance: Int) -> Int { instances[instance].load }
}
