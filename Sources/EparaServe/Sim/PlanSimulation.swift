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
    /// Simulated seconds per seed; nil: as long as fits `requestsPerSeed` at the plan's demand,
    /// between `minimumHorizonS` and `maximumHorizonS` (a large fleet is simulated for less time, a light bursty workload for longer: its bursts are rare).
    public var horizonS: Double?
    public var requestsPerSeed: Double
    public var minimumHorizonS: Double
    public var maximumHorizonS: Double
    /// The request handler's settings (nil: serve's defaults, with the plan's policy's dispatch).
    public var core: CoreConfig?

    public init(
        traces: [TraceFile] = [], seeds: [UInt64] = [1001, 1002], horizonS: Double? = nil, requestsPerSeed: Double = 60_000,
        minimumHorizonS: Double = 15, maximumHorizonS: Double = 600, core: CoreConfig? = nil
    ) {
        self.traces = traces
        self.seeds = seeds
        self.horizonS = horizonS
        self.requestsPerSeed = requestsPerSeed
        self.minimumHorizonS = minimumHorizonS
        self.maximumHorizonS = maximumHorizonS
        self.core = core
    }

    /// Seconds simulated for a plan of this demand (requests a second).
    public func horizon(demandPerS: Double) -> Double {
        if let horizonS { return horizonS }
        return min(maximumHorizonS, max(minimumHorizonS, requestsPerSeed / max(demandPerS, 1e-9)))
    }

    public func measure(_ plan: Plan) throws -> PlanMeasurement {
        let horizonS = horizon(demandPerS: plan.predicted.demandPerS)
        let runs = SeedRuns(count: seeds.count)
        DispatchQueue.concurrentPerform(iterations: seeds.count) { k in
            runs.set(k, Result { try run(plan, seed: seeds[k], horizonS: horizonS) })
        }
        return PlanMeasurement(
            horizonS: horizonS, seeds: seeds, bySeed: try runs.values(),
            arrivals: traces.isEmpty ? "generated" : traces.map { ($0.service.map { "\($0)=" } ?? "") + $0.path }.joined(separator: ", "))
    }

    func run(_ plan: Plan, seed: UInt64, horizonS: Double) throws -> PlanMeasurement.Seed {
        let trace = try TraceBuilder.build(TraceOptions(files: traces, durationS: horizonS, seed: seed), deployment: Deployment(plan: plan))
        var options = SimOptions(replanEveryS: 0, windowS: horizonS, seed: seed)
        if let core {
            options.core = core
        } else {
            options.core.dispatch = DispatchMode.default(forPolicy: plan.policy)
        }
        let run = try SimEngine(plan: plan, trace: trace, options: options).run()
        var arrivals: [String: Int] = [:], inSLO: [String: Int] = [:]
        for service in run.services {
            arrivals[service.name] = service.counts.arrivals
            inSLO[service.name] = service.counts.completedInSlo
        }
        return PlanMeasurement.Seed(arrivals: arrivals, inSLO: inSLO)
    }
}

/// Results of seeds run side by side, collected by index.
final class SeedRuns: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<PlanMeasurement.Seed, any Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ k: Int, _ result: Result<PlanMeasurement.Seed, any Error>) {
        lock.lock()
        results[k] = result
        lock.unlock()
    }

    func values() throws -> [PlanMeasurement.Seed] {
        lock.lock()
        defer { lock.unlock() }
        return try results.map { try $0!.get() }
    }
}
