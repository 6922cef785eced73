import EparaCore
import EparaDocuments

/// The distributed request handler of EPARA, for every node at once. One class over shared
/// tables, its concerns one file each (docs/architecture.md has the map):
///
/// - `Dispatcher.swift`: where a request goes (estimated completion on synced state, plan
///   weights, forwarding up to `maxOffload` hops, retries);
/// - `EarlyDrop.swift`: when a request is given up before it runs;
/// - `DeviceScheduler.swift`: what runs next on a device (preempted > latency EDF > frequency
///   FIFO) and EPARA's preemption;
/// - `BatchFormer.swift`: deadline-bounded dynamic batching; `FramePacking.swift`: frame packs;
///   `LLMIterations.swift`: prefill and continuously batched decode;
/// - `Completion.swift`: finished work, model-parallel handoffs, SLO accounting;
/// - `StreamCredits.swift`: AIMD credits of frame streams; `NodeViews.swift`: information sync;
/// - `PlanChange.swift`: a new plan in force during a run; `NodeFaults.swift`: nodes going
///   down and coming back, and the end of a run.
///
/// It owns no clock and does no I/O: its `executor` (the simulator's `SimWorld`, or the live
/// engine's `Outbox`) runs work, carries requests and wakes it. The core owns it, and the
/// executor holds nothing of the core's, so there is no cycle; an immutable strong reference
/// is also what the hot path reads without counting references.
public final class RequestCore<Executor: ServeExecutor> {
    @exclusivity(unchecked) public internal(set) var deployment: Deployment
    public let config: CoreConfig
    public let executor: Executor
    /// Every instance any plan of the run has had, in order of first appearance: indices stay
    /// valid across replans, which only switch instances on and off.
    @exclusivity(unchecked) var infos = Table<InstanceIndex, InstanceInfo>()
    @exclusivity(unchecked) var hot = Table<InstanceIndex, HotInstance>()
    /// Batch times of every instance's first stage, end to end (`HotInstance.batchOffset`).
    @exclusivity(unchecked) var batchTable: [Double] = []
    @exclusivity(unchecked) var llms = Table<InstanceIndex, LLMTiming?>()
    @exclusivity(unchecked) var hotServices: Table<ServiceIndex, HotService>
    /// Origin nodes per service: how many handlers dispatch it.
    @exclusivity(unchecked) var senders: Table<ServiceIndex, Int>
    @exclusivity(unchecked) var deviceNode: Table<DeviceIndex, NodeIndex>
    @exclusivity(unchecked) var idIndex: [String: InstanceIndex] = [:]
    @exclusivity(unchecked) var instances = Table<InstanceIndex, InstanceState>()
    /// Instances taking new requests, per service.
    @exclusivity(unchecked) var liveOf: Table<ServiceIndex, [InstanceIndex]>
    @exclusivity(unchecked) var devices: Table<DeviceIndex, DeviceState>
    @exclusivity(unchecked) var works = Table<WorkIndex, Work>()
    @exclusivity(unchecked) var freeWorks: [WorkIndex] = []
    /// The true state of each node.
    @exclusivity(unchecked) var isUp: Table<NodeIndex, Bool>
    @exclusivity(unchecked) var views: Table<NodeIndex, NodeView>
    /// Candidate instances per (service, node), nearest first; built on first use.
    @exclusivity(unchecked) var reach: Grid<ServiceIndex, NodeIndex, [InstanceIndex]?>
    /// Smooth weighted round-robin state per (service, origin) for plan-weight dispatch.
    @exclusivity(unchecked) var weighted: Grid<ServiceIndex, NodeIndex, [(instance: InstanceIndex, weight: Double, current: Double)]?>
    /// Instances whose queue each node's handler owns.
    @exclusivity(unchecked) var onNode = Table<NodeIndex, [InstanceIndex]>()
    /// Scratch for `betterOfTwo`: instances that would answer a frame in time, with estimates.
    @exclusivity(unchecked) var inTime: [(instance: InstanceIndex, estimate: Double)] = []
    @exclusivity(unchecked) var jitter: SeededRandom
    /// Requests forwarded onward by each node's handler.
    @exclusivity(unchecked) var forwardedBy: Table<NodeIndex, Int>
    /// Requests each node's instances completed.
    @exclusivity(unchecked) var servedAt: Table<NodeIndex, Int>
    /// LLM sequences preempted for want of KV cache (chunked prefill).
    @exclusivity(unchecked) public internal(set) var preemptions = 0

