import EparaClassify
import EparaCore
import EparaPlan
import Foundation

@testable import EparaServe

/// One request as it ended, seen through the recorder's observer.
struct Ended: Equatable {
    var id: Int
    var service: String
    var stream: Int32?
    var outcome: Outcome
    var reason: EndReason
    var arrival: Double
    var end: Double
    var latencyMs: Double { (end - arrival) * 1000 }
}

enum ServeFixtures {
    /// Utilization of the first device in the last run (for tests of device time accounting).
    nonisolated(unsafe) static var lastRunUtilization = 0.0

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A device and a vision model whose batch times are round numbers (a measured profile):
    /// a batch of 1 takes 10 ms, 2: 15 ms, 4: 25 ms, 8: 45 ms.
    static let microCatalog = Catalog(
        devices: [
            DeviceType(
                name: "dev", deviceClass: .gpu, memoryGib: 16, fp16Tflops: 10, fp32Tflops: 5, int8Tops: 20,
                memoryBandwidthGbytesPerS: 100, kernelOverheadUs: 10, computeEfficiency: 0.5, memoryEfficiency: 0.7,
                source: "test")
        ],
        models: [
            ModelSpec(
                name: "m", kind: .vision, precision: .fp16, parameters: 1e6, bytesPerWeight: 2, gflopsPerItem: 1,
                activationMibPerItem: 1, kernels: 10, inputBytes: 1000, outputBytes: 100, source: "test")
        ],
        profiles: [
            Profile(
                model: "m", device: "dev",
                points: [
                    Profile.Point(batch: 1, latencyMs: 10), Profile.Point(batch: 2, latencyMs: 15),
                    Profile.Point(batch: 4, latencyMs: 25), Profile.Point(batch: 8, latencyMs: 45),
                ],
                source: "test")
        ])

    static func node(_ name: String, site: String = "s", devices: Int = 1) -> ClusterNode {
        ClusterNode(name: name, site: site, devices: [DeviceGroup(type: "dev", count: devices)])
    }

    /// Plans `services` on `nodes` with the micro catalog, then lets the test adjust the plan.
    static func microPlan(
        nodes: [ClusterNode] = [node("n1")], services: [Service], policy: Policy = .epara,
        adjust: (inout Plan) -> Void = { _ in }
    ) throws -> Plan {
        var plan = try Planner.plan(microWorkload(nodes: nodes, services: services), options: PlanOptions(policy: policy, allowPartial: true))
        adjust(&plan)
        return plan
    }

    /// `services` on `nodes` with the micro catalog, classified.
    static func microWorkload(nodes: [ClusterNode] = [node("n1")], services: [Service]) -> ClassifiedWorkload {
        let cluster = Cluster(name: "micro", nodes: nodes, network: Network())
        let catalog = BuiltinCatalog.load().merged(with: microCatalog)
        return Classifier.classify(Workload(cluster: cluster, services: services, catalog: catalog))
    }

    /// One service on `devices` devices of one node, one instance per device taking one request
    /// at a time (a c-server queue).
    static func devicePool(devices: Int, sloMs: Double, rate: Double) throws -> Plan {
        try microPlan(nodes: [node("n1", devices: devices)], services: [latencyService("s", sloMs: sloMs, rate: rate)]) { plan in
            plan.instances = [plan.instances[0]]
            plan.instances[0].batch = 1
            plan.instances[0].share = 1
            plan.instances[0].capacityPerS = 100
            plan.instances[0].latencyMs = 10
            plan.instances[0].devices = [DeviceRef(node: "n1", device: "dev", index: 0)]
            plan.instances[0].id = "s@n1/dev#0"
            for d in 1..<devices {
                var copy = plan.instances[0]
                copy.devices = [DeviceRef(node: "n1", device: "dev", index: d)]
                copy.id = "s@n1/dev#\(d)"
                plan.instances.append(copy)
            }
        }
    }

    static func latencyService(_ name: String, sloMs: Double, rate: Double = 10, origin: [String] = ["n1"]) -> Service {
        Service(name: name, model: "m", slo: SLO(latencyMs: sloMs), demand: Demand(ratePerS: rate), origin: origin)
    }

    /// Runs `plan` on exactly these arrivals (no generated traffic) and returns the Run and every
    /// request's end, in the order they ended.
    static func run(
        _ plan: Plan, arrivals: [Arrival], options: SimOptions = SimOptions(replanEveryS: 0),
        durationS: Double? = nil
    ) throws -> (Run, [Ended]) {
        let horizon = durationS ?? ((arrivals.map(\.time).max() ?? 0) + 1)
        let trace = TraceSet(sources: [ListedArrivals(arrivals)], digest: "test", durationS: horizon, description: [:])
        return try run(plan, trace: trace, options: options)
    }

    static func run(_ plan: Plan, trace: TraceSet, options: SimOptions) throws -> (Run, [Ended]) {
        let engine = SimEngine(plan: plan, trace: trace, options: options)
        var ended: [Ended] = []
        let names = plan.services.map(\.name)
        engine.recorder.observer = { r, outcome, reason, time in
            ended.append(
                Ended(
                    id: r.id, service: names[r.service.offset], stream: r.stream, outcome: outcome, reason: reason,
                    arrival: r.arrival, end: time))
        }
        let run = try engine.run()
        lastRunUtilization = run.nodes.first?.devices.first?.utilization ?? 0
        return (run, ended)
    }

    static func exampleWorkload() throws -> ClassifiedWorkload {
        let sources = try ["cluster", "services", "catalog"].map {
            try SourceText.load(root.appendingPathComponent("examples/edge-lab/\($0).yaml").path)
        }
        return Classifier.classify(try DocumentReader.workload(sources, builtin: BuiltinCatalog.load()))
    }

    static func examplePlan(policy: Policy = .epara) throws -> Plan {
        try Planner.plan(try exampleWorkload(), options: PlanOptions(policy: policy))
    }

    static func generated(
        _ plan: Plan, durationS: Double, seed: UInt64 = 1, process: ArrivalProcess = .poisson,
        rateScale: Double = 1
    ) throws -> TraceSet {
        try TraceBuilder.build(
            TraceOptions(process: process, durationS: durationS, rateScale: rateScale, seed: seed),
            deployment: Deployment(plan: plan))
    }
}
