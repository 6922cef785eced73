// The capacity evaluation: `make eval` (or `swift run -c release goodput-eval [--quick]`).
// For every scenario (bench/scenarios/*/scenario.yaml, read by Scenarios.swift) and policy: the highest load at
// which SLO attainment stays at or above 99% and 90%, each load planned for its own demand,
// three seeds; goodput at fixed overloads; what each part of EPARA is worth in capacity; the
// fluid bound's capacity; faults at nominal load. Writes docs/results.md and its charts.
import EparaCapacity
import EparaClassify
import EparaCore
import EparaPlan
import EparaReport
import EparaServe
import Foundation

let arguments = Set(CommandLine.arguments.dropFirst())
let quick = arguments.contains("--quick")
let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
let output = arguments.first { $0.hasPrefix("--out=") }.map { String($0.dropFirst(6)) } ?? (quick ? ".build/eval-quick" : "docs")

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("goodput-eval: \(message)\n".utf8))
    exit(1)
}

func log(_ message: String) { FileHandle.standardError.write(Data("\(message)\n".utf8)) }

func list(_ flag: String) -> [String]? {
    CommandLine.arguments.first { $0.hasPrefix("--\(flag)=") }.map { $0.dropFirst(flag.count + 3).split(separator: ",").map(String.init) }
}

let seeds: [UInt64] = list("seeds")?.compactMap { UInt64($0) } ?? (quick ? [1] : [1, 2, 3])
/// `--policies=epara,local` and `--scenarios=small,edge-lab` narrow a run (for experiments; results.md wants all).
let policies: [Policy] = list("policies")?.compactMap { Policy(rawValue: $0) } ?? Policy.allCases
let targets = [0.99, 0.9]

// MARK: Studies: a workload at 1×, its traffic at any load, how long to run it

struct Study: @unchecked Sendable {
    var name: String
    var title: String
    var workload: ClassifiedWorkload
    var durationS: Double
    var warmupS: Double
    var planOptions: PlanOptions
    var traffic: (@Sendable (Plan, Double, UInt64) throws -> TraceSet)?
    var traces: [TraceFile]
    var trafficNote: String
    /// The 400-node cluster: its ablations are not run (each would take as long as its
    /// policies' run, which plans AlpaServe's search at every load twice: once for itself, once
    /// in EPARA's portfolio).
    var large = false
}

let catalog = BuiltinCatalog.load()
/// Every directory of bench/scenarios, in the order the document lists them.
let scenarioOrder = ["small", "medium", "large", "skewed", "edge-lab", "alpaserve"]
let scenarioRoot = root.appendingPathComponent("bench/scenarios")
let scenarioNames = ((try? FileManager.default.contentsOfDirectory(atPath: scenarioRoot.path)) ?? [])
    .filter { FileManager.default.fileExists(atPath: scenarioRoot.appendingPathComponent("\($0)/scenario.yaml").path) }
    .sorted { (scenarioOrder.firstIndex(of: $0) ?? 99, $0) < (scenarioOrder.firstIndex(of: $1) ?? 99, $1) }
if scenarioNames.isEmpty { fail("no scenarios in bench/scenarios (run from the repository root)") }
let wantedScenarios = list("scenarios")
func study(named name: String) -> Study? {
    let selected = wantedScenarios.map { $0.contains(name) } ?? (quick ? ["small", "alpaserve"].contains(name) : true)
    guard selected else { return nil }
    do {
        var scenario = try ScenarioReader.read(directory: scenarioRoot.appendingPathComponent(name))
        // The large cluster runs only when asked (`make eval-large`): planning its 400 nodes up
        // to 16× demand for every policy takes past the half hour `make eval` is given.
        if scenario.large && wantedScenarios == nil { return nil }
        if quick { scenario.durationS = 60; scenario.warmupS = 10 }
        let workload = Classifier.classify(try DocumentReader.workload(try scenario.files.map { try SourceText.load($0) }, builtin: catalog))
        // The plan is made for the traffic that will arrive: the Services must say what the traces bring.
        for (service, rate) in scenario.tracedDemand() {
            guard let spec = workload.services.first(where: { $0.name == service })?.spec else { fail("\(name): no service '\(service)'") }
            if let planned = spec.demand?.ratePerS, abs(planned - rate) > 0.02 * rate {
                log("goodput-eval: warning: \(name): \(service) plans for \(n(planned))/s but its trace brings \(String(format: "%.4f", rate))/s")
            }
        }
        var options = PlanOptions(allowPartial: true)
        if let headroom = scenario.memoryHeadroom { options.memoryHeadroom = headroom }
        let fixed = scenario
        var traffic: (@Sendable (Plan, Double, UInt64) throws -> TraceSet)?
        if fixed.hasOwnTraffic {
            traffic = { plan, scale, seed in try fixed.traffic(plan: plan, load: scale, seed: seed, durationS: fixed.durationS) }
        }
        return Study(
            name: name, title: fixed.title, workload: workload, durationS: fixed.durationS, warmupS: fixed.warmupS,
            planOptions: options, traffic: traffic, traces: fixed.traces, trafficNote: fixed.note, large: fixed.large)
    } catch {
        fail("bench/scenarios/\(name): \(error)")
    }
}
let studies = scenarioNames.compactMap(study(named:))

