import EparaClassify
import EparaCore
import EparaLive
import EparaPlan
import XCTest

@testable import EparaServe

/// The live engine runs the simulator's request-handling core unchanged, in wall-clock time on
/// the emulated backend. These tests hold it to the simulator.
final class LiveEngineTests: XCTestCase {
    /// A device whose batches take 10 ms (1), 15 ms (2), 25 ms (4), times `slowdown`.
    static func catalog(slowdown: Double = 1) -> Catalog {
        Catalog(
            devices: [
                DeviceType(
                    name: "dev", deviceClass: .gpu, memoryGib: 16, fp16Tflops: 10, fp32Tflops: 5, int8Tops: 20,
                    memoryBandwidthGbytesPerS: 100, kernelOverheadUs: 10, computeEfficiency: 0.5, memoryEfficiency: 0.7, source: "test")
            ],
            models: [
                ModelSpec(
                    name: "m", kind: .vision, precision: .fp16, parameters: 1e6, bytesPerWeight: 2, gflopsPerItem: 1,
                    activationMibPerItem: 1, kernels: 10, inputBytes: 1000, outputBytes: 100, source: "test")
            ],
            profiles: [
                Profile(
                    model: "m", device: "dev",
                    points: [
                        .init(batch: 1, latencyMs: 10 * slowdown), .init(batch: 2, latencyMs: 15 * slowdown),
                        .init(batch: 4, latencyMs: 25 * slowdown),
                    ], source: "test")
            ])
    }

    static func plan(rate: Double, sloMs: Double, slowdown: Double = 1) throws -> Plan {
        let cluster = Cluster(
            name: "t",
            nodes: [
                ClusterNode(name: "n1", site: "s", devices: [DeviceGroup(type: "dev", count: 1)]),
                ClusterNode(name: "n2", site: "s", devices: [DeviceGroup(type: "dev", count: 1)]),
            ],
            network: Network())
        let service = Service(name: "s", model: "m", slo: SLO(latencyMs: sloMs), demand: Demand(ratePerS: rate), origin: ["n1", "n2"])
        var plan = try Planner.plan(
            Classifier.classify(
                Workload(cluster: cluster, services: [service], catalog: BuiltinCatalog.load().merged(with: Self.catalog(slowdown: slowdown)))),
            options: PlanOptions(allowPartial: true))
        plan.instances = plan.instances.map {
            var i = $0; i.batch = 1; return i
        }
        return plan
    }

    func testUnknownNamesAreRefused() async throws {
        let engine = LiveEngine(plan: try Self.plan(rate: 10, sloMs: 100))
        do {
            _ = try await engine.submit(service: "nope")
            XCTFail("accepted an unknown service")
        } catch {
            XCTAssertEqual(error, .unknownService("nope"))
        }
        do {
            _ = try await engine.submit(service: "s", origin: "n9")
            XCTFail("accepted an unknown node")
        } catch {
            XCTAssertEqual(error, .unknownNode("n9"))
        }
    }

