// Planning-time benchmark: `swift run -c release plan-bench` (figures recorded in docs/plan.md),
// on generated fleets (`SyntheticFleet`).
import EparaClassify
import EparaCore
import EparaPlan
import Foundation

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let d = clock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Writes a line at once (print buffers when stdout is a file, and a long run should show progress).
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick")
// Sizes as NODESxSERVICES arguments, e.g. `plan-bench 1000x100`; by default the whole ladder.
let requested = arguments.compactMap { argument -> (Int, Int)? in
    let parts = argument.split(separator: "x").compactMap { Int($0) }
    return parts.count == 2 ? (parts[0], parts[1]) : nil
}
let ladder = [(10, 20), (100, 50), (100, 100), (1000, 100), (1000, 200), (5000, 100), (5000, 500), (10000, 1000)]
let sizes: [(Int, Int)] = !requested.isEmpty ? requested : quick ? [(10, 20), (100, 50)] : ladder
emit("nodes  services  devices  classify_s  plan_s  candidates  evaluations  goodput/bound")
for (nodes, services) in sizes {
    let w = SyntheticFleet.workload(nodes: nodes, services: services, seed: UInt64(nodes * 1000 + services))
    var classified: ClassifiedWorkload!
    let tClassify = seconds { classified = Classifier.classify(w) }
    var plan: Plan!
    let tPlan = try seconds { plan = try Planner.plan(classified, options: PlanOptions(allowPartial: true)) }
    let devices = w.cluster.nodes.reduce(0) { $0 + $1.devices.reduce(0) { $0 + $1.count } }
    emit(
        String(
            format: "%5d  %8d  %7d  %10.3f  %6.3f  %10d  %11d  %.3f", nodes, services, devices, tClassify, tPlan,
            plan.solver.candidates, plan.solver.objectiveEvaluations, plan.predicted.fractionOfUpperBound))
}
// Lazy against plain greedy on the same problem: same plan, fewer evaluations.
if !requested.isEmpty { exit(0) }
let (n, s) = quick ? (60, 20) : (300, 60)
let w = SyntheticFleet.workload(nodes: n, services: s, seed: 42)
let c = Classifier.classify(w)
var lazy: Plan!, plain: Plan!
let tLazy = try seconds { lazy = try Planner.plan(c, options: PlanOptions(allowPartial: true, lazy: true)) }
let tPlain = try seconds { plain = try Planner.plan(c, options: PlanOptions(allowPartial: true, lazy: false)) }
emit(
    String(
        format: "lazy vs plain greedy on %d nodes x %d services: same plan %@; evaluations %d vs %d (%.1fx fewer); time %.3f s vs %.3f s",
        n, s, lazy.instances == plain.instances ? "yes" : "NO", lazy.solver.objectiveEvaluations, plain.solver.objectiveEvaluations,
        Double(plain.solver.objectiveEvaluations) / Double(lazy.solver.objectiveEvaluations), tLazy, tPlain))
