/// What one load level measured: SLO attainment (and goodput) per seed, and per service.
public struct LoadPoint: Codable, Hashable, Sendable {
    /// Multiple of the workload's demand.
    public var scale: Double
    /// Mean over seeds of the fraction of requests (and frames) answered within their SLO.
    public var attainment: Double
    public var attainmentBySeed: [Double]
    public var goodputPerS: Double
    public var goodputBySeed: [Double]
    /// Mean attainment per service, by name.
    public var services: [String: Double]

    public init(scale: Double, attainmentBySeed: [Double], goodputBySeed: [Double], services: [String: Double]) {
        self.scale = scale
        self.attainmentBySeed = attainmentBySeed
        self.goodputBySeed = goodputBySeed
        attainment = attainmentBySeed.isEmpty ? 0 : attainmentBySeed.reduce(0, +) / Double(attainmentBySeed.count)
        goodputPerS = goodputBySeed.isEmpty ? 0 : goodputBySeed.reduce(0, +) / Double(goodputBySeed.count)
        self.services = services
    }
}

/// The highest load meeting one attainment target, with how well it is pinned down.
public struct TargetCapacity: Codable, Hashable, Sendable {
    public var target: Double
    /// The highest load scale measured to meet the target (0: not even the lowest tried).
    public var scale: Double
    /// The lowest load scale measured to miss it (nil: none up to the search's ceiling).
    public var missedAt: Double?
    /// The same search's answer per seed, from the loads it measured.
    public var scaleBySeed: [Double]
    /// The service whose attainment falls most from `scale` to `missedAt`: what breaks first.
    public var breaksFirst: String?
    public var breaksFirstAttainment: Double?
    /// Goodput at `scale`.
    public var goodputPerS: Double
    /// The highest load above `missedAt` measured to meet the target after all: attainment
    /// was not monotone in load (a plan for more demand can serve it better), so `scale` is
    /// the first crossing, not the last.
    public var metAbove: Double?

    /// Whether the search bracketed its answer: a load that met the target and one that missed.
    public var bracketed: Bool { scale > 0 && missedAt != nil }
}

public struct CapacitySearchOptions: Sendable {
    public var targets: [Double]
    /// First load tried.
    public var start: Double
    /// Bisection stops when the missed load is within this fraction above the met one.
    public var tolerance: Double
    public var maxScale: Double
    public var minScale: Double

    public init(
        targets: [Double] = [0.99, 0.9], start: Double = 1, tolerance: Double = 0.03, maxScale: Double = 64,
        minScale: Double = 1.0 / 64
    ) {
        self.targets = targets
        self.start = start
        self.tolerance = tolerance
        self.maxScale = maxScale
        self.minScale = minScale
    }
}

/// Capacity at an SLO-attainment target, the way serving papers report it (DistServe at 90%,
/// AlpaServe and Nexus at 99%): the highest load at which attainment stays at or above the
/// target. Doubling (or halving) from `start` brackets it, then bisection on a log scale
/// narrows it to `tolerance`. Each load is measured once and shared by every target.
public struct CapacitySearch {
    public let options: CapacitySearchOptions
    var points: [Double: LoadPoint] = [:]

    public init(options: CapacitySearchOptions) { self.options = options }

    /// Every load measured so far, by scale.
    public var measured: [LoadPoint] { points.values.sorted { $0.scale < $1.scale } }

    mutating func point(_ scale: Double, _ evaluate: (Double) throws -> LoadPoint) rethrows -> LoadPoint {
        // Scales are compared after rounding so that bisection reuses what doubling measured.
        let key = (scale * 1e6).rounded() / 1e6
        if let known = points[key] { return known }
        let measured = try evaluate(key)
        points[key] = measured
        return measured
    }

    public mutating func run(_ evaluate: (Double) throws -> LoadPoint) rethrows -> [TargetCapacity] {
        var results: [TargetCapacity] = []
        for target in options.targets.sorted(by: >) {
            results.append(try capacity(at: target, evaluate))
        }
        // Only once every target's loads are in can a load above a crossing be seen to meet it.
        for k in results.indices {
            guard let missed = results[k].missedAt else { continue }
            results[k].metAbove = measured.filter { $0.scale > missed && $0.attainment >= results[k].target - 1e-12 }.map(\.scale).max()
        }
        return options.targets.map { t in results.first { $0.target == t }! }
    }

    mutating func capacity(at target: Double, _ evaluate: (Double) throws -> LoadPoint) rethrows -> TargetCapacity {
        func meets(_ p: LoadPoint) -> Bool { p.attainment >= target - 1e-12 }
        // Start from what is known: the highest load that met it below the lowest that missed.
        let known = measured
        let firstMiss = known.first { !meets($0) }?.scale
        let bestMet = known.filter { meets($0) && (firstMiss == nil || $0.scale < firstMiss!) }.last?.scale
        var low: Double? = bestMet
        var high: Double? = firstMiss
        if low == nil && high == nil {
            let p = try point(options.start, evaluate)
            if meets(p) { low = p.scale } else { high = p.scale }
        }
        while high == nil, let l = low, l < options.maxScale {
            let p = try point(min(l * 2, options.maxScale), evaluate)
            if meets(p) { low = p.scale } else { high = p.scale }
        }
        while low == nil, let h = high, h > options.minScale {
            let p = try point(max(h / 2, options.minScale), evaluate)
            if meets(p) { low = p.scale } else { high = p.scale }
        }
        if let l = low, let h = high {
            var (lo, hi) = (l, h)
            while hi / lo > 1 + options.tolerance {
                let p = try point((lo * hi).squareRoot(), evaluate)
                if meets(p) { lo = p.scale } else { hi = p.scale }
            }
            low = lo
            high = hi
        }
        let scale = low ?? 0
        // What breaks: the service whose attainment falls most from the capacity to the load that
        // missed (a service no load serves does not fall); with nothing met, the lowest there.
        let missed = high.flatMap { points[$0] }
        let met = low.flatMap { points[$0] }
        let worst: (key: String, value: Double)?
        if let met, let missed {
            worst = missed.services.max { a, b in
                ((met.services[a.key] ?? a.value) - a.value, b.key) < ((met.services[b.key] ?? b.value) - b.value, a.key)
            }
        } else {
            worst = missed?.services.min { ($0.value, $0.key) < ($1.value, $1.key) }
        }
        return TargetCapacity(
            target: target, scale: scale, missedAt: high, scaleBySeed: perSeed(target),
            breaksFirst: worst?.key, breaksFirstAttainment: worst?.value,
            goodputPerS: low.flatMap { points[$0]?.goodputPerS } ?? 0)
    }

    /// Each seed's capacity from the loads measured: the highest one it met below the first it missed.
    func perSeed(_ target: Double) -> [Double] {
        let known = measured
        let seeds = known.first?.attainmentBySeed.count ?? 0
        return (0..<seeds).map { k in
            var best = 0.0
            for p in known {
                if p.attainmentBySeed[k] >= target - 1e-12 { best = p.scale } else { break }
            }
            return best
        }
    }
}