    /// A new plan put in force under load: the instance on n1 goes, one on n2 stays; every
    /// request in flight or queued still ends in an answer, none fails.
    func testReloadUnderLoadLosesNothing() async throws {
        let before = { (plan: Plan) -> Plan in
            var plan = plan
            plan.instances = ["n1", "n2"].map { node in
                var copy = plan.instances[0]
                copy.id = "s@\(node)/dev#0"
                copy.devices = [DeviceRef(node: node, device: "dev", index: 0)]
                return copy
            }
            return plan
        }(try Self.plan(rate: 100, sloMs: 500))
        // The plan after: n1's instance gone, and with it every reference to it (a reload checks them).
        let after = { () -> Plan in
            var plan = before
            plan.instances = before.instances.filter { $0.devices[0].node == "n2" }
            let kept = Set(plan.instances.map(\.id))
            for i in plan.routing.indices {
                plan.routing[i].targets = plan.routing[i].targets.filter { kept.contains($0.instance) }
                let total = plan.routing[i].targets.reduce(0) { $0 + $1.weight }
                for k in plan.routing[i].targets.indices where total > 0 { plan.routing[i].targets[k].weight /= total }
            }
            for i in plan.allocations.indices { plan.allocations[i].instances = plan.allocations[i].instances.filter(kept.contains) }
            for i in plan.devices.indices { plan.devices[i].instances = plan.devices[i].instances.filter(kept.contains) }
            XCTAssertEqual(plan.problems(), [])
            return plan
        }()
        let engine = LiveEngine(plan: before)
        engine.startSync(every: 0.1)
        let clock = ContinuousClock()
        let start = clock.now
        let results = await withTaskGroup(of: LiveResult?.self) { group in
            for k in 0..<200 {
                group.addTask {
                    try? await clock.sleep(until: start + .milliseconds(k * 5))
                    return try? await engine.submit(service: "s", origin: k % 2 == 0 ? "n1" : "n2").result
                }
            }
            group.addTask {
                try? await clock.sleep(until: start + .milliseconds(500))
                try? engine.reload(after)
                return nil
            }
            var all: [LiveResult] = []
            for await r in group { if let r { all.append(r) } }
            return all
        }
        engine.stop()
        XCTAssertEqual(results.count, 200, "every request answered")
        XCTAssertEqual(results.filter { $0.outcome == .failed }.count, 0, "no request fails across the reload")
        let state = try engine.state(node: "n1")
        XCTAssertTrue(state.instances.allSatisfy { !$0.live }, "n1's instance no longer takes requests")
    }

    /// The same plan and arrivals through the simulator and, in real time, through the live
    /// engine on the emulated backend: every request answered, goodput within 10%. The device is
    /// three times slower than the other tests' (batches of 30–75 ms, SLO 75 ms) so that a busy
    /// machine's few milliseconds of scheduling delay are not what decides the count.
    func testLiveMatchesTheSimulatorWithinTenPercent() async throws {
        let slowdown = 3.0
        let durationS = 6.0
        let rate = 185 / slowdown
        let plan = try Self.plan(rate: rate, sloMs: 25 * slowdown, slowdown: slowdown)
        var generator = GeneratedArrivals(service: 0, ratePerS: rate, process: .poisson, endS: durationS, random: SeededRandom(seed: 5))
        var arrivals: [Arrival] = []
        var k: Int32 = 0
        while var a = generator.next() {
            a.origin = NodeIndex(raw: k % 2)
            k += 1
            arrivals.append(a)
        }
        let sim = SimEngine(
            plan: plan, trace: TraceSet(sources: [ListedArrivals(arrivals)], digest: "t", durationS: durationS, description: [:]),
            options: SimOptions(replanEveryS: 0, seed: 5))
        let simRun = try sim.run()
        let simInSLO = simRun.summary.counts.completedInSlo

        let engine = LiveEngine(plan: plan)
        engine.startSync(every: 0.5)
        let clock = ContinuousClock()
        let start = clock.now
        let results = await withTaskGroup(of: LiveResult?.self) { group in
            for a in arrivals {
                group.addTask {
                    try? await clock.sleep(until: start + .nanoseconds(Int64(a.time * 1e9)))
                    return try? await engine.submit(service: "s", origin: a.origin == 0 ? "n1" : "n2").result
                }
            }
            var all: [LiveResult] = []
            for await r in group { if let r { all.append(r) } }
            return all
        }
        engine.stop()
        XCTAssertEqual(results.count, arrivals.count, "every request gets an answer")
        XCTAssertEqual(Set(results.map(\.id)).count, arrivals.count)
        let liveInSLO = results.filter { $0.outcome == .completedInSlo }.count
        XCTAssertGreaterThan(simInSLO, arrivals.count / 2)
        print("live engine fidelity: \(liveInSLO) vs \(simInSLO) in SLO of \(arrivals.count)")
        XCTAssertEqual(
            Double(liveInSLO), Double(simInSLO), accuracy: Double(simInSLO) * 0.1,
            "goodput live \(liveInSLO) vs simulated \(simInSLO) of \(arrivals.count)")
    }
}
