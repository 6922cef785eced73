import EparaClassify
import EparaCore
import EparaPlan
import EparaServe
import Foundation

/// How one load level is measured: planned for its own demand (a policy is told the load it
/// must serve, as an operator would), then simulated with each seed, the warm-up trimmed.
public struct LoadEvaluation: Sendable {
    public var workload: ClassifiedWorkload
    public var policy: Policy
    public var planOptions: PlanOptions
    /// Trace files replayed (sped up with the load); services they do not feed are generated.
    public var traces: [TraceFile]
    public var durationS: Double
    public var warmupS: Double
    public var seeds: [UInt64]
    /// In-run replanning period (0: the plan made for the load holds the whole run).
    public var replanEveryS: Double
    /// The request handler's settings (nil: serve's defaults, with the policy's own dispatch).
    public var core: CoreConfig?
    /// How LLM instances schedule their iterations when `core` is nil (chunked prefill, the
    /// default; prefill-first for the evaluation's comparison).
    public var llmScheduler: LLMScheduler = .chunked
    /// Faults injected into every run (none by default).
    public var faults: FaultPlan = .none
    /// The arrivals of a run, when the caller builds them (the evaluation's phased replays)
    /// instead of `traces`: given the plan, the load scale and the seed.
    public var traffic: (@Sendable (_ plan: Plan, _ scale: Double, _ seed: UInt64) throws -> TraceSet)?

    public init(
        workload: ClassifiedWorkload, policy: Policy, planOptions: PlanOptions? = nil, traces: [TraceFile] = [],
        durationS: Double = 120, warmupS: Double = 20, seeds: [UInt64] = [1, 2, 3], replanEveryS: Double = 0
    ) {
        self.workload = workload
        self.policy = policy
        var options = planOptions ?? PlanOptions(policy: policy)
        options.policy = policy
        options.allowPartial = true
        // Each load's EPARA plan is checked in the simulator too, on its own seeds (not the
        // measurement's) and with a smaller budget than `plan`'s, so a study stays about as fast.
        if options.simulator == nil {
            options.simulator = Self.simulation
            options.searchBudget = Self.searchBudget
        }
        self.planOptions = options
        self.traces = traces
        self.durationS = durationS
        self.warmupS = warmupS
        self.seeds = seeds
        self.replanEveryS = replanEveryS
    }

    /// The simulation refinement's budget for each load's plan.
    public static let searchBudget = SearchBudget(evaluations: 12)
    /// The simulation each load's plan is checked in: generated arrivals, two seeds of their own.
    public static let simulation = PlanSimulation(requestsPerSeed: 30_000)

    /// Window length: the warm-up is a whole number of windows.
    var windowS: Double {
        let target = min(10, durationS / 12)
        guard warmupS > 0 else { return target }
        return warmupS / max(1, (warmupS / target).rounded())
    }

    /// Plans the workload at `scale` × its demand and measures it with every seed (two at a time).
    public func measure(scale: Double) throws -> LoadPoint {
        let plan = try Planner.plan(LoadScale.scaled(workload, by: scale), options: planOptions)
        let measured = try sideBySide(seeds.count) { k in try simulate(plan, scale: scale, seed: seeds[k]) }
        var services: [String: Double] = [:]
        for name in plan.services.map(\.name) {
            let values = measured.compactMap { $0.services[name] }
            if !values.isEmpty { services[name] = values.reduce(0, +) / Double(values.count) }
        }
        return LoadPoint(
            scale: scale, attainmentBySeed: measured.map(\.attainment), goodputBySeed: measured.map(\.goodputPerS),
            services: services)
    }

    struct Measured {
        var attainment: Double
        var goodputPerS: Double
        var services: [String: Double]
    }

    func simulate(_ plan: Plan, scale: Double, seed: UInt64) throws -> Measured {
        let trace: TraceSet
        if let traffic {
            trace = try traffic(plan, scale, seed)
        } else {
            var traceOptions = TraceOptions(files: traces, durationS: durationS, seed: seed)
            traceOptions.traceSpeedup = scale
            trace = try TraceBuilder.build(traceOptions, deployment: Deployment(plan: plan))
        }
        var options = SimOptions(replanEveryS: replanEveryS, windowS: windowS, faults: faults, seed: seed)
        if let core {
            options.core = core
        } else {
            options.core.dispatch = plan.servingDispatch
            options.core.llmScheduler = llmScheduler
        }
        let run = try SimEngine(plan: plan, trace: trace, options: options).run()
        return Self.trimmed(run, warmupS: warmupS, durationS: durationS)
    }

    /// Attainment and goodput over the windows after the warm-up.
    static func trimmed(_ run: Run, warmupS: Double, durationS: Double) -> Measured {
        var arrivals = 0, inSLO = 0
        var perService: [String: (arrivals: Int, inSLO: Int)] = [:]
        for window in run.windows where window.startS >= warmupS - 1e-9 && window.startS < durationS - 1e-9 {
            arrivals += window.counts.arrivals
            inSLO += window.counts.completedInSlo
            for (name, counts) in window.services {
                perService[name, default: (0, 0)].arrivals += counts.arrivals
                perService[name, default: (0, 0)].inSLO += counts.completedInSlo
            }
        }
        let measuredS = max(durationS - warmupS, 1e-9)
        return Measured(
            attainment: arrivals > 0 ? Double(inSLO) / Double(arrivals) : 1, goodputPerS: Double(inSLO) / measuredS,
            services: perService.filter { $0.value.arrivals > 0 }.mapValues { Double($0.inSLO) / Double($0.arrivals) })
    }
}
