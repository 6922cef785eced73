import DequeModule

// Frame packing (EPARA's MF mode for frequency-sensitive services): frames of one stream wait
// for each other so that a batch carries whole packs of `framesPacked` frames, but never so
// long that the oldest frame would miss its deadline.
extension RequestCore {
    /// When instance `i`'s head frame stops waiting for its pack: when the pack's last frame is
    /// due, or earlier if waiting longer would cost the head its deadline.
    func packDeadline(_ i: InstanceIndex) -> Double {
        guard let head = instances[i].fifo.first else { return .infinity }
        let h = hot[i]
        let fill = head.arrival + Double(h.framesPacked - 1) / max(hotServices[h.service].fps, 1e-9) + 1e-6
        let latest = head.deadline - head.returnS - batchS(i, min(h.batch, instances[i].fifo.count)) - h.tailS
        return min(fill, latest)
    }

    /// A pack is ready when the head's stream has `framesPacked` frames queued, or when waiting
    /// longer would cost the head its deadline.
    func packReady(_ i: InstanceIndex, now: Double) -> Bool {
        guard let head = instances[i].fifo.first else { return false }
        var count = 0
        for r in instances[i].fifo where r.stream == head.stream {
            count += 1
            if count >= hot[i].framesPacked { return true }
        }
        return now >= packDeadline(i) - 1e-9
    }

    /// Fills a batch with whole packs: frames in queue order, at most `framesPacked` per stream.
    func takePacks(_ i: InstanceIndex, size: Int, into w: WorkIndex) {
        let k = hot[i].framesPacked
        var taken = [Int32?: Int]()
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

    /// Asks to be woken when instance `i`'s pack is due (once per due time).
    func scheduleWake(_ i: InstanceIndex) {
        let at = max(executor.now, packDeadline(i))
        guard at.isFinite else { return }
        if at < instances[i].wakeAt {
            instances[i].wakeAt = at
            executor.wake(instance: i, at: at)
        }
    }
}
