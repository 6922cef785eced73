// Planning-time benchmark: `swift run -c release plan-bench` (figures recorded in docs/plan.md).
import EparaClassify
import EparaCore
import EparaPlan
import Foundation

let catalog = BuiltinCatalog.load()
let deviceMix: [(String, Int)] = [
    ("rtx-4090", 2), ("l4", 2), ("a100-80gb", 1), ("jetson-agx-orin-64gb", 3), ("jetson-orin-nx-16gb", 5),
    ("jetson-orin-nano-8gb", 5), ("raspberry-pi-5", 4),
]
let vision = ["yolo11n", "yolo11s", "resnet-50", "deeplabv3plus-mobilenetv2", "segformer-b0", "mobile-sam", "unet"]
let llms = ["qwen2.5-1.5b", "llama-3-8b-q4", "llama-3.2-3b-q4", "llama-3.3-70b-q4"]

func workload(nodes: Int, services: Int, seed: UInt64) -> Workload {
    // SplitMix64 from the raw seed, so every run plans the same clusters.
    var rng = SeededRandom(state: seed)
    let sites = (0..<max(1, nodes / 40)).map { "site\($0)" }
    let weighted = deviceMix.flatMap { Array(repeating: $0.0, count: $0.1) }
    let clusterNodes = (0..<nodes).map { i in
        let type = weighted.randomElement(using: &rng)!
        let count = type.hasPrefix("jetson") || type.hasPrefix("raspberry") ? 1 : Int.random(in: 1...4, using: &rng)
        return ClusterNode(name: "node\(i)", site: sites[i % sites.count], devices: [DeviceGroup(type: type, count: count)])
    }
    var links: [SiteLink] = []
    for (i, a) in sites.enumerated() { for b in sites.dropFirst(i + 1) { links.append(SiteLink(sites: [a, b], bandwidthMbps: 1000, latencyMs: 5)) } }
    let list = (0..<services).map { i -> Service in
        let origin = [sites.randomElement(using: &rng)!]
        if i % 4 == 0 {
            return Service(
                name: "llm\(i)", model: llms.randomElement(using: &rng)!, slo: SLO(ttftMs: 2000, tpotMs: 150),
                demand: Demand(ratePerS: Double.random(in: 0.2...4, using: &rng), inputTokens: 1024, outputTokens: 200),
                origin: origin, priority: i % 8 == 0 ? 2 : 1)
        }
        let stream = i % 2 == 1
        return Service(
            name: "vision\(i)", model: vision.randomElement(using: &rng)!, slo: SLO(latencyMs: Double.random(in: 50...300, using: &rng)),
            demand: stream ? nil : Demand(ratePerS: Double.random(in: 5...200, using: &rng)),
            stream: stream ? StreamDemand(streams: Int.random(in: 1...16, using: &rng), fps: 15) : nil, origin: origin)
    }
    return Workload(
        cluster: Cluster(name: "bench", nodes: clusterNodes, network: Network(default: Link(bandwidthMbps: 10_000, latencyMs: 0.3), links: links)),
        services: list, catalog: catalog)
}

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
let ladder = [(10, 20), (100, 50), (100, 100), (1000, 100), (1000, 200), (5000, 100), (5000, 500)]
let sizes: [(Int, Int)] = !requested.isEmpty ? requested : quick ? [(10, 20), (100, 50)] : ladder
emit("nodes  services  devices  classify_s  plan_s  candidates  evaluations  goodput/bound")
for (nodes, services) in sizes {
    let w = workload(nodes: nodes, services: services, seed: UInt64(nodes * 1000 + services))
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
let w = workload(nodes: n, services: s, seed: 42)
let c = Classifier.classify(w)
var lazy: Plan!, plain: Plan!
let tLazy = try seconds { lazy = try Planner.plan(c, options: PlanOptions(allowPartial: true, lazy: true)) }
let tPlain = try seconds { plain = try Planner.plan(c, options: PlanOptions(allowPartial: true, lazy: false)) }
emit(
    String(
        format: "lazy vs plain greedy on %d nodes x %d services: same plan %@; evaluations %d vs %d (%.1fx fewer); time %.3f s vs %.3f s",
        n, s, lazy.instances == plain.instances ? "yes" : "NO", lazy.solver.objectiveEvaluations, plain.solver.objectiveEvaluations,
        Double(plain.solver.objectiveEvaluations) / Double(lazy.solver.objectiveEvaluations), tLazy, tPlain))
