// The evaluation's experiments and their results as typed values: every policy's capacity
// search, EPARA without each of its parts, the fluid bound, faults at 1×. A job that fails is a
// failure with its reason, carried to the document.
import EparaCapacity
import EparaCore
import EparaPlan
import EparaServe
import Foundation

/// What a job came to: its result, or why there is none.
enum Outcome<Value: Sendable>: Sendable {
    case measured(Value)
    case failed(String)

    var value: Value? {
        if case let .measured(value) = self { value } else { nil }
    }

    var failure: String? {
        if case let .failed(reason) = self { reason } else { nil }
    }

    init(_ body: () throws -> Value) {
        do { self = .measured(try body()) } catch { self = .failed("\(error)") }
    }
}

/// EPARA without one of its parts, or with its LLMs simulated prefill-first (vLLM V0) instead of
/// with chunked prefill: what each is worth in capacity.
struct AblationRun: Hashable, Sendable {
    var label: String
    var without: Set<Ablation>
    var scheduler: LLMScheduler

    static let all = [
        AblationRun(label: "without categories", without: [.categories], scheduler: .chunked),
        AblationRun(label: "without model parallelism", without: [.modelParallel], scheduler: .chunked),
        AblationRun(label: "without burst replicas", without: [.burstReplicas], scheduler: .chunked),
        AblationRun(label: "LLMs prefill-first", without: [], scheduler: .prefillFirst),
    ]
}

/// A capacity search of one study: every policy's, or EPARA's without a part.
enum Experiment: Hashable, Sendable {
    case policies
    case ablation(AblationRun)

    var label: String {
        switch self {
        case .policies: "policies"
        case let .ablation(a): a.label
        }
    }
}

/// A fault EPARA's plan meets at 1×.
enum FaultExperiment: String, CaseIterable, Sendable {
    case nodeDown = "node down"
    case syncLoss = "sync loss"

    var description: String {
        switch self {
        case .nodeDown: "busiest node down halfway, back at ¾"
        case .syncLoss: "30% of sync messages lost"
        }
    }
}

/// How a run measures: seeds, targets, how fine the bisection is, the highest load tried.
struct Settings: Sendable {
    var quick: Bool
    var seeds: [UInt64]
    var policies: [Policy]
    var targets = [0.99, 0.9]
    /// Bisection stops within this fraction of the load.
    var tolerance: Double { quick ? 0.1 : 0.04 }
    /// The highest load tried: 16× demand in the full run (planning 400 nodes for 32× takes the
    /// AlpaServe search minutes per load); 64× in the smoke test, whose searches must all bracket.
    var maxScale: Double { quick ? 64 : 16 }
}

/// Everything a run measured, by study (the index into the run's studies).
struct EvaluationResults: Sendable {
    var capacity: [Int: [Experiment: Outcome<CapacityReport>]] = [:]
    var fluid: [Int: Outcome<[TargetCapacity]>] = [:]
    var faults: [Int: [FaultExperiment: Outcome<LoadPoint>]] = [:]
    var wallS = 0.0

    func report(_ study: Int, _ experiment: Experiment) -> CapacityReport? { capacity[study]?[experiment]?.value }

    /// Every job that failed, with its reason, labelled by study and experiment.
    func failures(studies: [Study]) -> [(job: String, reason: String)] {
        var list: [(String, String)] = []
        for (i, study) in studies.enumerated() {
            for (experiment, outcome) in (capacity[i] ?? [:]).sorted(by: { $0.key.label < $1.key.label }) {
                if let reason = outcome.failure { list.append(("\(study.name) \(experiment.label)", reason)) }
            }
            if let reason = fluid[i]?.failure { list.append(("\(study.name) fluid bound", reason)) }
            for fault in FaultExperiment.allCases {
                if let reason = faults[i]?[fault]?.failure { list.append(("\(study.name) \(fault.rawValue)", reason)) }
            }
        }
        return list
    }
}

/// Results written from the jobs running in parallel.
final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results = EvaluationResults()

    func update(_ body: (inout EvaluationResults) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&results)
    }

    var value: EvaluationResults {
        lock.lock()
        defer { lock.unlock() }
        return results
    }
}

