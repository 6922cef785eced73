// How requests end, as the Run counts them and the request handler decides them: one
// vocabulary for both (the Run's `drop_reasons` and `fail_reasons` keys are these names).

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
