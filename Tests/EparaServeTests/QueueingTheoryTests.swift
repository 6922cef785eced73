import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

/// The simulator against closed-form queueing results: one device serving one request at a
/// time (batch 1), Poisson arrivals, no deadline pressure (a 100 s SLO, early drop off).
final class QueueingTheoryTests: XCTestCase {
    /// Mean time in system of a single-server queue with service time `d` seconds.
    func meanSojournMs(plan: Plan, rate: Double, cv: Double, seconds: Double, seed: UInt64 = 3) throws -> (Double, Run) {
        var options = SimOptions(replanEveryS: 0, seed: seed)
        options.core.earlyDrop = false
        options.core.serviceTimeCV = cv
        let trace = try ServeFixtures.generated(plan, durationS: seconds, seed: seed)
        let (run, _) = try ServeFixtures.run(plan, trace: trace, options: options)
        XCTAssertEqual(run.summary.counts.arrivals, run.summary.counts.completedInSlo, "nothing late, dropped or failed")
        XCTAssertEqual(Double(run.summary.counts.arrivals), rate * seconds, accuracy: rate * seconds * 0.02)
        return (run.services[0].latencyMs!.mean, run)
    }

    func singleDevicePlan(rate: Double, devices: Int = 1) throws -> Plan {
        try ServeFixtures.devicePool(devices: devices, sloMs: 100_000, rate: rate)
    }

    func testMD1MeanTimeInSystemMatchesPollaczekKhinchine() throws {
        // D = 10 ms, λ = 70/s, ρ = 0.7: W = ρD / (2(1−ρ)) = 11.667 ms, T = 21.667 ms.
        let (mean, _) = try meanSojournMs(plan: try singleDevicePlan(rate: 70), rate: 70, cv: 0, seconds: 3000)
        XCTAssertEqual(mean, 21.667, accuracy: 21.667 * 0.03)
    }

    func testMM1MeanTimeInSystem() throws {
        // Exponential service (cv 1) with mean 10 ms at ρ = 0.7: T = D / (1−ρ) = 33.33 ms.
        let (mean, run) = try meanSojournMs(plan: try singleDevicePlan(rate: 70), rate: 70, cv: 1, seconds: 3000)
        XCTAssertEqual(mean, 33.333, accuracy: 33.333 * 0.04)
        // Sojourn in M/M/1 is exponential with that mean: its median is T·ln 2.
        XCTAssertEqual(run.services[0].latencyMs!.p50, 33.333 * log(2), accuracy: 33.333 * log(2) * 0.05)
    }

    func testMMcWithJoinShortestQueueIsCloseToTheCentralQueue() throws {
        // c = 2 devices, λ = 140/s, exponential 10 ms service, ρ = 0.7. Erlang C gives
        // T = 19.61 ms for one shared queue; EPARA keeps a queue per instance and sends each
        // request to the one with less work (true state on the node), which is within a few
        // percent of it and far from two separate M/M/1 queues at 70/s (33.3 ms).
        let a = 1.4, c = 2.0, rho = 0.7
        let p0 = 1 / (1 + a + a * a / (c * (1 - rho)))
        let erlangC = a * a / (c * (1 - rho)) * p0
        let expected = 10 + erlangC * 10 / (c * (1 - rho))
        XCTAssertEqual(expected, 19.61, accuracy: 0.01)
        let (mean, run) = try meanSojournMs(plan: try singleDevicePlan(rate: 140, devices: 2), rate: 140, cv: 1, seconds: 2000)
        XCTAssertEqual(mean, expected, accuracy: expected * 0.08)
        XCTAssertLessThan(mean, 25)
        XCTAssertEqual(run.nodes[0].devices.map(\.utilization).reduce(0, +) / 2, 0.7, accuracy: 0.02)
    }

    func testUtilizationIsTheOfferedLoad() throws {
        let (_, run) = try meanSojournMs(plan: try singleDevicePlan(rate: 50), rate: 50, cv: 0, seconds: 1000)
        XCTAssertEqual(run.nodes[0].devices[0].utilization, 0.5, accuracy: 0.01)
    }
}
