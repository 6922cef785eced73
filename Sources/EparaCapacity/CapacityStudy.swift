import EparaClassify
import EparaCore
import EparaPlan
import EparaServe

/// One policy's capacity search: every load it measured and the capacity at each target.
public struct PolicyCapacity: Codable, Hashable, Sendable {
    public var policy: Policy
    public var capacities: [TargetCapacity]
    public var points: [LoadPoint]
}

/// Every policy at one fixed overload: k× the best baseline's capacity at a target.
public struct Overload: Codable, Hashable, Sendable {
    public struct Outcome: Codable, Hashable, Sendable {
        public var policy: Policy
        public var goodputPerS: Double
        public var attainment: Double
    }
    /// The target whose capacity the overload multiplies.
    public var target: Double
    /// Multiple of the best baseline's capacity at `target`.
    public var factor: Double
    /// The load scale that is.
    public var scale: Double
    public var outcomes: [Outcome]
}

/// The settings every figure is printed with: what was measured, how.
public struct CapacitySettings: Codable, Hashable, Sendable {
    public var targets: [Double]
    public var durationS: Double
    public var warmupS: Double
    public var seeds: [UInt64]
    public var tolerance: Double
    public var replanEveryS: Double
    /// Trace files replayed (`SERVICE=FILE` as given); the other services' arrivals are generated.
    public var traces: [String]
    /// Each service's SLO as the Services declare it, and its demand at 1×.
    public var services: [ServiceLine]

    public struct ServiceLine: Codable, Hashable, Sendable {
        public var name: String
        public var slo: String
        public var demandAt1x: String
    }
}

/// `epara capacity`'s document: "how much more load can my fleet take at 99% SLO attainment,
/// and which service breaks first?", per policy.
public struct CapacityReport: Codable, Hashable, Sendable {
    public var apiVersion = DocumentReader.apiVersion
    public var kind = "Capacity"
    public var workloadDigest: String
    public var settings: CapacitySettings
    public var policies: [PolicyCapacity]
    public var overloads: [Overload]
}

public enum CapacityStudy {
    public struct Options: Sendable {
        public var policies: [Policy]
        public var search: CapacitySearchOptions
        public var traces: [TraceFile]
        public var durationS: Double
        public var warmupS: Double
        public var seeds: [UInt64]
        public var replanEveryS: Double
        public var planOptions: PlanOptions
        /// Multiples of the best baseline's capacity at which every policy's goodput is measured.
        public var overloadFactors: [Double]
        /// How the simulated LLM instances schedule their iterations.
        public var llmScheduler: LLMScheduler = .chunked
        /// Arrivals built by the caller instead of `traces` (see `LoadEvaluation.traffic`).
        public var traffic: (@Sendable (_ plan: Plan, _ scale: Double, _ seed: UInt64) throws -> TraceSet)?

        public init(
            policies: [Policy] = Policy.allCases, search: CapacitySearchOptions = CapacitySearchOptions(), traces: [TraceFile] = [],
            durationS: Double = 120, warmupS: Double = 20, seeds: [UInt64] = [1, 2, 3], replanEveryS: Double = 0,
            planOptions: PlanOptions = PlanOptions(), overloadFactors: [Double] = [1.5, 2]
        ) {
            self.policies = policies
            self.search = search
            self.traces = traces
            self.durationS = durationS
            self.warmupS = warmupS
            self.seeds = seeds
            self.replanEveryS = replanEveryS
            self.planOptions = planOptions
            self.overloadFactors = overloadFactors
        }
    }

    /// Progress: the policy and the load just measured.
    public typealias Progress = @Sendable (_ policy: Policy, _ point: LoadPoint) -> Void

    public static func run(_ workload: ClassifiedWorkload, options: Options, progress: Progress = { _, _ in }) throws -> CapacityReport {
        var results: [PolicyCapacity] = []
        var evaluations: [Policy: LoadEvaluation] = [:]
        var searches: [Policy: CapacitySearch] = [:]
        for policy in options.policies {
            var evaluation = LoadEvaluation(
                workload: workload, policy: policy, planOptions: options.planOptions, traces: options.traces,
                durationS: options.durationS, warmupS: options.warmupS, seeds: options.seeds,
                replanEveryS: options.replanEveryS)
            evaluation.traffic = options.traffic
            evaluation.llmScheduler = options.llmScheduler
            var search = CapacitySearch(options: options.search)
            let capacities = try search.run { scale in
                let point = try evaluation.measure(scale: scale)
                progress(policy, point)
                return point
            }
            evaluations[policy] = evaluation
            searches[policy] = search
            results.append(PolicyCapacity(policy: policy, capacities: capacities, points: search.measured))
        }
        // Fixed overloads, against the best baseline at each target (strictest first): at 99% a
        // baseline's capacity can be far below what the cluster holds at 90%, where an overload
        // of the 99% capacity overloads nothing.
        var overloads: [Overload] = []
        let baselines = results.filter { $0.policy != .epara }
        for target in options.search.targets.sorted(by: >) {
            let capacities = baselines.compactMap { $0.capacities.first { $0.target == target } }
            let best = capacities.map(\.scale).max() ?? 0
            // A baseline that met the target up to the ceiling has no known capacity to overload.
            guard best > 0, results.count > 1, !capacities.contains(where: { $0.scale >= best && $0.missedAt == nil }) else { continue }
            for factor in options.overloadFactors {
                let scale = best * factor
                var outcomes: [Overload.Outcome] = []
                for policy in options.policies {
                    let point = try searches[policy]!.point(scale) { s in
                        let p = try evaluations[policy]!.measure(scale: s)
                        progress(policy, p)
                        return p
                    }
                    outcomes.append(Overload.Outcome(policy: policy, goodputPerS: point.goodputPerS, attainment: point.attainment))
                }
                overloads.append(Overload(target: target, factor: factor, scale: (scale * 1e6).rounded() / 1e6, outcomes: outcomes))
            }
        }
        let lines = workload.services.map { s in
            CapacitySettings.ServiceLine(
                name: s.name, slo: describe(s.spec.slo),
                demandAt1x: s.spec.stream.map { "\($0.streams) streams × \(TextTable.number($0.fps)) fps" }
                    ?? s.spec.demand.map { "\(TextTable.number($0.ratePerS))/s" + ($0.cv.map { ", CV \(TextTable.number($0))" } ?? "") } ?? "-")
        }
        let settings = CapacitySettings(
            targets: options.search.targets, durationS: options.durationS, warmupS: options.warmupS,
            seeds: options.seeds, tolerance: options.search.tolerance, replanEveryS: options.replanEveryS,
            traces: options.traces.map { ($0.service.map { $0 + "=" } ?? "") + $0.path }, services: lines)
        return CapacityReport(workloadDigest: workload.inputDigest, settings: settings, policies: results, overloads: overloads)
    }

    static func describe(_ slo: SLO) -> String {
        var parts: [String] = []
        if let l = slo.latencyMs { parts.append("latency \(TextTable.number(l)) ms") }
        if let t = slo.ttftMs { parts.append("TTFT \(TextTable.number(t)) ms") }
        if let t = slo.tpotMs { parts.append("TPOT \(TextTable.number(t)) ms") }
        return parts.joined(separator: ", ")
    }
}