enum Experiments {
    /// Runs every job of `studies` on all cores, largest cluster first so that the cores stay
    /// busy to the end; `log` hears progress.
    static func run(_ studies: [Study], settings: Settings, log: @escaping @Sendable (String) -> Void) -> EvaluationResults {
        let box = ResultsBox()
        let clock = ContinuousClock()
        let started = clock.now
        let jobs: [(study: Int, experiment: Experiment)] = studies.indices.flatMap { i in
            [(i, Experiment.policies)] + (settings.quick || studies[i].large ? [] : AblationRun.all.map { (i, Experiment.ablation($0)) })
        }
        let order = jobs.indices.sorted {
            (studies[jobs[$0].study].workload.cluster.nodes.count, jobs[$1].study)
                > (studies[jobs[$1].study].workload.cluster.nodes.count, jobs[$0].study)
        }
        DispatchQueue.concurrentPerform(iterations: order.count) { k in
            let (i, experiment) = jobs[order[k]]
            let study = studies[i]
            let start = clock.now
            let outcome = Outcome { try capacity(study, experiment, settings: settings, log: log) }
            if let reason = outcome.failure { log("\(study.name) \(experiment.label): failed: \(reason)") }
            box.update { $0.capacity[i, default: [:]][experiment] = outcome }
            log("\(study.name) \(experiment.label) done in \(String(format: "%.0f", seconds(clock.now - start))) s")
        }
        DispatchQueue.concurrentPerform(iterations: studies.count) { i in
            let outcome = Outcome { try fluidBound(studies[i], settings: settings) }
            box.update { $0.fluid[i] = outcome }
        }
        if !settings.quick {
            let faultJobs = studies.indices.flatMap { i in FaultExperiment.allCases.map { (i, $0) } }
            DispatchQueue.concurrentPerform(iterations: faultJobs.count) { k in
                let (i, fault) = faultJobs[k]
                let outcome = Outcome { try faultAtNominal(studies[i], fault, settings: settings) }
                box.update { $0.faults[i, default: [:]][fault] = outcome }
            }
        }
        box.update { $0.wallS = seconds(clock.now - started) }
        return box.value
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// A capacity search: each load planned for its own demand; EPARA's plan for each load
    /// checked in the simulator and improved (not in the smoke test, whose debug build would take
    /// many minutes simulating plans at 32× and 64×; the test suite's PlanSearchCLITests and
    /// PlanMonotonicityTests exercise the search).
    static func capacity(
        _ study: Study, _ experiment: Experiment, settings: Settings, log: @escaping @Sendable (String) -> Void
    ) throws
        -> CapacityReport
    {
        var planOptions = study.planOptions
        var policies = settings.policies
        var scheduler = LLMScheduler.chunked
        if case let .ablation(a) = experiment {
            planOptions.without = a.without
            policies = [.epara]
            scheduler = a.scheduler
        }
        planOptions.simulator = LoadEvaluation.simulation
        planOptions.searchBudget = settings.quick ? .none : LoadEvaluation.searchBudget
        var options = CapacityStudy.Options(
            policies: policies,
            search: CapacitySearchOptions(targets: settings.targets, tolerance: settings.tolerance, maxScale: settings.maxScale),
            traces: study.traces, durationS: study.durationS, warmupS: study.warmupS, seeds: settings.seeds,
            planOptions: planOptions, overloadFactors: experiment == .policies ? [1.5, 2] : [])
        options.traffic = study.traffic
        options.llmScheduler = scheduler
        return try CapacityStudy.run(study.workload, options: options) { policy, point in
            log(
                "\(study.name) \(experiment == .policies ? policy.rawValue : experiment.label) at \(TextTable.number(point.scale))×: attainment \(String(format: "%.3f", point.attainment))"
            )
        }
    }

    /// The fluid bound's capacity: the highest load at which the plan's upper bound on goodput
    /// (capacity split freely) still covers the target fraction of demand. Planning only.
    static func fluidBound(_ study: Study, settings: Settings) throws -> [TargetCapacity] {
        var search = CapacitySearch(
            options: CapacitySearchOptions(targets: settings.targets, tolerance: settings.tolerance / 2, maxScale: settings.maxScale))
        return try search.run { scale in
            let plan = try Planner.plan(LoadScale.scaled(study.workload, by: scale), options: study.planOptions)
            let bound = plan.predicted.demandPerS > 0 ? min(1, plan.predicted.upperBoundGoodputPerS / plan.predicted.demandPerS) : 1
            return LoadPoint(scale: scale, attainmentBySeed: [bound], goodputBySeed: [plan.predicted.upperBoundGoodputPerS], services: [:])
        }
    }

    /// EPARA at 1× under a fault: the node holding the most instances down halfway, back at
    /// three quarters; or 30% of sync messages lost.
    static func faultAtNominal(_ study: Study, _ fault: FaultExperiment, settings: Settings) throws -> LoadPoint {
        let plan = try Planner.plan(study.workload, options: study.planOptions)
        var evaluation = LoadEvaluation(
            workload: study.workload, policy: .epara, planOptions: study.planOptions, traces: study.traces,
            durationS: study.durationS, warmupS: study.warmupS, seeds: settings.seeds)
        evaluation.traffic = study.traffic
        switch fault {
        case .nodeDown:
            let counts = Dictionary(grouping: plan.instances.flatMap { Set($0.devices.map(\.node)) }, by: { $0 }).mapValues(\.count)
            guard let node = counts.max(by: { ($0.value, $1.key) < ($1.value, $0.key) })?.key else {
                throw StudyError("the plan places no instance")
            }
            evaluation.faults = FaultPlan(events: [
                FaultPlan.Timed(atS: study.durationS / 2, event: .nodeDown(node)),
                FaultPlan.Timed(atS: study.durationS * 0.75, event: .nodeUp(node)),
            ])
        case .syncLoss:
            evaluation.faults = FaultPlan(syncLoss: 0.3)
        }
        return try evaluation.measure(scale: 1)
    }
}
