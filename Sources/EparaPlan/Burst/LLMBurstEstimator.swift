import EparaCore

/// How long the steps of one LLM replica take, from the latency model (or the catalog's measured
/// profile), as `serve`'s simulator times them: a decode step by sequences running, at the
/// service's mean context; a prefill by tokens, in the simulator's 16-token buckets, up to the
/// token budget (no step takes more).
struct LLMStepTimes {
    /// Sequences the replica runs at once (its batch).
    var batch: Int
    var budget: Int
    /// Seconds, by sequences running (index 0 unused).
    var decodeS: [Double]
    /// Seconds, by bucket k of 16 tokens (up to 16·k tokens; index 0 unused).
    var prefillS: [Double]

    static let bucket = 16

    init(batch: Int, budget: Int, decodeS: (Int) -> Double, prefillS: (Int) -> Double) {
        self.batch = batch
        self.budget = budget
        self.decodeS = [0] + (1...max(batch, 1)).map(decodeS)
        let buckets = (budget + Self.bucket - 1) / Self.bucket
        self.prefillS = [0] + (1...max(buckets, 1)).map { prefillS($0 * Self.bucket) }
    }

    /// Past the budget (only a whole prompt asked about at admission), extended along the last
    /// bucket's slope.
    func prefill(_ tokens: Int) -> Double {
        let k = (max(tokens, 1) + Self.bucket - 1) / Self.bucket, last = prefillS.count - 1
        if k <= last { return prefillS[k] }
        return prefillS[last] + Double(k - last) * (prefillS[last] - prefillS[max(last - 1, 1)])
    }

    /// A chunked step: the longer of the decode step and a prefill of all its tokens (as
    /// `LLMTiming.stepS` in the simulator).
    func step(promptTokens: Int, decodes: Int) -> Double {
        if promptTokens == 0 { return decodeS[min(decodes, batch)] }
        if decodes == 0 { return prefill(promptTokens) }
        return max(decodeS[min(decodes, batch)], prefill(promptTokens + decodes))
    }
}

/// One LLM replica of a pool: its step times (an index into the estimator's tables), how much
/// other services on its devices slow it, the network there and back, and the capacity the
/// dispatcher weighs its queue by.
struct LLMReplica: Hashable, Comparable {
    var steps: Int
    /// Every step takes this many times its own time (1 ÷ the time other services leave).
    var slowdown: Double
    var networkS: Double
    var capacityPerS: Double

    static func < (a: LLMReplica, b: LLMReplica) -> Bool {
        (a.steps, a.slowdown, a.networkS, a.capacityPerS) < (b.steps, b.slowdown, b.networkS, b.capacityPerS)
    }
}

/// Expected SLO attainment of an LLM service on a pool of replicas that run chunked prefill:
/// the burst estimator's arrivals (the same seeded sample), each request sent to the replica
/// with the least queued work for its capacity, as `serve`'s dispatcher does; then each replica
/// steps as the simulator's chunked scheduler does — one token for every running sequence, the
/// rest of the budget on prompt chunks in arrival order, a new prompt admitted while the batch
/// has room and dropped at admission when even its own prefill would miss the deadline. A request
/// is good when its first token is back by the deadline and its tokens came within the TPOT SLO.
/// Decode steps with nothing else to do are taken together (one event per run, as DecodeRuns).
/// Not modelled: the KV cache's bound (the planner sizes the batch to fit it) and the growth of
/// the context during an answer (decode steps are timed at the mean).
final class LLMBurstEstimator {
    struct Workload: Hashable {
        var arrivals: BurstEstimator.Workload
        var inputTokens: Int
        var outputTokens: Int
        /// nil: the SLO bounds the first token only.
        var tpotS: Double?
    }

    /// Requests stepped per pool: half the burst estimator's sample (an LLM request is many steps).
    static let sampleSize = BurstEstimator.sampleSize / 2

    private(set) var tables: [LLMStepTimes] = []
    private var lengths: [Workload: (input: [Int], output: [Int])] = [:]
    private var tableIndex: [StepsKey: Int] = [:]
    private var cache: [Workload: [[LLMReplica]: Double]] = [:]
    private(set) var simulations = 0

    /// What a replica's step times depend on.
    struct StepsKey: Hashable {
        var service: Int
        var device: String
        var batch: Int
        var stages: [ParallelGroup.Stage]
    }

    /// The index of the step table for `key`, built by `make` the first time.
    func steps(_ key: StepsKey, _ make: () -> LLMStepTimes) -> Int {
        if let known = tableIndex[key] { return known }
        tables.append(make())
        tableIndex[key] = tables.count - 1
        return tables.count - 1
    }

