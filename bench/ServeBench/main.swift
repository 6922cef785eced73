// Simulation-speed benchmark: `swift run -c release serve-bench [vision|llm] [requests]`
// (figures recorded in docs/serve.md). Plans the example cluster for one kind of workload, then
// times SimEngine.run alone and prints simulated requests per second of wall time and the
// process's peak resident memory.
import EparaClassify
import EparaCore
import EparaPlan
import EparaServe
import Foundation

let arguments = CommandLine.arguments.dropFirst()
let kind = arguments.first ?? "vision"
let requests = arguments.dropFirst().first.flatMap { Double($0) } ?? 2_000_000
let root = ProcessInfo.processInfo.environment["EPARA_EXAMPLE"] ?? "examples/edge-lab"

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("serve-bench: \(message)\n".utf8))
    exit(1)
}

let sources = ["cluster.yaml", "services.yaml", "catalog.yaml"].compactMap { try? SourceText.load("\(root)/\($0)") }
guard sources.count == 3, var workload = try? DocumentReader.workload(sources, builtin: BuiltinCatalog.load()) else {
    fail("cannot read \(root) (run from the repository root)")
}
let llm = Set(workload.services.filter { workload.catalog.model($0.model)?.kind == .llm }.map(\.name))
workload.services = workload.services.filter { kind == "llm" ? llm.contains($0.name) : !llm.contains($0.name) }
let plan: Plan
do {
    plan = try Planner.plan(Classifier.classify(workload))
} catch {
    fail("cannot plan: \(error)")
}
let offered = workload.services.reduce(0) { $0 + $1.offeredRate }
let duration = requests / offered
let trace = try TraceBuilder.build(TraceOptions(durationS: duration, seed: 1), deployment: Deployment(plan: plan))
let engine = SimEngine(plan: plan, trace: trace, options: SimOptions(replanEveryS: 0, seed: 1))
let clock = ContinuousClock()
let start = clock.now
let run = try engine.run()
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
var usage = rusage()
getrusage(RUSAGE_SELF.rawValue, &usage)
let arrivals = run.summary.counts.arrivals
print(
    """
    workload: \(kind) (\(workload.services.map(\.name).joined(separator: ", ")))
    simulated: \(String(format: "%.0f", duration)) s, \(arrivals) requests, attainment \(String(format: "%.4f", run.summary.attainment))
    wall: \(String(format: "%.3f", seconds)) s
    requests per second of wall time: \(String(format: "%.0f", Double(arrivals) / seconds))
    peak RSS: \(usage.ru_maxrss / 1024) MiB
    """)
