import EparaCore
import XCTest

@testable import EparaPlan
@testable import EparaServe

/// The planner's burst estimator held to the simulator it stands in for: c devices of 10 ms
/// requests, a 50 ms deadline, Gamma arrivals from CV 1 (Poisson) to 6, processing times exact
/// (G/D/c) or exponential (G/M/c).
final class BurstEstimatorTests: XCTestCase {
    func pool(_ devices: Int) throws -> Plan {
        try ServeFixtures.devicePool(devices: devices, sloMs: 50, rate: 10)
    }

    func simulated(devices: Int, rate: Double, cv: Double, serviceCv: Double, seconds: Double) throws -> Double {
        let plan = try pool(devices)
        var options = SimOptions(replanEveryS: 0, seed: 5)
        options.core.serviceTimeCV = serviceCv
        let trace = try TraceBuilder.build(
            TraceOptions(process: .gamma(cv: cv), durationS: seconds, rateScale: rate / 10, seed: 5),
            deployment: Deployment(plan: plan))
        let (run, _) = try ServeFixtures.run(plan, trace: trace, options: options)
        return run.summary.attainment
    }

    func predicted(devices: Int, rate: Double, cv: Double, serviceCv: Double) -> Double {
        BurstEstimator().attainment(
            BurstEstimator.Workload(ratePerS: rate, cv: cv, deadlineS: 0.05, seed: 11, serviceCv: serviceCv),
            pool: Array(repeating: BurstReplica(latencyS: 0.010, periodS: 0.010), count: devices))
    }

    func testPredictedAttainmentIsWithinAFewPointsOfTheSimulatorFromCV1To6() throws {
        var rows: [String] = []
        for (devices, serviceCv) in [(1, 0.0), (3, 0.0), (1, 1.0), (3, 1.0)] {
            for cv in [1.0, 2, 4, 6] {
                let rate = 60.0 * Double(devices)  // ρ = 0.6
                let sim = try simulated(devices: devices, rate: rate, cv: cv, serviceCv: serviceCv, seconds: 60_000 / rate)
                let est = predicted(devices: devices, rate: rate, cv: cv, serviceCv: serviceCv)
                rows.append("c=\(devices) service cv \(serviceCv) arrival cv \(cv): simulated \(sim), predicted \(est)")
                XCTAssertEqual(est, sim, accuracy: 0.04, rows.last!)
            }
        }
        print(rows.joined(separator: "\n"))
    }

    /// A burst of one service spreads over all its replicas (dispatch by estimated completion),
    /// and the pool then serves what the estimator expects of it.
    func testABurstSpreadsOverEveryReplica() throws {
        let plan = try pool(3)
        let burst = (0..<15).map { Arrival(time: 1 + Double($0) * 0.0001, service: 0, origin: 0) }
        let (run, ended) = try ServeFixtures.run(plan, arrivals: burst)
        let busy = run.nodes[0].devices.map(\.utilization)
        XCTAssertEqual(busy.count, 3)
        XCTAssertTrue(busy.allSatisfy { $0 > 0 }, "every replica took part: \(busy)")
        // 3 devices × 50 ms / 10 ms: all 15 within the deadline, the last at 50 ms.
        XCTAssertEqual(ended.filter { $0.outcome == .completedInSlo }.count, 15)
        let est = BurstEstimator().attainment(
            BurstEstimator.Workload(ratePerS: 1, cv: 1, deadlineS: 0.05, seed: 1),
            pool: Array(repeating: BurstReplica(latencyS: 0.01, periodS: 0.01), count: 3))
        XCTAssertEqual(est, 1)
    }

    /// More replicas never lower the expectation, and burstier arrivals never raise it.
    func testMonotoneInReplicasAndInBurstiness() {
        var random = SeededRandom(seed: 3)
        let estimator = BurstEstimator()
        for trial in 0..<60 {
            let deadline = 0.05 + random.unit() * 0.5
            let workload = BurstEstimator.Workload(
                ratePerS: 5 + random.unit() * 80, cv: 1 + random.unit() * 5, deadlineS: deadline,
                seed: UInt64(trial))
            var pool: [BurstReplica] = []
            var last = 0.0
            for _ in 0..<6 {
                let latency = 0.005 + random.unit() * deadline / 2
                pool.append(BurstReplica(latencyS: latency, periodS: latency * (0.2 + 0.8 * random.unit())))
                let now = estimator.attainment(workload, pool: pool)
                XCTAssertGreaterThanOrEqual(now, last - 1e-9, "trial \(trial): a replica lowered attainment")
                last = now
            }
        }
        let replicas = Array(repeating: BurstReplica(latencyS: 0.1, periodS: 0.1), count: 3)
        var previous = 1.0
        for cv in [1.0, 2, 3, 4, 6, 8] {
            let a = estimator.attainment(BurstEstimator.Workload(ratePerS: 12, cv: cv, deadlineS: 0.5, seed: 1), pool: replicas)
            XCTAssertLessThanOrEqual(a, previous + 0.005, "cv \(cv)")
            previous = a
        }
        XCTAssertLessThan(previous, 0.9, "CV 8 at this load misses")
    }
}
