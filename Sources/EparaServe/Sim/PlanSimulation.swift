import EparaCore
import EparaPlan
import Foundation

/// The planner's judge (`PlanSimulator`): a plan served in the embedded simulator on the
/// demand it was made for — the trace files given, else arrivals generated from each service's
/// rate and CV — once per seed, the seeds run side by side. Every plan of one workload meets the
/// same requests (the arrivals depend on the seed and the services only), so two plans are
/// compared on equal terms and the search is deterministic.
public struct PlanSimulation: PlanSimulator {
    public var traces: [TraceFile]
    public var seeds: [UInt64]
    /// Simulated seconds per seed: as long as fits `requestsPerSeed` at the plan's demand,
    /// between `minimumHorizonS` and `maximumHorizonS` (a large fleet is simulated for less
    /// time, a light bursty workload for longer: its bursts are rare).
    public var requestsPerSeed: Double
    public var minimumHorizonS: Double
    public var maximumHorizonS: Double

    public init(
        traces: [TraceFile] = [], seeds: [UInt64] = [1001, 1002], requestsPerSeed: Double = 60_000, minimumHorizonS: Double = 15,
        maximumHorizonS: Double = 600
    ) {
        self.traces = traces
        self.seeds = seeds
        self.requestsPerSeed = requestsPerSeed
        self.minimumHorizonS = minimumHorizonS
        self.maximumHorizonS = maximumHorizonS
    }

    /// Seconds simulated for a plan of this demand (requests a second).
    public func horizon(demandPerS: Double) -> Double {
        min(maximumHorizonS, max(minimumHorizonS, requestsPerSeed / max(demandPerS, 1e-9)))
    }

    public func measure(_ plan: Plan) throws -> PlanMeasurement {
        let horizonS = horizon(demandPerS: plan.predicted.demandPerS)
        return PlanMeasurement(
            horizonS: horizonS, seeds: seeds, bySeed: try sideBySide(seeds.count) { k in try run(plan, seed: seeds[k], horizonS: horizonS) },
            arrivals: traces.isEmpty ? "generated" : traces.map { ($0.service.map { "\($0)=" } ?? "") + $0.path }.joined(separator: ", "))
    }

    func run(_ plan: Plan, seed: UInt64, horizonS: Double) throws -> PlanMeasurement.Seed {
        let trace = try TraceBuilder.build(TraceOptions(files: traces, durationS: horizonS, seed: seed), deployment: Deployment(plan: plan))
        var options = SimOptions(replanEveryS: 0, windowS: horizonS, seed: seed)
        options.core.dispatch = plan.servingDispatch
        let run = try SimEngine(plan: plan, trace: trace, options: options).run()
        var arrivals: [String: Int] = [:], inSLO: [String: Int] = [:]
        for service in run.services {
            arrivals[service.name] = service.counts.arrivals
            inSLO[service.name] = service.counts.completedInSlo
        }
        return PlanMeasurement.Seed(arrivals: arrivals, inSLO: inSLO)
    }
}