    func attainment(_ w: Workload, pool: [LLMReplica], arrivals: BurstEstimator) -> Double {
        guard !pool.isEmpty, w.arrivals.ratePerS > 0 else { return pool.isEmpty ? 0 : 1 }
        let key = pool.map { r in
            LLMReplica(
                steps: r.steps, slowdown: (r.slowdown * 1e6).rounded() / 1e6, networkS: (r.networkS * 1e6).rounded() / 1e6,
                capacityPerS: (r.capacityPerS * 1e6).rounded() / 1e6)
        }.sorted()
        if let known = cache[w]?[key] { return known }
        simulations += 1
        let times = Array(arrivals.sample(w.arrivals).times.prefix(Self.sampleSize))
        let replicas = key.map { ReplicaState(replica: $0, steps: tables[$0.steps]) }
        let (input, output) = tokens(w, count: times.count)
        var judge = Judge(
            workload: w, arrivals: times, input: input, output: output, firstToken: [Double](repeating: .nan, count: times.count))
        // A replica changes only at its next event (a step to take, a sequence's end): until
        // then its load is known without stepping it, and a long decode run is not cut at every
        // arrival the replica does not take.
        var nextEvent = [Double](repeating: .infinity, count: replicas.count)
        // The dispatcher's estimate of each: the network, and the requests it holds for its capacity.
        var estimate = replicas.map { $0.replica.networkS }
        for n in 0..<times.count {
            let t = times[n]
            for r in 0..<nextEvent.count where nextEvent[r] <= t {
                let replica = replicas[r]
                replica.advance(until: t, judge: &judge)
                nextEvent[r] = replica.nextEvent
                estimate[r] = replica.dispatchEstimate
            }
            var chosen = 0, best = Double.infinity
            for r in 0..<estimate.count where estimate[r] < best {
                best = estimate[r]
                chosen = r
            }
            let replica = replicas[chosen]
            replica.advance(until: t, judge: &judge)
            replica.enqueue(n, at: t)
            nextEvent[chosen] = replica.nextEvent
            estimate[chosen] = replica.dispatchEstimate
        }
        for r in replicas.indices { replicas[r].advance(until: .infinity, judge: &judge) }
        let result = Double(judge.good) / Double(times.count)
        cache[w, default: [:]][key] = result
        return result
    }

    /// Prompt and answer lengths of the sample's requests: exponential around the service's
    /// means, as `serve` generates them (a long prompt takes several chunks, a short answer's TPOT
    /// is a step or two).
    func tokens(_ w: Workload, count: Int) -> (input: [Int], output: [Int]) {
        if let known = lengths[w] { return known }
        var random = SeededRandom(seed: w.arrivals.seed).derived(2)
        var input: [Int] = [], output: [Int] = []
        for _ in 0..<count {
            input.append(max(1, Int(random.exponential(mean: Double(max(w.inputTokens, 1))).rounded())))
            output.append(max(1, Int(random.exponential(mean: Double(max(w.outputTokens, 1))).rounded())))
        }
        lengths[w] = (input, output)
        return (input, output)
    }

    /// What makes a request good, and the count of good ones.
    struct Judge {
        let workload: Workload
        let arrivals: [Double]
        let input: [Int]
        let output: [Int]
        /// When each request's first token came.
        var firstToken: [Double]
        var good = 0

        var deadlineS: Double { workload.arrivals.deadlineS }

        mutating func finished(_ n: Int, end: Double, networkS: Double) {
            let first = firstToken[n]
            guard first + networkS - arrivals[n] <= deadlineS + 1e-12 else { return }
            if let tpot = workload.tpotS, output[n] > 1, (end - first) / Double(output[n] - 1) > tpot + 1e-12 {
                return
            }
            good += 1
        }
    }

    /// One replica stepping through its requests (a class: the loop reads it far more often than
    /// it would be worth copying). Written for speed in debug builds too, where the test suite
    /// plans thousands of times: flat arrays of integers, a hand-made heap.
    final class ReplicaState {
        let replica: LLMReplica
        let steps: LLMStepTimes
        @exclusivity(unchecked) var clock = 0.0
        @exclusivity(unchecked) var step = 0
        /// Waiting requests, first `head` gone.
        @exclusivity(unchecked) var queue: [Int] = []
        @exclusivity(unchecked) var head = 0
        /// Admitted prompts: request, tokens left, tokens in the step being formed.
        @exclusivity(unchecked) var prefillingRequest: [Int] = []
        @exclusivity(unchecked) var prefillingLeft: [Int] = []
        @exclusivity(unchecked) var prefillingScheduled: [Int] = []
        /// Running sequences, a binary min-heap of their finish step and request packed in one
        /// integer (`finishStep << requestBits | request`).
        @exclusivity(unchecked) var running: [Int] = []
        static let requestBits = 24

