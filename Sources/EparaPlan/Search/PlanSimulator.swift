import EparaCore

/// Serves a plan in a simulator on the demand it was made for: the judge of the simulation
/// refinement. EparaServe's `PlanSimulation` is the one epara uses; the planner only sees this.
public protocol PlanSimulator: Sendable {
    /// One run per seed, the same arrivals for every plan of one workload (so two plans are
    /// compared on the same requests).
    func measure(_ plan: Plan) throws -> PlanMeasurement
}

/// What serving a plan measured, per seed and service.
public struct PlanMeasurement: Sendable, Hashable {
    public struct Seed: Sendable, Hashable {
        /// Requests arrived and requests completed within their SLO, by service name.
        public var arrivals: [String: Int]
        public var inSLO: [String: Int]

        public init(arrivals: [String: Int], inSLO: [String: Int]) {
            self.arrivals = arrivals
            self.inSLO = inSLO
        }

        /// Requests within their SLO, every service's.
        public var served: Int { inSLO.values.reduce(0, +) }

        public var attainment: Double {
            let arrived = arrivals.values.reduce(0, +)
            return arrived > 0 ? Double(served) / Double(arrived) : 1
        }
    }

    public var horizonS: Double
    public var seeds: [UInt64]
    public var bySeed: [Seed]
    /// `generated`, or the trace files replayed.
    public var arrivals: String

    public init(horizonS: Double, seeds: [UInt64], bySeed: [Seed], arrivals: String) {
        self.horizonS = horizonS
        self.seeds = seeds
        self.bySeed = bySeed
        self.arrivals = arrivals
    }

    /// Requests within SLO a second, over the seeds.
    public var goodputPerS: Double {
        Double(bySeed.reduce(0) { $0 + $1.served }) / max(horizonS * Double(max(bySeed.count, 1)), 1e-9)
    }

    /// One service's requests within SLO over those arrived, over the seeds (nil: none arrived).
    public func attainment(of service: String) -> Double? {
        let arrived = bySeed.reduce(0) { $0 + ($1.arrivals[service] ?? 0) }
        guard arrived > 0 else { return nil }
        return Double(bySeed.reduce(0) { $0 + ($1.inSLO[service] ?? 0) }) / Double(arrived)
    }

    /// Requests lost (late, dropped or failed) by one service, over the seeds.
    public func lost(by service: String) -> Int {
        bySeed.reduce(0) { $0 + ($1.arrivals[service] ?? 0) - ($1.inSLO[service] ?? 0) }
    }

    public var prediction: SimulatedPrediction {
        SimulatedPrediction(
            horizonS: horizonS.rounded(places: 4), seeds: seeds, attainmentBySeed: bySeed.map { $0.attainment.rounded(places: 4) },
            goodputPerSBySeed: bySeed.map { (Double($0.served) / max(horizonS, 1e-9)).rounded(places: 4) },
            arrivals: arrivals)
    }
}

/// How much the simulation refinement may simulate: plans (deterministic for a seed), and
/// optionally wall time (stops sooner on a slower machine).
public struct SearchBudget: Sendable, Hashable {
    public var evaluations: Int
    public var seconds: Double?

    public init(evaluations: Int, seconds: Double? = nil) {
        self.evaluations = evaluations
        self.seconds = seconds
    }

    /// None: the plan is the searches' own, unsimulated.
    public static let none = SearchBudget(evaluations: 0)
    /// `plan`'s default: the portfolio and about twenty moves.
    public static let standard = SearchBudget(evaluations: 24)

    /// `24` (plans simulated), `20s` or `2m` (wall time, with no limit on plans), `24,20s` (both).
    public init?(argument: String) {
        var evaluations: Int? = nil
        var seconds: Double? = nil
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let text = String(part)
            if let n = Int(text), n >= 0, evaluations == nil {
                evaluations = n
            } else if let s = Self.seconds(text), seconds == nil {
                seconds = s
            } else {
                return nil
            }
        }
        guard evaluations != nil || seconds != nil else { return nil }
        self.init(evaluations: evaluations ?? Int.max, seconds: seconds)
    }

    static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value.isFinite, value > 0 else { return nil }
            return value * scale
        }
        return nil
    }
}