// MARK: Running them

struct Job: Sendable {
    var study: Int
    var label: String
    var policies: [Policy]
    var without: Set<Ablation>
    var overloads: Bool
    var scheduler: LLMScheduler = .chunked
}

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [String: CapacityReport] = [:]
    private var fluid: [Int: [TargetCapacity]] = [:]
    private var faults: [String: LoadPoint] = [:]
    func set(_ key: String, _ r: CapacityReport) { lock.lock(); reports[key] = r; lock.unlock() }
    func report(_ key: String) -> CapacityReport? { lock.lock(); defer { lock.unlock() }; return reports[key] }
    func setFluid(_ i: Int, _ c: [TargetCapacity]) { lock.lock(); fluid[i] = c; lock.unlock() }
    func fluid(_ i: Int) -> [TargetCapacity]? { lock.lock(); defer { lock.unlock() }; return fluid[i] }
    func setFault(_ key: String, _ p: LoadPoint) { lock.lock(); faults[key] = p; lock.unlock() }
    func fault(_ key: String) -> LoadPoint? { lock.lock(); defer { lock.unlock() }; return faults[key] }
}

/// EPARA without one of its parts, or with its LLMs simulated prefill-first (vLLM V0) instead of
/// with chunked prefill: what each is worth in capacity.
let ablations: [(label: String, without: Set<Ablation>, scheduler: LLMScheduler)] = [
    ("without categories", [.categories], .chunked), ("without model parallelism", [.modelParallel], .chunked),
    ("without burst replicas", [.burstReplicas], .chunked), ("LLMs prefill-first", [], .prefillFirst),
]
let jobs: [Job] = studies.indices.flatMap { i in
    [Job(study: i, label: "policies", policies: policies, without: [], overloads: true)]
        + (quick || studies[i].large
            ? []
            : ablations.map {
                Job(study: i, label: $0.label, policies: [.epara], without: $0.without, overloads: false, scheduler: $0.scheduler)
            })
}
let results = Results()
let clock = ContinuousClock()
let started = clock.now
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func key(_ study: Int, _ label: String) -> String { "\(study)|\(label)" }
let tolerance = quick ? 0.1 : 0.04
/// The highest load tried: 16× demand in the full run (planning 400 nodes for 32× takes the
/// AlpaServe search minutes per load); 64× in the smoke test, whose searches must all bracket.
let maxScale = quick ? 64.0 : 16.0