    public init(deployment: Deployment, config: CoreConfig, executor: Executor) {
        self.deployment = deployment
        self.config = config
        self.executor = executor
        jitter = SeededRandom(seed: config.seed).derived(0x717)
        let n = deployment.nodes.count
        isUp = Table(repeating: true, count: n)
        devices = Table(repeating: DeviceState(), count: deployment.devices.count)
        hotServices = Table(
            deployment.services.map { s in
                HotService(
                    isFrequency: s.isFrequency, isLLM: s.isLLM, deadlineS: s.deadlineS, tpotS: s.tpotS ?? .nan, fps: s.fps,
                    inputBytesPerToken: s.model.inputBytes, answerBytes: s.model.outputBytes)
            })
        deviceNode = Table(deployment.devices.map { deployment.nodeIndex[$0.node]! })
        senders = Table(deployment.services.map { max($0.origins.count, 1) })
        liveOf = Table(repeating: [], count: deployment.services.count)
        // Every view starts as the same tables, shared until a node's own writes copy them.
        let heard = Table<NodeIndex, Double>(repeating: 0, count: n)
        views = Table(repeating: NodeView(heardAt: heard, queued: Table(), sent: Table(), credit: Table(), inFlight: Table()), count: n)
        reach = Grid(rows: 0, columns: 0, repeating: nil)
        weighted = Grid(rows: 0, columns: 0, repeating: nil)
        forwardedBy = Table(repeating: 0, count: n)
        servedAt = Table(repeating: 0, count: n)
        _ = install(deployment, now: 0, loadModels: false)
    }

    // MARK: What the engines read

    /// Whether an instance takes new requests (it is in the plan in force).
    public func isLive(_ instance: InstanceIndex) -> Bool { instances[instance].isLive }
    /// Queued plus running requests of an instance (for sync and tests).
    public func load(_ instance: InstanceIndex) -> Int { instances[instance].load }
    public func busySeconds(device: DeviceIndex) -> Double { devices[device].busyS }
    /// Whether a node is up (faults put it down).
    public func isNodeUp(_ node: NodeIndex) -> Bool { isUp[node] }
    /// Requests forwarded onward by a node's handler.
    public func forwarded(by node: NodeIndex) -> Int { forwardedBy[node] }
    /// Requests a node's instances completed.
    public func served(at node: NodeIndex) -> Int { servedAt[node] }
    /// Every instance the run has had, in index order.
    public var instanceIndices: Range<InstanceIndex> { infos.indices }
    public func info(_ instance: InstanceIndex) -> InstanceInfo { infos[instance] }
    /// Position of an instance by its plan id (stable across replans within a process).
    public func instanceIndex(id: String) -> InstanceIndex? { idIndex[id] }

    /// What a piece of work holds: its instance, its stage (model-parallel) and its requests.
    public func work(_ w: WorkIndex) -> (instance: InstanceIndex, stage: Int, requests: [Request]) {
        (works[w].instance, works[w].stage, works[w].requests)
    }

    // MARK: Shared arithmetic

    @inline(__always) func requestBytes(_ service: ServiceIndex, _ inputTokens: Int32) -> Double {
        hotServices[service].inputBytesPerToken * Double(max(inputTokens, 1))
    }

    /// Batch of `b` on instance `i`'s first stage.
    @inline(__always) func batchS(_ i: InstanceIndex, _ b: Int) -> Double { batchTable[hot[i].batchOffset + b] }

    /// Processing time of a lone request on instance `i` (an LLM's prefill; a pipeline's stages).
    @inline(__always) func firstResultS(_ i: InstanceIndex, inputTokens: Int32) -> Double {
        if let server = instances[i].server, server.observed > 0 { return server.firstAnswerS }
        if hot[i].isLLM { return llms[i].unsafelyUnwrapped.prefillS(tokens: Int(inputTokens)) }
        return hot[i].loneS
    }

    @inline(__always) func transferS(bytes: Double, from a: NodeIndex, to b: NodeIndex) -> Double {
        deployment.transferS(bytes: bytes, from: a, to: b)
    }

    /// Seconds of work queued or running on a device, over every instance sharing it.
    @inline(__always) func deviceBacklogS(_ d: DeviceIndex) -> Double {
        var total = 0.0
        for j in devices[d].instances {
            if let server = instances[j].server {
                total += server.waitS(queued: instances[j].waiting)
            } else {
                total += Double(instances[j].load) / max(hot[j].capacityPerS, 1e-9)
            }
        }
        return total
    }
}
