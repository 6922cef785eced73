import EparaClassify
import EparaCore
import XCTest

@testable import EparaPlan

/// EPARA with parts turned off, for the evaluation's ablations.
final class AblationTests: XCTestCase {
    func plan(without: Set<Ablation>) throws -> Plan {
        var options = PlanOptions(allowPartial: true)
        options.without = without
        return try Planner.plan(try PlanFixtures.example(), options: options)
    }

    func testWithoutModelParallelismEveryInstanceHasOneDevice() throws {
        let full = try plan(without: [])
        XCTAssertTrue(full.instances.contains { $0.modes.contains("MP") }, "the example needs model parallelism")
        let ablated = try plan(without: [.modelParallel])
        XCTAssertTrue(ablated.instances.allSatisfy { $0.devices.count == 1 && !$0.modes.contains("MP") })
        XCTAssertEqual(ablated.solver.without, ["model-parallel"])
        XCTAssertNotEqual(ablated.inputDigest, full.inputDigest)
        XCTAssertEqual(ablated.workloadDigest, full.workloadDigest, "the same workload, comparable runs")
        XCTAssertLessThan(ablated.predicted.goodputPerS, full.predicted.goodputPerS)
    }

    func testWithoutCategoriesNoFramePackingAndOneGreedyStage() throws {
        let full = try plan(without: [])
        XCTAssertTrue(full.instances.contains { $0.modes.contains("MF") })
        let ablated = try plan(without: [.categories])
        XCTAssertFalse(ablated.instances.contains { $0.modes.contains("MF") })
        XCTAssertEqual(ablated.solver.stages.map { $0.name.components(separatedBy: " (").first! }, ["all instances"])
        XCTAssertEqual(ablated.solver.without, ["categories"])
        XCTAssertNil(full.solver.without)
    }
}
