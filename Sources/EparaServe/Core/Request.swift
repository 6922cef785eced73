/// One request (or one video frame) on its way through the cluster. Small and copied by value:
/// the simulator holds millions of them in flight over a run but never all at once.
public struct Request: Sendable {
    /// Sequence number in arrival order, unique within a run.
    public var id: Int
    public var service: Int32
    /// Stream index within the service (frequency-sensitive services), -1 otherwise.
    public var stream: Int32
    /// Node where the request arrived.
    public var origin: Int32
    /// Instance it is queued at or heading to, -1 before dispatch.
    public var instance: Int32
    /// Times the request was forwarded from one node's handler to another's.
    public var hops: Int16
    public var inputTokens: Int32
    public var outputTokens: Int32
    /// Seconds since the start of the run.
    public var arrival: Double
    /// Absolute time by which the answer (an LLM's first token) must be back at the origin.
    public var deadline: Double
    /// Network time of the answer back to the origin, seconds (set at dispatch).
    public var returnS: Double
    /// LLM: when the first token was produced (NaN before).
    public var firstToken: Double

    public init(id: Int, service: Int32, stream: Int32 = -1, origin: Int32, arrival: Double, deadline: Double,
                inputTokens: Int32 = 0, outputTokens: Int32 = 0) {
        self.id = id
        self.service = service
        self.stream = stream
        self.origin = origin
        self.instance = -1
        self.hops = 0
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.arrival = arrival
        self.deadline = deadline
        self.returnS = 0
        self.firstToken = .nan
    }
}

/// How a request ended. Every request ends as exactly one of these.
public enum Outcome: UInt8, Sendable, CaseIterable {
    case completedInSlo
    case completedLate
    case dropped
    case failed

    public var name: String {
        switch self {
        case .completedInSlo: "completed_in_slo"
        case .completedLate: "completed_late"
        case .dropped: "dropped"
        case .failed: "failed"
        }
    }
}

/// Why a request was dropped (shed on purpose) or failed (lost to a fault or a gap in the plan).
public enum EndReason: UInt8, Sendable, CaseIterable {
    case none
    /// Dropped: it could no longer meet its deadline (early drop).
    case deadlineUnreachable
    /// Dropped: no instance within reach could meet the deadline even with empty queues.
    case noFeasibleInstance
    /// Dropped: the stream had no credit left at any instance (frame skipped).
    case noCredit
    /// Dropped: the policy has no route for the service from the node where it arrived.
    case noRoute
    /// Failed: the node it was queued or running on went down.
    case nodeDown
    /// Failed: the node where it arrived was down.
    case originDown
    /// Failed: no live instance of the service anywhere.
    case noInstance
    /// Failed: forwarded more than max_offload times.
    case offloadLimit
    /// Still queued or running when the run ended.
    case runEnded
    /// Failed: the model server answered with an error or not in time, on every instance tried.
    case backendError

    public var name: String {
        switch self {
        case .none: ""
        case .deadlineUnreachable: "deadline_unreachable"
        case .noFeasibleInstance: "no_feasible_instance"
        case .noCredit: "no_credit"
        case .noRoute: "no_route"
        case .nodeDown: "node_down"
        case .originDown: "origin_down"
        case .noInstance: "no_instance"
        case .offloadLimit: "offload_limit"
        case .runEnded: "run_ended"
        case .backendError: "backend_error"
        }
    }
}
