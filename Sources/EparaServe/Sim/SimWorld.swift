import EparaDocuments
import HeapModule

/// The simulator's side of the request-handling core (its `ServeExecutor`): virtual time, the
/// heap of timed events, and requests on the wire between nodes. Owned by the core; the
/// `SimEngine` drives both from its event loop.
public final class SimWorld: ServeExecutor {
    /// Seconds of virtual time since the start of the run.
    @exclusivity(unchecked) public internal(set) var now = 0.0
    @exclusivity(unchecked) var events = Heap<Event>()
    @exclusivity(unchecked) var order: UInt64 = 0
    /// Requests being carried to a node, by slot (the `transfer` event's payload).
    @exclusivity(unchecked) var transit = Table<TransitSlot, Request>()
    @exclusivity(unchecked) var transitNode = Table<TransitSlot, NodeIndex>()
    @exclusivity(unchecked) var freeTransit: [TransitSlot] = []
    let recorder: Recorder

    init(recorder: Recorder) { self.recorder = recorder }

    @inline(__always) func push(_ time: Double, _ what: Event.What) {
        order &+= 1
        events.insert(Event(time: time, order: order, what: what))
    }

    public func start(work: WorkIndex, token: Int, durationS: Double) {
        push(now + durationS, .workDone(work, token: token))
    }

    public var canPreempt: Bool { true }
    public var coalescesDecodeSteps: Bool { true }

    public func transfer(_ request: Request, to node: NodeIndex, delayS: Double) {
        let slot: TransitSlot
        if let free = freeTransit.popLast() {
            slot = free
            transit[slot] = request
            transitNode[slot] = node
        } else {
            slot = transit.nextIndex
            transit.append(request)
            transitNode.append(node)
        }
        push(now + delayS, .transfer(slot))
    }

    public func handOff(work: WorkIndex, delayS: Double) { push(now + delayS, .handOff(work)) }

    public func wake(instance: InstanceIndex, at time: Double) { push(max(time, now), .wake(instance)) }

    public func finish(_ request: Request, _ outcome: Outcome, _ reason: EndReason, at time: Double) {
        recorder.finish(request, outcome, reason, at: time)
    }
}
