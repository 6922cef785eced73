import EparaCapacity
import EparaClassify
import EparaCore
import EparaPlan
import XCTest

/// Attainment does not fall as load falls: the plan EPARA makes for k× a scenario's demand
/// serves it at least as well as the plan for 1.25k× serves its own, within a point (a plan
/// for less demand used to be leaner, and a burst then found spare devices idle). Each load is
/// planned as `epara capacity` plans it (the simulation refinement included) and served on the
/// measurement's seeds, not the planner's.
final class PlanMonotonicityTests: XCTestCase {
    static func scenario(_ files: [String]) throws -> ClassifiedWorkload {
        let sources = try files.map { try SourceText.load(ServeFixtures.root.appendingPathComponent($0).path) }
        return Classifier.classify(try DocumentReader.workload(sources, builtin: BuiltinCatalog.load()))
    }

    func check(_ name: String, _ workload: ClassifiedWorkload, loads: [Double]) throws {
        let evaluation = LoadEvaluation(workload: workload, policy: .epara, durationS: 60, warmupS: 10, seeds: [1, 2])
        var measured: [Double: Double] = [:]
        func attainment(_ scale: Double) throws -> Double {
            if let known = measured[scale] { return known }
            let value = try evaluation.measure(scale: scale).attainment
            measured[scale] = value
            return value
        }
        for k in loads {
            let lower = try attainment(k), higher = try attainment(k * 1.25)
            XCTAssertGreaterThanOrEqual(lower, higher - 0.01, "\(name): \(k)× served at \(lower), \(k * 1.25)× at \(higher)")
        }
    }

    func testSmallIsServedAtLeastAsWellAtLowerLoads() throws {
        let workload = try Self.scenario(["bench/scenarios/small/cluster.yaml", "bench/scenarios/small/services.yaml"])
        try check("small", workload, loads: [0.5, 1, 2])
    }

    func testEdgeLabIsServedAtLeastAsWellAtLowerLoads() throws {
        let workload = try Self.scenario(["examples/edge-lab/cluster.yaml", "examples/edge-lab/services.yaml", "examples/edge-lab/catalog.yaml"])
        try check("edge-lab", workload, loads: [0.8, 1])
    }
}