        init(replica: LLMReplica, steps: LLMStepTimes) {
            self.replica = replica
            self.steps = steps
        }

        var load: Int { queue.count - head + prefillingRequest.count + running.count }

        var dispatchEstimate: Double { replica.networkS + Double(load) / max(replica.capacityPerS, 1e-9) }

        /// When the replica next changes by itself: now while prompts wait or run, else when its
        /// decode run reaches the next sequence's end; never when idle.
        var nextEvent: Double {
            if head < queue.count || !prefillingRequest.isEmpty { return clock }
            guard !running.isEmpty else { return .infinity }
            return clock + Double((running[0] >> Self.requestBits) - step) * steps.step(promptTokens: 0, decodes: running.count)
                * replica.slowdown
        }

        func enqueue(_ n: Int, at t: Double) {
            if load == 0 { clock = max(clock, t) }
            queue.append(n)
        }

        func push(finishStep: Int, request: Int) {
            var i = running.count
            running.append(finishStep << Self.requestBits | request)
            while i > 0 {
                let parent = (i - 1) / 2
                guard running[parent] > running[i] else { break }
                running.swapAt(parent, i)
                i = parent
            }
        }

        /// Removes the sequence that finishes first; returns its request.
        func popMin() -> Int {
            let top = running[0]
            let last = running.removeLast()
            if !running.isEmpty {
                running[0] = last
                var i = 0
                let n = running.count
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var smallest = i
                    if l < n, running[l] < running[smallest] { smallest = l }
                    if r < n, running[r] < running[smallest] { smallest = r }
                    if smallest == i { break }
                    running.swapAt(i, smallest)
                    i = smallest
                }
            }
            return top & ((1 << Self.requestBits) - 1)
        }

        /// Runs the steps that start before `t`.
        func advance(until t: Double, judge: inout Judge) {
            while clock < t {
                let decodes = running.count
                var left = max(steps.budget - decodes, 0)
                var promptTokens = 0
                for k in 0..<prefillingLeft.count {
                    let take = min(prefillingLeft[k], left)
                    prefillingScheduled[k] = take
                    left -= take
                    promptTokens += take
                }
                while left > 0, running.count + prefillingRequest.count < steps.batch, head < queue.count {
                    let next = queue[head]
                    head += 1
                    let prompt = judge.input[next]
                    let alone = steps.step(promptTokens: prompt, decodes: decodes) * replica.slowdown
                    if clock + alone + replica.networkS > judge.arrivals[next] + judge.deadlineS { continue }
                    let take = min(prompt, left)
                    prefillingRequest.append(next)
                    prefillingLeft.append(prompt)
                    prefillingScheduled.append(take)
                    left -= take
                    promptTokens += take
                }
                guard decodes > 0 || promptTokens > 0 else { return }
                let duration = steps.step(promptTokens: promptTokens, decodes: decodes) * replica.slowdown
                if promptTokens == 0 {
                    // A run of decode steps, up to the next sequence's end or the step under way at `t`.
                    let untilEnd = (running[0] >> Self.requestBits) - step
                    let untilT = t.isFinite ? Int(((t - clock) / duration).rounded(.up)) : untilEnd
                    let k = max(1, min(untilEnd, untilT))
                    clock += Double(k) * duration
                    step += k
                } else {
                    clock += duration
                    if decodes > 0 { step += 1 }
                }
                while !running.isEmpty, running[0] >> Self.requestBits <= step {
                    judge.finished(popMin(), end: clock, networkS: replica.networkS)
                }
                var k = 0
                while k < prefillingLeft.count {
                    prefillingLeft[k] -= prefillingScheduled[k]
                    prefillingScheduled[k] = 0
                    guard prefillingLeft[k] == 0 else {
                        k += 1
                        continue
                    }
                    let request = prefillingRequest.remove(at: k)
                    prefillingLeft.remove(at: k)
                    prefillingScheduled.remove(at: k)
                    judge.firstToken[request] = clock
                    if judge.output[request] <= 1 {
                        judge.finished(request, end: clock, networkS: replica.networkS)
                    } else {
                        push(finishStep: step + judge.output[request] - 1, request: request)
                    }
                }
            }
        }
    }
}
