import EparaDocuments

// When a request is given up before it runs — the one place that decides it:
//
// - at dispatch, when no instance can take it (`nowhereToGo`): none is live for its service
//   (failed, `no_instance`), none answers in time or has credit for its stream (dropped,
//   `no_feasible_instance`, `no_credit`), the plan routes it nowhere (dropped, `no_route`), or
//   it was being retried after its instance failed it (failed, for that reason);
// - at the head of an instance's queue, with early drop on (the default), when it cannot be
//   answered in time even alone (`cannotMakeIt`; dropped, `deadline_unreachable`) — the batch
//   former and the LLM prefill ask before taking a request.
//
// A request that runs is never dropped: it completes (in SLO or late) or fails with its node.
extension RequestCore {
    /// How a request ends that the dispatcher found no instance for.
    func nowhereToGo(_ request: Request, retrying: EndReason?, outOfCredit: Bool) -> (outcome: Outcome, reason: EndReason) {
        let noneLive = liveOf[request.service].isEmpty
        if config.followsPlanWeights {
            return (retrying == nil ? .dropped : .failed, retrying ?? (noneLive ? .noInstance : .noRoute))
        }
        let reason = retrying ?? (noneLive ? .noInstance : outOfCredit ? .noCredit : .noFeasibleInstance)
        return (reason == .noInstance || retrying != nil ? .failed : .dropped, reason)
    }

    /// Early drop: whether `request`, started now and taking `processingS` to its answer,
    /// would miss its deadline (only when early drop is on).
    @inline(__always) func cannotMakeIt(_ request: Request, processingS: Double, now: Double) -> Bool {
        config.earlyDrop && now + processingS + request.returnS > request.deadline
    }

    /// Gives a queued request up (its stream's credit halves).
    func drop(_ r: Request, _ reason: EndReason) {
        if hotServices[r.service].isFrequency { credit(r, success: false) }
        executor.finish(r, .dropped, reason, at: executor.now)
    }
}
