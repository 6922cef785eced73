// AIMD credits of frame streams: how many frames each origin's handler may have in flight at
// an instance — one more after a frame answered in time, half as many after a miss — so that
// a camera's frames back off an instance that falls behind instead of queueing there.
extension RequestCore {
    /// Frames a stream may have in flight at an instance to begin with: what it completes within one deadline.
    func initialCredit(_ instance: InstanceIndex) -> Float {
        let deadline = hotServices[hot[instance].service].deadlineS
        return Float(max(2, (hot[instance].capacityPerS * deadline).rounded(.up)))
    }

    /// Whether the handler at `origin` may send one more frame to instance `i`.
    @inline(__always) func hasCredit(origin n: NodeIndex, at i: InstanceIndex) -> Bool {
        // Compared as floats: a credit too large for an Int32 (a huge planned capacity) is no limit.
        Float(views[n].inFlight[i]) < views[n].credit[i].rounded(.towardZero)
    }

    /// A frame ended: it leaves the flight, and its stream's credit grows or halves.
    @inline(__always) func credit(_ r: Request, success: Bool) {
        let o = r.origin, i = r.at
        views[o].inFlight[i] -= 1
        let cap = 4 * initialCredit(i)
        views[o].credit[i] = success ? min(views[o].credit[i] + 1, cap) : max(views[o].credit[i] / 2, 1)
    }
}
