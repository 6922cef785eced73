import EparaCore

// What a plan says about itself: its prediction, how the solver and the search got there,
// what it could not place, what changed from the last plan, the state it was planned from.

public struct Prediction: Codable, Hashable, Sendable {
    public var goodputPerS: Double
    public var demandPerS: Double
    public var attainment: Double
    public var upperBoundGoodputPerS: Double
    public var fractionOfUpperBound: Double
    /// What serving the plan in the simulator measured, when the planner simulated it (the
    /// search in the loop); goodput and attainment above are then its means over the seeds.
    public var simulated: SimulatedPrediction?

    public init(
        goodputPerS: Double, demandPerS: Double, attainment: Double, upperBoundGoodputPerS: Double, fractionOfUpperBound: Double,
        simulated: SimulatedPrediction? = nil
    ) {
        self.goodputPerS = goodputPerS
        self.demandPerS = demandPerS
        self.attainment = attainment
        self.upperBoundGoodputPerS = upperBoundGoodputPerS
        self.fractionOfUpperBound = fractionOfUpperBound
        self.simulated = simulated
    }
}

/// The plan served in the embedded simulator on the demand it was made for, once per seed.
public struct SimulatedPrediction: Codable, Hashable, Sendable {
    /// Simulated seconds per seed.
    public var horizonS: Double
    public var seeds: [UInt64]
    /// Requests within their SLO over requests arrived, per seed.
    public var attainmentBySeed: [Double]
    public var goodputPerSBySeed: [Double]
    /// `generated` (each service's rate and CV) or the trace files' names.
    public var arrivals: String

    public init(horizonS: Double, seeds: [UInt64], attainmentBySeed: [Double], goodputPerSBySeed: [Double], arrivals: String) {
        self.horizonS = horizonS
        self.seeds = seeds
        self.attainmentBySeed = attainmentBySeed
        self.goodputPerSBySeed = goodputPerSBySeed
        self.arrivals = arrivals
    }
}

public struct SolverStats: Codable, Hashable, Sendable {
    public var policy: String
    public var candidates: Int
    public var objectiveEvaluations: Int
    public var lazy: Bool
    public var objective: Double
    public var stages: [StageStats]
    /// Wall time, only with --timing (it would make plans differ run to run).
    public var timeMs: Double?
    /// Parts of EPARA turned off (ablations), when any.
    public var without: [String]?
    /// What the simulation-in-the-loop search did, when it ran.
    public var search: SearchSummary?

    public struct StageStats: Codable, Hashable, Sendable {
        public var name: String
        public var placed: Int
        public var objective: Double

        public init(name: String, placed: Int, objective: Double) {
            self.name = name
            self.placed = placed
            self.objective = objective
        }
    }

    public init(
        policy: String, candidates: Int, objectiveEvaluations: Int, lazy: Bool, objective: Double, stages: [StageStats],
        timeMs: Double? = nil, without: [String]? = nil, search: SearchSummary? = nil
    ) {
        self.search = search
        self.policy = policy
        self.candidates = candidates
        self.objectiveEvaluations = objectiveEvaluations
        self.lazy = lazy
        self.objective = objective
        self.stages = stages
        self.timeMs = timeMs
        self.without = without
    }
}

/// The local search that serves candidate plans in the simulator and keeps what serves more.
public struct SearchSummary: Codable, Hashable, Sendable {
    /// Plans simulated, the portfolio's included (the portfolio is always simulated, whatever
    /// the budget: at most five plans).
    public var evaluations: Int
    /// The most it was allowed (`--search-budget`; 0: no limit on plans, only on time), and the
    /// wall-time limit when one was given.
    public var budgetEvaluations: Int
    public var budgetS: Double?
    /// Where the search started: the best of the portfolio on the simulation.
    public var start: String
    /// Each plan of the portfolio with its simulated goodput within SLO (requests a second).
    public var portfolio: [PortfolioEntry]
    /// Moves kept, in order (`add chat@n1/gpu0`, `batch 8 chat@n1/gpu0`, …).
    public var kept: [String]
    /// Simulated goodput within SLO of the start and of the result, requests a second.
    public var startGoodputPerS: Double
    public var goodputPerS: Double

    public struct PortfolioEntry: Codable, Hashable, Sendable {
        public var name: String
        public var goodputPerS: Double

        public init(name: String, goodputPerS: Double) {
            self.name = name
            self.goodputPerS = goodputPerS
        }
    }

    public init(
        evaluations: Int, budgetEvaluations: Int, budgetS: Double?, start: String, portfolio: [PortfolioEntry], kept: [String],
        startGoodputPerS: Double, goodputPerS: Double
    ) {
        self.evaluations = evaluations
        self.budgetEvaluations = budgetEvaluations
        self.budgetS = budgetS
        self.start = start
        self.portfolio = portfolio
        self.kept = kept
        self.startGoodputPerS = startGoodputPerS
        self.goodputPerS = goodputPerS
    }
}

public struct Move: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable { case add, remove }
    public var kind: Kind
    public var service: String
    public var instance: String

    public init(kind: Kind, service: String, instance: String) {
        self.kind = kind
        self.service = service
        self.instance = instance
    }
}

public struct Shortfall: Codable, Hashable, Sendable {
    public var service: String
    public var demandPerS: Double
    public var supplyPerS: Double
    public var reason: String

    public init(service: String, demandPerS: Double, supplyPerS: Double, reason: String) {
        self.service = service
        self.demandPerS = demandPerS
        self.supplyPerS = supplyPerS
        self.reason = reason
    }
}

public struct StateSummary: Codable, Hashable, Sendable {
    public var runId: String?
    public var windowsRead: Int
    public var nodesDown: [String]
    public var observedDemandPerS: [String: Double]
    /// Burstiness the store recorded per service (coefficient of variation of arrival gaps).
    public var observedCv: [String: Double]? = nil
    /// Where the observation came from besides state stores (`prometheus URL over WINDOW`).
    public var source: String? = nil

    public init(
        runId: String? = nil, windowsRead: Int, nodesDown: [String], observedDemandPerS: [String: Double],
        observedCv: [String: Double]? = nil, source: String? = nil
    ) {
        self.source = source
        self.runId = runId
        self.windowsRead = windowsRead
        self.nodesDown = nodesDown
        self.observedDemandPerS = observedDemandPerS
        self.observedCv = observedCv
    }
}

/// The options a plan was made with, so that replanning from it (in-run, or `plan --previous`)
/// plans the same way instead of with the defaults.
