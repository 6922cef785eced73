import EparaClassify
import EparaCore
import XCTest

@testable import EparaPlan

/// One offer per class of equivalent devices is a representation, not a different method: every
/// policy plans exactly what one candidate per device plans, replanning included.
final class DeviceClassTests: XCTestCase {
    /// The plan a problem solves to, with the count of gain evaluations (which grouping lowers) left out.
    func solved(_ workload: ClassifiedWorkload, _ options: PlanOptions, grouped: Bool) -> Plan {
        var plan = Problem(workload: workload, options: options, groupsEquivalentDevices: grouped).solve()
        plan.solver.objectiveEvaluations = 0
        return plan
    }

    func testGroupedDevicesPlanWhatOneCandidatePerDevicePlans() {
        var grouped = 0
        for seed in UInt64(1)...12 {
            let nodes = 6 + Int(seed % 5) * 6
            let workload = PlanFixtures.random(seed: seed * 104_729, nodes: nodes, services: 3 + Int(seed % 4) * 3)
            for policy in Policy.allCases {
                let options = PlanOptions(policy: policy, allowPartial: true)
                let reference = solved(workload, options, grouped: false)
                let plan = solved(workload, options, grouped: true)
                XCTAssertEqual(plan, reference, "seed \(seed), \(policy.rawValue)")
                if plan != reference { return }
                // Replanning: the previous plan's devices form classes of their own.
                var replan = options
                replan.previous = reference
                replan.observed = ObservedDemand(
                    runId: nil, demandPerS: Dictionary(uniqueKeysWithValues: workload.services.map { ($0.name, $0.spec.offeredRate * 1.3) }),
                    demandByOrigin: [:], nodesDown: [], windowsRead: 1)
                XCTAssertEqual(
                    solved(workload, replan, grouped: true), solved(workload, replan, grouped: false), "seed \(seed), \(policy.rawValue), replanned")
            }
            let problem = Problem(workload: workload, options: PlanOptions(allowPartial: true))
            let table = problem.buildCandidates().candidates
            if table.offers.count < table.count { grouped += 1 }
        }
        XCTAssertGreaterThan(grouped, 6, "most workloads have devices that group")
    }

    /// A generated fleet of 300 nodes, where many candidates tie on gain: the lazy greedy's stale
    /// bounds differ between the two representations, and the plans must not (they did while
    /// gains carried rounding noise: `FlowMarket.valueGain`).
    func testGroupedDevicesPlanTheSameOnAGeneratedFleet() {
        let workload = Classifier.classify(SyntheticFleet.workload(nodes: 300, services: 60, seed: 42))
        let options = PlanOptions(allowPartial: true)
        XCTAssertEqual(solved(workload, options, grouped: true), solved(workload, options, grouped: false))
    }

    /// Every concrete index maps to an offer and a device and back, and `forEachConcrete` visits them in order.
    func testConcreteIndicesRoundTrip() {
        let workload = PlanFixtures.random(seed: 77, nodes: 30, services: 8)
        let table = Problem(workload: workload, options: PlanOptions(allowPartial: true)).buildCandidates().candidates
        XCTAssertLessThan(table.offers.count, table.count)
        var visited: [Int] = []
        table.forEachConcrete { visited.append($0.index) }
        XCTAssertEqual(visited, Array(0..<table.count))
        for index in 0..<table.count {
            let (offer, slot) = table.locate(index)
            XCTAssertEqual(table.index(ofOffer: offer, on: slot), index)
            XCTAssertEqual(table[index].index, index)
            XCTAssertEqual(table[index].slots.count == 1 ? table[index].slots[0] : slot, slot)
        }
    }
}
