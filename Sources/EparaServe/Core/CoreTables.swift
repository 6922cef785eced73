import DequeModule
import HeapModule

// The rows of the request-handling core's tables: plain values, read and written by the
// dispatcher, the batch formers and the device scheduler through typed indices.

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
    /// Order of admission to the decode batch (the last admitted is preempted first).
    var admitted = 0
    static func < (a: RunningSequence, b: RunningSequence) -> Bool { (a.finishStep, a.request.id) < (b.finishStep, b.request.id) }
    static func == (a: RunningSequence, b: RunningSequence) -> Bool { a.request.id == b.request.id }
}

/// One instance's queues: latency-sensitive requests earliest deadline first, frames of
/// frequency-sensitive streams first in first out; LLM sequences being decoded.
struct InstanceState {
    var edf = Heap<ByDeadline>()
    var fifo = Deque<Request>()
    var running = Heap<RunningSequence>()
    /// Chunked prefill: prompts admitted and still being prefilled, in order of admission, and
    /// sequences preempted for want of KV cache, first in line to be admitted again.
    var prefilling = Deque<PromptInProgress>()
    var preempted = Deque<PromptInProgress>()
    var nextAdmission = 0
    var step = 0
    var contextSum = 0.0
    /// Taking new requests: in the plan in force (a replan that removes the instance clears it).
    var isLive = true
    /// When its model is loaded (it takes requests before, but runs nothing).
    var readyAt = 0.0
    var worksInFlight = 0
    /// Requests in batches running on the first stage (no longer queued, not yet done).
    var inService = 0
    var wakeAt = Double.infinity
    /// The model server that runs this instance's work when it batches by itself (live, in
    /// front of a real server); nil when the core schedules the instance's device.
    var server: ServerPace?
    var waiting: Int { edf.count + fifo.count + preempted.count }
    var load: Int { edf.count + fifo.count + preempted.count + prefilling.count + running.count + inService }

    /// The request to run next: the earliest deadline, else the oldest frame.
    @inline(__always) var head: Request? { edf.min?.request ?? fifo.first }

    @discardableResult
    @inline(__always) mutating func popHead() -> Request? {
        if !edf.isEmpty { return edf.popMin().unsafelyUnwrapped.request }
        return fifo.popFirst()
    }
}

struct DeviceState {
    /// The work running on the device, if any.
    var current: WorkIndex?
    /// Work paused for a more urgent request: it resumes before anything else.
    var preempted = Deque<WorkIndex>()
    /// Later stages of model-parallel batches, which run before new work (they hold requests already).
    var continuing = Deque<WorkIndex>()
    /// Instances whose first stage runs here.
    var instances: [InstanceIndex] = []
    var busyS = 0.0
    var isBusy: Bool { current != nil }

    /// The work running here ended after `seconds` on the device.
    mutating func finished(after seconds: Double) {
        current = nil
        busyS += seconds
    }
}

/// A batch, an LLM iteration (a prefill-first prefill, a decode step, a chunked step), or one request's call to a self-batching model server
/// (ServerCalls.swift: it holds no device).
enum WorkKind: UInt8 { case batch, prefill, decode, step, call }

struct Work {
    var instance = InstanceIndex(0)
    var stage = 0
    var kind = WorkKind.batch
    var requests: [Request] = []
    var cancelled = false
    var startedAt = 0.0
    var durationS = 0.0
    /// Seconds left when the work was preempted; nil when it was not.
    var resumeS: Double?
    /// Bumped when the work is preempted, so its stale completion is ignored.
    var token = 0
    /// Decode steps this work runs (more than one: a coalesced run, DecodeRuns.swift; its
    /// steps' times follow from the instance's context sum, which stays put while it runs).
    var steps = 1
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
    var node: NodeIndex
    /// Node of the last stage, where the answer leaves from.
    var answerNode: NodeIndex
    /// Device of the first stage.
    var device: DeviceIndex
    var service: ServiceIndex
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
    var heardAt: Table<NodeIndex, Double>
    /// Seconds of work on each instance's device at the last sync.
    var queued: Table<InstanceIndex, Float>
    var sent: Table<InstanceIndex, Int32>
    var credit: Table<InstanceIndex, Float>
    var inFlight: Table<InstanceIndex, Int32>
}
