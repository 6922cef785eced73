// Decode steps with nothing between them, run as one piece of work. While an LLM instance's
// decode batch is all its device has to do and no sequence finishes, a step boundary decides
// nothing: the next step is the same batch, one token longer. So where the executor allows it
// (the simulator), the core runs those steps as one work ending at the next finishing
// sequence, and anything that would have been decided at a boundary in between — a request
// queued on the device, a wake, a later pipeline stage's activations, a plan change, a node
// going down, the end of the run — first cuts the run back to the step in progress
// (`settleRun`). Step times, clock and busy time are summed in the order single steps would
// sum them, so the results are the same to the bit (DecodeRunTests); the simulator handles a
// few events per request instead of one per token batch.
extension RequestCore {
    /// Makes decode work `w` of instance `i` (formed as one step) a run up to the next finishing
    /// sequence, when nothing else could want the device before then.
    @inline(__always) func formDecodeRun(_ w: WorkIndex, on i: InstanceIndex, llm: LLMTiming) {
        guard config.coalescesDecodeSteps, executor.coalescesDecodeSteps, config.serviceTimeCV == 0,
            let next = instances[i].running.min
        else { return }
        var steps = next.finishStep - instances[i].step
        // Chunked prefill: no run past the step at which the batch's contexts fill the KV cache.
        let headroom = llm.cacheTokens - instances[i].contextSum
        if config.llmScheduler == .chunked, headroom.isFinite { steps = min(steps, Int(headroom / Double(instances[i].running.count))) }
        guard steps > 1, instances[i].prefilling.isEmpty, deviceHasNothingElse(hot[i].device, besides: i) else { return }
        let now = executor.now
        var times = DecodeStepTimes(llm, running: instances[i].running.count, context: instances[i].contextSum)
        var end = now
        for _ in 0..<steps { end += times.next() }
        works[w].steps = steps
        works[w].durationS = Self.delay(from: now, to: end)
    }

    /// No other instance on device `d` has work waiting or running, and no paused or later-stage
    /// work is due there.
    @inline(__always) func deviceHasNothingElse(_ d: DeviceIndex, besides i: InstanceIndex) -> Bool {
        guard devices[d].preempted.isEmpty, devices[d].continuing.isEmpty else { return false }
        for j in devices[d].instances where j != i {
            if instances[j].waiting > 0 || !instances[j].running.isEmpty || !instances[j].prefilling.isEmpty { return false }
        }
        return true
    }

    /// Cuts the decode run on device `d`, if one is running, back to the step in progress: the
    /// steps already over count as single steps would have, and the one in progress becomes the
    /// device's work, ending when it would have.
    func settleRun(on d: DeviceIndex) {
        guard let w = devices[d].current, works[w].steps > 1, !works[w].cancelled else { return }
        let i = works[w].instance
        let now = executor.now
        let running = instances[i].running.count
        var times = DecodeStepTimes(llms[i].unsafelyUnwrapped, running: running, context: instances[i].contextSum)
        var start = works[w].startedAt
        var step = times.next()
        var left = works[w].steps
        while left > 1, start + step <= now {
            // This step is over: what its own completion would have done (no sequence finishes
            // before the run's last step).
            devices[d].busyS += step
            instances[i].step += 1
            instances[i].contextSum += Double(running)
            start += step
            left -= 1
            step = times.next()
        }
        works[w].token += 1
        works[w].steps = 1
        works[w].startedAt = start
        works[w].durationS = step
        executor.start(work: w, token: works[w].token, durationS: Self.delay(from: now, to: start + step))
    }

    /// A finished run's busy time, step by step as single steps would have added it, less the
    /// last step (the caller adds the work's duration as for any work).
    @inline(__always) func addRunBusyTime(_ w: WorkIndex, on d: DeviceIndex) {
        let i = works[w].instance
        var times = DecodeStepTimes(llms[i].unsafelyUnwrapped, running: instances[i].running.count, context: instances[i].contextSum)
        var last = times.next()
        for _ in 1..<works[w].steps {
            devices[d].busyS += last
            last = times.next()
        }
        works[w].durationS = last
    }

    /// The delay that, added to `now`, gives exactly `end` (the executor schedules at now + delay).
    @inline(__always) static func delay(from now: Double, to end: Double) -> Double {
        var delay = end - now
        for _ in 0..<4 where now + delay != end { delay = now + delay < end ? delay.nextUp : delay.nextDown }
        return delay
    }
}

/// The times of consecutive decode steps of one batch: its mean context grows by one token a
/// step, and a step's time changes only when that crosses into the next 64-token bucket.
struct DecodeStepTimes {
    let llm: LLMTiming
    let running: Int
    var context: Double
    var bucket = -1
    var time = 0.0

    init(_ llm: LLMTiming, running: Int, context: Double) {
        self.llm = llm
        self.running = running
        self.context = context
    }

    /// The next step's time (the context sum as the instance itself adds it up).
    @inline(__always) mutating func next() -> Double {
        let b = LLMTiming.decodeBucket(context / Double(running))
        if b != bucket {
            bucket = b
            time = llm.decodeS(batch: running, bucket: b)
        }
        context += Double(running)
        return time
    }
}
