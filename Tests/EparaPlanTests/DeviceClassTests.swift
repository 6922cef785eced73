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

    /// Round robin picks, among every concrete candidate, the next that fits from the pointer by
    /// its first device (a group by its first device only): the walk over offers must pick the
    /// same as this walk over every concrete candidate, the one before offers.
    func testRoundRobinOverOffersPicksWhatItPicksOverEveryCandidate() {
        for seed in UInt64(1)...12 {
            let workload = PlanFixtures.random(seed: seed * 31_337, nodes: 6 + Int(seed % 4) * 5, services: 4 + Int(seed % 3) * 2)
            let problem = Problem(workload: workload, options: PlanOptions(policy: .roundRobin, allowPartial: true))
            let (table, markets) = problem.buildCandidates()
            let placement = Placement(
                candidates: table, markets: markets, slotMemory: problem.slots.map(\.usableMemoryGib),
                slotOverhead: problem.slots.map(\.runtimeOverheadGib))
            var all: [Candidate] = []
            table.forEachConcrete { all.append($0) }
            var state = placement.initialState()
            let byService = Dictionary(grouping: all.filter { $0.share == 1 }, by: \.service)
            var supply: [Int: Double] = [:]
            var pointer = 0
            var progress = true
            let count = max(problem.slots.count, 1)
            while progress {
                progress = false
                for ctx in problem.contexts where supply[ctx.index, default: 0] < ctx.demandPerS {
                    guard let options = byService[ctx.index] else { continue }
                    let distance = { (c: Candidate) in (c.slots[0] - pointer + count) % count }
                    guard
                        let pick = options.filter({ placement.fits($0, state) }).min(by: {
                            (distance($0), $0.index) < (distance($1), $1.index)
                        })
                    else { continue }
                    placement.apply(pick, gain: placement.gain(pick, state), to: &state)
                    supply[ctx.index, default: 0] += pick.capacityPerS
                    pointer = (pick.slots.last! + 1) % count
                    progress = true
                }
            }
            XCTAssertEqual(RoundRobinSearch.placement(problem, placement), state.chosen, "seed \(seed)")
        }
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
