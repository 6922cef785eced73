// Simulation-speed benchmark (figures recorded in docs/serve.md), release build:
//
//   serve-bench vision|llm [REQUESTS]          the example cluster planned for one kind of
//                                              workload, its generated traffic
//   serve-bench fleet [NODES] [SERVICES] [SECONDS]
//                                              a generated fleet (SyntheticFleet; default
//                                              10,000 nodes, 1,000 services, 60 s) with
//                                              traffic built from the production traces
//
// Times SimEngine.run alone and prints simulated requests per second of wall time, then runs
// the same arrivals through a bare event loop (EventLoopCeiling) and prints the ratio, which is
// what compares across machines; and the resident memory the run itself reached.
import EparaClassify
import EparaCore
import EparaPlan
import EparaServe
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let kind = arguments.first ?? "vision"
let root = ProcessInfo.processInfo.environment["EPARA_EXAMPLE"] ?? "examples/edge-lab"
let tracesRoot = ProcessInfo.processInfo.environment["EPARA_TRACES"] ?? "examples/traces"

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("serve-bench: \(message)\n".utf8))
    exit(1)
}

/// Writes a line at once (a long run should show where it is).
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func seconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

let plan: Plan
let makeTrace: () throws -> TraceSet
let description: String
if kind == "fleet" {
    let numbers = arguments.dropFirst().map { Int($0) ?? -1 }
    let nodes = numbers.count > 0 ? numbers[0] : 10_000
    let services = numbers.count > 1 ? numbers[1] : 1_000
    let durationS = Double(numbers.count > 2 ? numbers[2] : 60)
    guard nodes > 0, services > 0, durationS > 0 else { fail("usage: serve-bench fleet [NODES] [SERVICES] [SECONDS]") }
    let traffic: FleetTraffic
    do { traffic = try FleetTraffic(root: tracesRoot) } catch { fail("cannot read the traces in \(tracesRoot): \(error)") }
    let workload = traffic.adjusted(SyntheticFleet.workload(nodes: nodes, services: services, seed: 7))
    let start = ContinuousClock.now
    do { plan = try Planner.plan(Classifier.classify(workload), options: PlanOptions(allowPartial: true)) } catch { fail("cannot plan: \(error)") }
    emit("planned \(nodes) nodes × \(services) services (\(plan.instances.count) instances) in \(String(format: "%.1f", seconds(since: start))) s")
    makeTrace = { traffic.trace(plan: plan, durationS: durationS, seed: 1) }
    description = "fleet: \(nodes) nodes, \(services) services, \(Int(durationS)) s of Azure LLM replays, ServeGen clients and cameras"
} else {
    let requests = arguments.dropFirst().first.flatMap { Double($0) } ?? 2_000_000
    let sources = ["cluster.yaml", "services.yaml", "catalog.yaml"].compactMap { try? SourceText.load("\(root)/\($0)") }
    guard sources.count == 3, var workload = try? DocumentReader.workload(sources, builtin: BuiltinCatalog.load()) else {
        fail("cannot read \(root) (run from the repository root)")
    }
    let llm = Set(workload.services.filter { workload.catalog.model($0.model)?.kind == .llm }.map(\.name))
    workload.services = workload.services.filter { kind == "llm" ? llm.contains($0.name) : !llm.contains($0.name) }
    do { plan = try Planner.plan(Classifier.classify(workload)) } catch { fail("cannot plan: \(error)") }
    let offered = workload.services.reduce(0) { $0 + $1.offeredRate }
    let durationS = requests / offered
    let deployment = Deployment(plan: plan)
    makeTrace = { try TraceBuilder.build(TraceOptions(durationS: durationS, seed: 1), deployment: deployment) }
    description = "\(kind) (\(workload.services.map(\.name).joined(separator: ", ")))"
}

let engine = SimEngine(plan: plan, trace: try makeTrace(), options: SimOptions(replanEveryS: 0, seed: 1))
let memory = ResidentMemory()
let before = ResidentMemory.currentBytes() >> 20
memory.start()
let start = ContinuousClock.now
let run = try engine.run()
let wall = seconds(since: start)
let peak = memory.stop()
let arrivals = run.summary.counts.arrivals
let rate = Double(arrivals) / wall
let ceiling = try EventLoopCeiling.run(try makeTrace())
let ceilingRate = Double(ceiling.requests) / ceiling.seconds
emit(
    """
    workload: \(description)
    simulated: \(String(format: "%.0f", run.durationS)) s, \(arrivals) requests, attainment \(String(format: "%.4f", run.summary.attainment))
    wall: \(String(format: "%.3f", wall)) s
    requests per second of wall time: \(String(format: "%.0f", rate))
    bare event loop, same arrivals: \(ceiling.requests) requests in \(String(format: "%.3f", ceiling.seconds)) s, \(String(format: "%.0f", ceilingRate)) per second
    simulator / bare event loop: \(String(format: "%.3f", rate / ceilingRate))
    resident memory: \(before) MiB before the run, \(peak) MiB at most during it
    """)
