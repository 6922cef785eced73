import EparaClassify
import EparaCore
import XCTest

@testable import EparaPlan

/// The staged greedy against the true optimum of φ, found by trying every subset of candidates.
final class ExhaustiveComparisonTests: XCTestCase {
    func testGreedyReachesAtLeastOneMinusOneOverEOfTheOptimum() throws {
        var ratios: [Double] = []
        var seed: UInt64 = 1
        while ratios.count < 60 && seed < 5000 {
            defer { seed += 1 }
            let workload = PlanFixtures.random(seed: seed * 7919, nodes: 1 + Int(seed % 3), services: 1 + Int(seed % 3))
            let problem = Problem(workload: workload, options: PlanOptions(allowPartial: true))
            let (candidates, markets) = problem.buildCandidates()
            guard (2...14).contains(candidates.count) else { continue }
            let placement = Placement(
                candidates: candidates, markets: markets, slotMemory: problem.slots.map(\.usableMemoryGib),
                slotOverhead: problem.slots.map(\.runtimeOverheadGib))
            var best = 0.0
            for mask in 0..<(1 << candidates.count) {
                let set = (0..<candidates.count).filter { mask & (1 << $0) != 0 }
                if let value = placement.objective(of: set), value > best { best = value }
            }
            guard best > 1e-9 else { continue }
            let plan = problem.solve()
            XCTAssertGreaterThanOrEqual(plan.solver.objective, (1 - 1 / M_E) * best - 1e-6, "seed \(seed)")
            XCTAssertLessThanOrEqual(plan.solver.objective, best + 1e-6, "seed \(seed): greedy above the optimum?")
            ratios.append(plan.solver.objective / best)
        }
        XCTAssertGreaterThanOrEqual(ratios.count, 50, "not enough tiny instances with 2 to 14 candidates")
        let mean = ratios.reduce(0, +) / Double(ratios.count)
        print("greedy / optimum over \(ratios.count) tiny instances: mean \(mean), min \(ratios.min()!)")
    }
}
