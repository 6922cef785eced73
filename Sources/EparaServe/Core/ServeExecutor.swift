import EparaDocuments

/// What the request-handling core asks of the world around it: a clock, a way to run work on a
/// device, to move a request between nodes, to be woken later, and to hand back finished
/// requests. The simulator answers in virtual time; the live engine with real model servers and
/// sockets. The core itself never sleeps, reads a clock of its own or does I/O.
public protocol ServeExecutor: AnyObject {
    /// Seconds since the start of the run.
    var now: Double { get }
    /// Run `work` (a batch, a prefill or a decode step) for about `durationS`; call
    /// `RequestCore.workFinished(work, token:)` with this token when it is done.
    func start(work: WorkIndex, token: Int, durationS: Double)
    /// Whether running work can be paused for a more urgent request (the simulator's devices
    /// can; a real model server's call cannot).
    var canPreempt: Bool { get }
    /// Whether consecutive LLM decode steps with nothing between them may run as one piece of
    /// work, cut back to the step in progress when something needs the device (the simulator:
    /// fewer events, the same results; a live engine runs every step it is given).
    var coalescesDecodeSteps: Bool { get }
    /// Carry `request` to `node`; call `RequestCore.arrived` when it gets there.
    func transfer(_ request: Request, to node: NodeIndex, delayS: Double)
    /// Carry a model-parallel batch's activations to its next stage; call `RequestCore.handedOff`.
    func handOff(work: WorkIndex, delayS: Double)
    /// Call `RequestCore.wake` at `time` (a frame pack's wait ends).
    func wake(instance: InstanceIndex, at time: Double)
    /// An LLM request the core schedules has its first token; the rest follow about every
    /// `paceS` (the decode step at the instance's current batch). The live engine starts a
    /// streaming client's answer here; the simulator has nothing to do.
    func firstToken(_ request: Request, paceS: @autoclosure () -> Double)
    /// A request ended; `time` is when the answer reached its origin (or when it was given up).
    func finish(_ request: Request, _ outcome: Outcome, _ reason: EndReason, at time: Double)
    /// How many requests at once the instance's model server runs when it batches by itself
    /// (then each request is one call, `RequestCore.serverCallEnded` ends it); nil when the
    /// core schedules the instance (the simulator, the emulated backend).
    func serverConcurrency(service: String, node: String, instance: String) -> Int?
}

extension ServeExecutor {
    public func serverConcurrency(service: String, node: String, instance: String) -> Int? { nil }
    public func firstToken(_ request: Request, paceS: @autoclosure () -> Double) {}
}
