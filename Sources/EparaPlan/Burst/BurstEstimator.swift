import EparaCore

/// A replica of a service as bursts see it: once it starts a request, the answer comes
/// `latencyS` later, and it can start the next one `periodS` after the last (a pipeline's
/// slowest stage; one device: its latency; a batch of b: its time ÷ b).
struct BurstReplica: Hashable, Comparable {
    var latencyS: Double
    var periodS: Double

    static func < (a: BurstReplica, b: BurstReplica) -> Bool { (a.latencyS, a.periodS) < (b.latencyS, b.periodS) }

    /// On a device that other services keep busy `utilization` of the time, a request waits on
    /// average for half a period of theirs, and the replica's own starts are spread out by it.
    func sharing(utilization: Double) -> BurstReplica {
        let u = min(max(utilization, 0), 0.95)
        return BurstReplica(latencyS: latencyS + u * periodS / 2, periodS: periodS / (1 - u))
    }
}

/// Expected SLO attainment of a service's requests under its arrival process, on a pool of
/// replicas: a short simulation, inside the planner, of what `serve` does with a burst — each
/// request goes to the replica that would answer first and is dropped when even that one would
/// miss the deadline. Arrivals are Gamma-renewal with the service's rate and CV, drawn once per
/// service from a fixed seed (common random numbers: two pools are compared on the same
/// requests, so a better pool never looks worse by chance). Results are cached by pool.
///
/// This is AlpaServe's method (its placement simulates the workload), cut down to one service
/// at a time: other services on a replica's device appear as the utilization they take.
final class BurstEstimator {
    struct Workload: Hashable {
        var ratePerS: Double
        var cv: Double
        var deadlineS: Double
        var seed: UInt64
        /// Variability of processing times (0: as the latency model says, every time).
        var serviceCv: Double = 0
    }

    /// Requests simulated per service: enough bursts for a stable estimate at CV 8 (each burst
    /// holds about CV² requests), few enough that an estimate costs tens of microseconds.
    static let sampleSize = 4000

    private var arrivals: [Workload: (times: [Double], work: [Double])] = [:]
    private var cache: [Workload: [[BurstReplica]: Double]] = [:]
    private var poolSimulations = 0
    /// LLM pools: stepped as their servers schedule them, on this estimator's arrivals.
    let llm = LLMBurstEstimator()
    var simulations: Int { poolSimulations + llm.simulations }

    /// Arrival times (seconds) of the service's sample, and each request's processing time as a
    /// multiple of the mean.
    func sample(_ w: Workload) -> (times: [Double], work: [Double]) {
        if let known = arrivals[w] { return known }
        var random = SeededRandom(seed: w.seed)
        var sizes = random.derived(1)
        var times: [Double] = [], work: [Double] = []
        times.reserveCapacity(Self.sampleSize)
        var t = 0.0
        let shape = 1 / (w.cv * w.cv), workShape = w.serviceCv > 0 ? 1 / (w.serviceCv * w.serviceCv) : 0
        for _ in 0..<Self.sampleSize {
            t += w.cv == 1 ? random.exponential(mean: 1 / w.ratePerS) : random.gamma(shape: shape, scale: 1 / (w.ratePerS * shape))
            times.append(t)
            work.append(w.serviceCv > 0 ? sizes.gamma(shape: workShape, scale: 1 / workShape) : 1)
        }
        arrivals[w] = (times, work)
        return (times, work)
    }

    /// Fraction of the service's requests answered within the deadline by `pool`.
    func attainment(_ w: Workload, pool: [BurstReplica]) -> Double {
        guard !pool.isEmpty, w.ratePerS > 0 else { return pool.isEmpty ? 0 : 1 }
        let key = pool.map { BurstReplica(latencyS: ($0.latencyS * 1e6).rounded() / 1e6, periodS: ($0.periodS * 1e6).rounded() / 1e6) }
            .sorted()
        if let known = cache[w]?[key] { return known }
        poolSimulations += 1
        let (times, work) = sample(w)
        var nextStart = [Double](repeating: 0, count: key.count)
        var good = 0
        for (n, t) in times.enumerated() {
            // Dispatch and early drop go by the expected times, as the request handler's do.
            var best = Double.infinity, chosen = -1, start = 0.0
            for r in key.indices {
                let s = max(t, nextStart[r])
                let finish = s + key[r].latencyS
                if finish < best { best = finish; chosen = r; start = s }
            }
            guard best - t <= w.deadlineS + 1e-12 else { continue }
            nextStart[chosen] = start + key[chosen].periodS * work[n]
            if start + key[chosen].latencyS * work[n] - t <= w.deadlineS + 1e-12 { good += 1 }
        }
        let result = Double(good) / Double(times.count)
        cache[w, default: [:]][key] = result
        return result
    }
}
