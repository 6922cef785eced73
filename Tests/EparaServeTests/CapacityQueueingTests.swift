import EparaCapacity
import EparaClassify
import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

/// Capacity search through the real planner and simulator, on scenarios whose answer is known.
final class CapacityQueueingTests: XCTestCase {
    /// One device serving one request at a time, exponential service of mean 10 ms (μ = 100/s),
    /// Poisson arrivals, FCFS, SLO 35 ms (tight enough that the plan is one instance), early
    /// drop off: M/M/1, whose time in system is exponential with rate μ − λ. Attainment
    /// 1 − e^{−(μ−λ)·0.035} ≥ 0.9 holds up to λ = μ − ln 10 / 0.035 = 34.21/s, ≥ 0.75 up to
    /// μ − ln 4 / 0.035 = 60.39/s: at 50/s demanded, capacities of 0.684× (found by halving
    /// from 1×) and 1.208× (by doubling). Targets where attainment falls steeply with load keep
    /// the simulation's noise (two seeds of 20 minutes) within the 4% asked.
    func testBisectionFindsTheMM1CapacityTheFormulaGives() throws {
        let workload = ServeFixtures.microWorkload(services: [ServeFixtures.latencyService("s", sloMs: 35, rate: 50)])
        var planOptions = PlanOptions()
        planOptions.maxBatch = 1
        XCTAssertEqual(try Planner.plan(workload, options: planOptions).instances.count, 1, "one queue")
        var evaluation = LoadEvaluation(
            workload: workload, policy: .epara, planOptions: planOptions, durationS: 1200, warmupS: 20,
            seeds: [1, 2])
        evaluation.core = CoreConfig(earlyDrop: false, serviceTimeCV: 1)
        var search = CapacitySearch(options: CapacitySearchOptions(targets: [0.9, 0.75], tolerance: 0.02))
        let results = try search.run { try evaluation.measure(scale: $0) }
        for (result, exact) in zip(results, [(100 - log(10) / 0.035) / 50, (100 - log(4) / 0.035) / 50]) {
            XCTAssertTrue(result.bracketed)
            XCTAssertEqual(result.scale, exact, accuracy: exact * 0.04, "target \(result.target)")
            XCTAssertEqual(result.breaksFirst, "s")
            XCTAssertEqual(result.scaleBySeed.count, 2)
        }
    }

    /// A second device of the same kind never lowers the capacity (here it nearly doubles it).
    func testCapacityIsMonotoneInClusterSize() throws {
        let service = ServeFixtures.latencyService("s", sloMs: 60, rate: 50)
        var capacities: [Double] = []
        for devices in [1, 2, 3] {
            let workload = ServeFixtures.microWorkload(nodes: [ServeFixtures.node("n1", devices: devices)], services: [service])
            let evaluation = LoadEvaluation(workload: workload, policy: .epara, durationS: 60, warmupS: 10, seeds: [1, 2])
            var search = CapacitySearch(options: CapacitySearchOptions(targets: [0.99], tolerance: 0.05))
            capacities.append(try search.run { try evaluation.measure(scale: $0) }[0].scale)
        }
        XCTAssertGreaterThan(capacities[0], 0)
        XCTAssertGreaterThanOrEqual(capacities[1], capacities[0] * 1.5, "\(capacities)")
        XCTAssertGreaterThanOrEqual(capacities[2], capacities[1], "\(capacities)")
    }

    func testLoadScaleMultipliesRatesAndCameraCounts() {
        let workload = ServeFixtures.microWorkload(services: [
            ServeFixtures.latencyService("s", sloMs: 100, rate: 50),
            Service(name: "cam", model: "m", slo: SLO(latencyMs: 100), stream: StreamDemand(streams: 3, fps: 10), origin: ["n1"]),
        ])
        let doubled = LoadScale.scaled(workload, by: 2.5)
        XCTAssertEqual(doubled.services[0].spec.demand?.ratePerS, 125)
        XCTAssertEqual(doubled.services[1].spec.stream?.streams, 8, "7.5 cameras round to 8")
        XCTAssertEqual(doubled.services[1].spec.stream?.fps ?? 0, 75.0 / 8, accuracy: 1e-9, "75 frames/s in all, exactly 2.5×")
        let tenth = LoadScale.scaled(workload, by: 0.1).services[1].spec.stream
        XCTAssertEqual(tenth?.streams, 1, "at least one camera")
        XCTAssertEqual(tenth?.fps ?? 0, 3, accuracy: 1e-9, "3 frames/s in all, 0.1× of 30")
    }
}