// Largest first, so that two cores stay busy to the end.
let order = jobs.indices.sorted {
    (studies[jobs[$0].study].workload.cluster.nodes.count, jobs[$1].study) > (studies[jobs[$1].study].workload.cluster.nodes.count, jobs[$0].study)
}
DispatchQueue.concurrentPerform(iterations: order.count) { k in
    let job = jobs[order[k]]
    let study = studies[job.study]
    var planOptions = study.planOptions
    planOptions.without = job.without
    // Each load's EPARA plan is checked in the simulator and improved; not in the smoke test,
    // whose debug build would take many minutes simulating plans at 32× and 64× (the test
    // suite's PlanSearchCLITests and PlanMonotonicityTests exercise the search).
    planOptions.simulator = LoadEvaluation.simulation
    planOptions.searchBudget = quick ? .none : LoadEvaluation.searchBudget
    var options = CapacityStudy.Options(
        policies: job.policies, search: CapacitySearchOptions(targets: targets, tolerance: tolerance, maxScale: maxScale),
        traces: study.traces, durationS: study.durationS, warmupS: study.warmupS, seeds: seeds,
        planOptions: planOptions, overloadFactors: job.overloads ? [1.5, 2] : [])
    options.traffic = study.traffic
    options.llmScheduler = job.scheduler
    let start = clock.now
    do {
        let report = try CapacityStudy.run(study.workload, options: options) { policy, point in
            log(
                "\(study.name) \(job.label == "policies" ? policy.rawValue : job.label) at \(TextTable.number(point.scale))×: attainment \(String(format: "%.3f", point.attainment))"
            )
        }
        results.set(key(job.study, job.label), report)
    } catch {
        fail("\(study.name) \(job.label): \(error)")
    }
    log("\(study.name) \(job.label) done in \(String(format: "%.0f", seconds(clock.now - start))) s")
}

// The fluid bound's capacity: the highest load at which the plan's upper bound on goodput
// (capacity split freely) still covers the target fraction of demand. Planning only.
DispatchQueue.concurrentPerform(iterations: studies.count) { i in
    let study = studies[i]
    var search = CapacitySearch(options: CapacitySearchOptions(targets: targets, tolerance: tolerance / 2, maxScale: maxScale))
    let capacities = try? search.run { scale in
        let plan = try Planner.plan(LoadScale.scaled(study.workload, by: scale), options: study.planOptions)
        let bound = plan.predicted.demandPerS > 0 ? min(1, plan.predicted.upperBoundGoodputPerS / plan.predicted.demandPerS) : 1
        return LoadPoint(scale: scale, attainmentBySeed: [bound], goodputBySeed: [plan.predicted.upperBoundGoodputPerS], services: [:])
    }
    if let capacities { results.setFluid(i, capacities) }
}

// Faults at 1× (EPARA): the node holding the most instances down halfway, back at three
// quarters; 30% of sync messages lost.
if !quick {
    let faultJobs = studies.indices.flatMap { i in ["node down", "sync loss"].map { (i, $0) } }
    DispatchQueue.concurrentPerform(iterations: faultJobs.count) { k in
        let (i, label) = faultJobs[k]
        let study = studies[i]
        guard let plan = try? Planner.plan(study.workload, options: study.planOptions) else { return }
        var evaluation = LoadEvaluation(
            workload: study.workload, policy: .epara, planOptions: study.planOptions, traces: study.traces,
            durationS: study.durationS, warmupS: study.warmupS, seeds: seeds)
        evaluation.traffic = study.traffic
        if label == "node down" {
            let counts = Dictionary(grouping: plan.instances.flatMap { Set($0.devices.map(\.node)) }, by: { $0 }).mapValues(\.count)
            let node = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
            evaluation.faults = FaultPlan(events: [
                FaultPlan.Timed(atS: study.durationS / 2, event: .nodeDown(node)),
                FaultPlan.Timed(atS: study.durationS * 0.75, event: .nodeUp(node)),
            ])
        } else {
            evaluation.faults = FaultPlan(syncLoss: 0.3)
        }
        if let point = try? evaluation.measure(scale: 1) { results.setFault(key(i, label), point) }
    }
}
let totalWall = seconds(clock.now - started)

// MARK: The document

func n(_ x: Double) -> String { TextTable.number(x) }
func x(_ scale: Double) -> String { scale > 0 ? n(scale) + "×" : "< 1/64×" }
func capacity(_ r: CapacityReport?, _ policy: String, _ target: Double) -> TargetCapacity? {
    r?.policies.first { $0.policy.rawValue == policy }?.capacities.first { $0.target == target }
}
func spread(_ c: TargetCapacity) -> String {
    c.scaleBySeed.count > 1 ? "\(n(c.scaleBySeed.min()!))–\(n(c.scaleBySeed.max()!))" : "-"
}
func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? n(a / b) + "×" : (a > 0 ? "∞" : "-") }

