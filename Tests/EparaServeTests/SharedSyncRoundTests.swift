import EparaClassify
import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

/// A sync round where everyone hears from everyone is shared by every view (NodeViews.swift):
/// runs must be byte-identical to syncing each ordered pair of nodes.
final class SharedSyncRoundTests: XCTestCase {
    func run(_ plan: Plan, _ trace: TraceSet, _ options: SimOptions, pairByPair: Bool) throws -> Data {
        let engine = SimEngine(plan: plan, trace: trace, options: options)
        engine.syncsPairByPair = pairByPair
        return try JSONOutput.document(try engine.run())
    }

    func testASharedRoundRunsAsPairByPair() throws {
        let example = try ServeFixtures.examplePlan()
        // A node down and back (pair-by-pair rounds meanwhile), replanning (views grow).
        let faults = FaultPlan(events: [
            FaultPlan.Timed(atS: 8, event: .nodeDown("orin-nx-1")), FaultPlan.Timed(atS: 18, event: .nodeUp("orin-nx-1")),
        ])
        for (options, scale) in [(SimOptions(replanEveryS: 0, seed: 2), 1.0), (SimOptions(replanEveryS: 10, faults: faults, seed: 3), 2.0)] {
            let trace = try ServeFixtures.generated(example, durationS: 30, seed: options.seed, process: .gamma(cv: 2), rateScale: scale)
            XCTAssertTrue(try run(example, trace, options, pairByPair: false) == run(example, trace, options, pairByPair: true), "\(scale)x")
        }
        for seed in UInt64(1)...6 {
            let workload = RandomWorkloads.make(seed: seed)
            guard let plan = try? Planner.plan(workload, options: PlanOptions(allowPartial: true)), !plan.instances.isEmpty else { continue }
            let trace = try ServeFixtures.generated(plan, durationS: 12, seed: seed, process: .gamma(cv: 3))
            let options = SimOptions(replanEveryS: 4, seed: seed)
            XCTAssertTrue(try run(plan, trace, options, pairByPair: false) == run(plan, trace, options, pairByPair: true), "random workload \(seed)")
        }
    }
}
