import EparaClassify
import EparaCore
import XCTest

@testable import EparaPlan

/// Invariants of every plan, on random clusters and workloads, for every policy.
final class PlanPropertyTests: XCTestCase {
    func check(_ plan: Plan, _ workload: ClassifiedWorkload, context: String) {
        let latency = LatencyModel(catalog: workload.catalog)
        // No device over its memory or its time.
        for use in plan.devices {
            XCTAssertLessThanOrEqual(use.memoryUsedGib, use.memoryGib * 0.9 + 1e-3, "\(context): \(use.device.id) over memory")
            XCTAssertLessThanOrEqual(use.shareUsed, 1 + 1e-6, "\(context): \(use.device.id) over its time")
        }
        for instance in plan.instances {
            let service = workload.services.first { $0.name == instance.service }!
            let model = workload.catalog.model(service.spec.model)!
            // Every instance meets its SLO by the latency model (processing, before network).
            let deadline = service.spec.slo.ttftMs ?? service.spec.slo.latencyMs!
            XCTAssertLessThanOrEqual(instance.latencyMs, deadline + 1e-6, "\(context): \(instance.id) too slow")
            if let tpot = service.spec.slo.tpotMs, let measured = instance.tpotMs {
                XCTAssertLessThanOrEqual(measured, tpot + 1e-6, "\(context): \(instance.id) TPOT")
            }
            if instance.stages.isEmpty {
                XCTAssertEqual(instance.devices.count, 1)
                let device = workload.catalog.device(instance.devices[0].device)!
                let t =
                    model.kind == .vision
                    ? latency.batchLatencyMs(model, on: device, batch: instance.batch) / (instance.share > 0 ? instance.share : 1) : 0
                if model.kind == .vision { XCTAssertLessThanOrEqual(t, deadline + 1e-6, "\(context): \(instance.id) batch latency") }
            } else {
                // Model-parallel groups are well formed: stages cover the layers once, on the devices listed.
                let fractions = instance.stages.reduce(0) { $0 + $1.layerFraction }
                XCTAssertEqual(fractions, 1, accuracy: 1e-4, "\(context): \(instance.id) layer split")
                XCTAssertEqual(instance.stages.reduce(0) { $0 + $1.tensorParallel }, instance.devices.count)
                XCTAssertEqual(Set(instance.devices).count, instance.devices.count, "\(context): a device twice in a group")
                // Each (node, device type) holds as many devices as its stages use (a pipeline inside
                // a node has several stages on one type).
                for stage in instance.stages {
                    let used = instance.stages.filter { $0.node == stage.node && $0.device == stage.device }.reduce(0) { $0 + $1.tensorParallel }
                    XCTAssertEqual(instance.devices.filter { $0.node == stage.node && $0.device == stage.device }.count, used)
                }
            }
        }
        XCTAssertEqual(Set(plan.instances.map(\.id)).count, plan.instances.count, "\(context): instance ids repeat")
        // Groups with a reserved share hold their devices alone; burst replicas (share 0) share
        // devices with other services, one replica of a service per device.
        for use in plan.devices where use.instances.count > 1 {
            var services: [String] = []
            for id in use.instances {
                let instance = plan.instances.first { $0.id == id }!
                XCTAssertTrue(instance.stages.isEmpty || instance.share == 0, "\(context): a group shares \(use.device.id)")
                if instance.share == 0 { services.append(instance.service) }
            }
            XCTAssertEqual(Set(services).count, services.count, "\(context): two burst replicas of one service on \(use.device.id)")
        }
        // Routing weights are fractions that add up to one where there are targets.
        for route in plan.routing where !route.targets.isEmpty {
            XCTAssertEqual(route.targets.reduce(0) { $0 + $1.weight }, 1, accuracy: 1e-4, "\(context): weights of \(route.service)@\(route.origin)")
        }
        XCTAssertLessThanOrEqual(plan.predicted.goodputPerS, plan.predicted.upperBoundGoodputPerS + 1e-3, "\(context): above the bound")
        XCTAssertLessThanOrEqual(plan.predicted.goodputPerS, plan.predicted.demandPerS + 1e-3)
    }

    func testInvariantsOnRandomClustersForEveryPolicy() throws {
        for seed in 1...30 as ClosedRange<UInt64> {
            let workload = PlanFixtures.random(seed: seed, nodes: 3 + Int(seed % 10), services: 2 + Int(seed % 6))
            for policy in Policy.allCases {
                let plan = try Planner.plan(workload, options: PlanOptions(policy: policy, allowPartial: true))
                check(plan, workload, context: "seed \(seed) \(policy.rawValue)")
                XCTAssertEqual(
                    plan, try Planner.plan(workload, options: PlanOptions(policy: policy, allowPartial: true)),
                    "seed \(seed) \(policy.rawValue): not deterministic")
            }
        }
    }

    func testLazyEvaluationGivesThePlainGreedyResultWithFarFewerEvaluations() throws {
        var lazyTotal = 0, plainTotal = 0
        for seed in 100...101 as ClosedRange<UInt64> {
            let workload = PlanFixtures.random(seed: seed, nodes: 120, services: 30)
            let lazy = try Planner.plan(workload, options: PlanOptions(allowPartial: true, lazy: true))
            let plain = try Planner.plan(workload, options: PlanOptions(allowPartial: true, lazy: false))
            XCTAssertEqual(lazy.instances, plain.instances, "seed \(seed)")
            lazyTotal += lazy.solver.objectiveEvaluations
            plainTotal += plain.solver.objectiveEvaluations
        }
        print("objective evaluations: lazy \(lazyTotal), plain \(plainTotal), ratio \(Double(plainTotal) / Double(lazyTotal))")
        XCTAssertGreaterThanOrEqual(Double(plainTotal) / Double(lazyTotal), 10)
    }
}