var md = """
    # Results: capacity at an SLO-attainment target

    Produced by `make eval` (\(quick ? "**quick variant**: " : "")release build, on a two-core machine, in \(n(totalWall / 60)) min;
    scenarios: \(studies.map(\.name).joined(separator: ", "))).
    **Capacity** is the highest load — a multiple of each scenario's demand, every request rate
    and camera count scaled — at which SLO attainment (requests and frames answered within
    their SLO, of all that arrived, the warm-up trimmed) stays at or above the target: 99% as
    AlpaServe and Nexus report it, 90% as DistServe does. Each load is planned for its own
    demand; the mean attainment over seeds \(seeds.map(String.init).joined(separator: ", ")) decides; bisection stops within \(n(tolerance * 100))%.
    "per seed" is each seed's own answer from the same loads. The simulator is deterministic:
    rerunning gives the same tables.

    ## The goal, and what was measured

    Goals (issue 29): EPARA's capacity ≥ 1.3× the best baseline's at 99% attainment and ≥ 1.0×
    at 90% on every scenario; ≥ 50% of the fluid bound's capacity at 99% (the load up to which
    the plan's upper bound — capacity split freely — still covers 99% of demand) on small,
    medium and edge-lab; no "met again" in EPARA's rows (a load served worse than a higher one).
    The baselines are `local`, `round-robin` and `alpaserve`.


    """
var goalRows: [[String]] = []
let baselines = policies.filter { $0 != .epara }.map(\.rawValue)
for (i, s) in studies.enumerated() {
    let r = results.report(key(i, "policies"))
    var cells = [s.title]
    var metAgain = false
    for target in targets {
        guard let e = capacity(r, "epara", target) else {
            cells += ["-", "-"]
            continue
        }
        metAgain = metAgain || e.metAbove != nil
        let best = baselines.compactMap { name in capacity(r, name, target).map { (name, $0) } }.max { $0.1.scale < $1.1.scale }
        cells.append(x(e.scale))
        cells.append(
            best.map { name, c in
                let goal = target >= 0.99 ? 1.3 : 1.0
                let ok = c.scale <= 0 ? e.scale > 0 : e.scale / c.scale >= goal * (1 - 1e-9)
                return "\(name) \(x(c.scale)) → \(ratio(e.scale, c.scale)) \(ok ? "✓" : "✗")"
            } ?? "-")
    }
    let fluid = results.fluid(i)?.first { $0.target == 0.99 }
    let e99 = capacity(r, "epara", 0.99)
    cells.append(
        fluid.map { f in
            let share = f.scale > 0 ? (e99?.scale ?? 0) / f.scale : 0
            let judged = ["small", "medium", "edge-lab"].contains(s.name)
            return "\(x(f.scale)) → \(n(share * 100))%" + (judged ? (share >= 0.5 ? " ✓" : " ✗") : "")
        } ?? "-")
    cells.append(metAgain ? "✗ met again" : "✓ none")
    goalRows.append(cells)
}
md += TextTable.markdown(
    header: ["scenario"]
        + targets.flatMap { t -> [String] in
            ["EPARA at \(n(t * 100))%", "best baseline (goal EPARA ≥ \(t >= 0.99 ? "1.3" : "1.0")×)"]
        } + ["fluid bound at 99% (goal ≥ 50%)", "met again"],
    rows: goalRows)

md += "\n## Setup\n\n"
md += TextTable.markdown(
    header: ["scenario", "nodes", "sites", "devices", "services", "simulated per load", "traffic at 1×", "arrivals"],
    rows: studies.map { s in
        let cluster = s.workload.cluster
        let devices = Dictionary(
            grouping: cluster.nodes.flatMap { n in n.devices.flatMap { Array(repeating: $0.type, count: $0.count) } }, by: { $0 }
        )
        .mapValues(\.count).sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
        let offered = s.workload.services.reduce(0) { $0 + $1.spec.offeredRate }
        return [
            s.title, String(cluster.nodes.count), String(cluster.sites.count), devices, String(s.workload.services.count),
            "\(n(s.durationS)) s (first \(n(s.warmupS)) s trimmed)", "\(n(offered)) req/s", s.trafficNote,
        ]
    })
md += """

    The cluster scenarios' services per edge site: `chat` (Llama-3 8B Q4, TTFT 1 s, TPOT 100 ms)
    and `code` (Qwen2.5 1.5B, TTFT 500 ms, TPOT 50 ms) replay the Azure LLM inference 2023
    conversation and code traces, each site from its own phase; `detect` (YOLO11s, 15 fps per
    camera, 66 ms) and `segment` (DeepLabv3+ MobileNetV2, 10 fps, 100 ms) are camera streams;
    `photo` (ResNet-50, 100 ms) follows ServeGen's `mm-image` per-client rates from 10:00 of its
    day; one `big-chat` (Llama-3.3 70B Q4, priority 2). The skewed scenario is the medium one
    with ServeGen's busiest clients — those bringing 75% of its image requests over the replayed
    hour — all arriving at site-a, the rest at site-b: the concentration is the trace's own.
    A load of k× scales every rate and camera count by k and speeds the traces up k-fold. Every
    policy dispatches as `serve` does for it (EPARA and AlpaServe by estimated completion,
    `local` within the request's node, `round-robin` by its plan's weights); no in-run
    replanning (each load has the plan made for it).


    """

md += "## Capacity by scenario and policy\n\n"
var capacityRows: [[String]] = []
for (i, s) in studies.enumerated() {
    guard let r = results.report(key(i, "policies")) else { continue }
    for p in r.policies {
        var row = [s.name, p.policy.rawValue]
        for t in targets {
            guard let c = p.capacities.first(where: { $0.target == t }) else { row += ["-", "-", "-"]; continue }
            let e = capacity(r, "epara", t)
            row += [
                x(c.scale) + (c.missedAt == nil ? " (none missed)" : "") + (c.metAbove.map { " (met again at \(x($0)))" } ?? ""),
                spread(c), p.policy == .epara ? "-" : ratio(e?.scale ?? 0, c.scale),
            ]
        }
        let c99 = p.capacities.first { $0.target == 0.99 }
        row.append(c99?.breaksFirst.map { "\($0) (\(n(c99?.breaksFirstAttainment ?? 0)) at \(x(c99?.missedAt ?? 0)))" } ?? "-")
        capacityRows.append(row)
    }
}
md += TextTable.markdown(
    header: ["scenario", "policy", "at 99%", "per seed", "EPARA ÷ it", "at 90%", "per seed", "EPARA ÷ it", "breaks first (99%)"],
    rows: capacityRows)

let chartDirectory = URL(fileURLWithPath: output).appendingPathComponent("results")
try? FileManager.default.createDirectory(at: chartDirectory, withIntermediateDirectories: true)
md += "\n## Attainment against load\n\n"
for (i, s) in studies.enumerated() {
    guard let r = results.report(key(i, "policies")) else { continue }
    let file = "\(s.name)-capacity.svg"
    try? Data(CapacityRender.chart(r).utf8).write(to: chartDirectory.appendingPathComponent(file))
    // The Capacity document itself, every load measured (what `epara capacity` prints).
    if let json = try? JSONOutput.document(r) { try? json.write(to: chartDirectory.appendingPathComponent("\(s.name)-capacity.json")) }
    md += "![\(s.title): SLO attainment against load](results/\(file))\n"
}

md +=
    "\n## Goodput at fixed overloads\n\nEvery policy at 1.5× and 2× the best baseline's capacity at 99% and at 90% (goodput in requests and frames within SLO per second; a baseline's 99% capacity can lie far below what the cluster holds, so the 90% rows are the overloads that load it).\n\n"
var overloadRows: [[String]] = []
for (i, s) in studies.enumerated() {
    guard let r = results.report(key(i, "policies")) else { continue }
    for o in r.overloads {
        let e = o.outcomes.first { $0.policy == .epara }
        for out in o.outcomes {
            overloadRows.append([
                s.name, "\(n(o.factor))× the \(n(o.target * 100))% capacity = \(x(o.scale))", out.policy.rawValue, n(out.goodputPerS),
                n(out.attainment),
                out.policy == .epara ? "-" : ratio(e?.goodputPerS ?? 0, out.goodputPerS),
            ])
        }
    }
}
md += TextTable.markdown(header: ["scenario", "load", "policy", "goodput/s", "attainment", "EPARA ÷ it"], rows: overloadRows)

if !quick {
    md += "\n## What each part of EPARA is worth in capacity\n\n"
    var ablationRows: [[String]] = []
    for (i, s) in studies.enumerated() {
        let full = results.report(key(i, "policies"))
        for t in targets {
            guard let e = capacity(full, "epara", t) else { continue }
            var row = [s.name, n(t * 100) + "%", x(e.scale)]
            for a in ablations {
                let c = capacity(results.report(key(i, a.label)), "epara", t)
                row.append(c.map { "\(x($0.scale)) (\(ratio($0.scale, e.scale)))" } ?? "-")
            }
            ablationRows.append(row)
        }
    }
    md += TextTable.markdown(header: ["scenario", "target", "EPARA"] + ablations.map(\.label), rows: ablationRows)
    md += """

        The ablations are not run on the 400-node cluster ("-"): each would take as long as its
        policies' run. Without categories: no frame packing, single devices and model-parallel groups considered
        for every service alike, one greedy stage. Without model parallelism: every instance on
        one device. Without burst replicas: no burst phase (docs/plan.md §2). LLMs prefill-first:
        every policy's LLM instances are simulated with chunked prefill (vLLM V1, SGLang,
        llama.cpp's server; docs/serve.md §1); this column simulates EPARA's plans with waiting
        prompts prefilled alone ahead of the decodes, as vLLM V0 ran them.

        ## Faults at 1× (EPARA)


        """
    var faultRows: [[String]] = []
    for (i, s) in studies.enumerated() {
        guard let e = results.report(key(i, "policies"))?.policies.first(where: { $0.policy == .epara })?.points.first(where: { $0.scale == 1 })
        else { continue }
        faultRows.append([s.name, "none", n(e.goodputPerS), n(e.attainment)])
        for label in ["node down", "sync loss"] {
            guard let p = results.fault(key(i, label)) else { continue }
            faultRows.append([
                s.name, label == "node down" ? "busiest node down halfway, back at ¾" : "30% of sync messages lost",
                n(p.goodputPerS), n(p.attainment),
            ])
        }
    }
    md += TextTable.markdown(header: ["scenario", "fault", "goodput/s", "attainment"], rows: faultRows)
}

let discussion = (try? String(contentsOf: root.appendingPathComponent("bench/Goodput/discussion.md"), encoding: .utf8)) ?? ""
md += discussion.isEmpty ? "" : "\n" + discussion + "\n"
md += """

    ## Reproduce

    ```sh
    make eval          # release build; writes docs/results.md and docs/results/*.svg (not the large cluster)
    make eval-large    # the same with the 400-node cluster (about an hour on two cores)
    make eval-quick    # the smoke test CI runs: small and the AlpaServe setting, 60 s, one seed
    epara classify examples/edge-lab/*.yaml | epara capacity - \\
      --trace chat=examples/traces/AzureLLMInferenceTrace_conv.csv --format table   # one scenario, by hand
    ```

    Every scenario is a directory of [bench/scenarios](../bench/scenarios) (its README says how to
    read them): the Cluster and Services files at 1× and a `scenario.yaml` saying how the traces in
    `examples/traces` (sources and licences in its README) feed the services.

    """
try? FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
do {
    try Data(md.utf8).write(to: URL(fileURLWithPath: output).appendingPathComponent(quick ? "results-quick.md" : "results.md"))
} catch {
    fail("cannot write results: \(error)")
}
log("wrote \(output)/\(quick ? "results-quick.md" : "results.md") (\(n(totalWall)) s)")
// A smoke test must fail loudly when something is off: every search brackets its answer (a
// load that met the target and one that missed), or found even the lowest load missing it.
// (The full run's ceiling is 16×: "none missed" there is a result, reported as such.)
for (i, s) in studies.enumerated() where quick {
    guard let r = results.report(key(i, "policies")) else { fail("\(s.name): no result") }
    for p in r.policies {
        for c in p.capacities where !(c.bracketed || (c.scale == 0 && c.missedAt != nil)) {
            fail(
                "\(s.name) \(p.policy) at \(c.target): the search did not bracket its answer (met \(c.scale), missed \(c.missedAt.map { "\($0)" } ?? "nothing"))"
            )
        }
    }
}
