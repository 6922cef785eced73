import EparaClassify
import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

/// Invariants of whole runs: every request ends exactly once, the same seed gives the same
/// bytes, and faults and staleness have the effects they should.
final class SimulationPropertyTests: XCTestCase {
    static let faults = FaultPlan(
        events: [
            FaultPlan.Timed(atS: 8, event: .nodeDown("orin-nx-1")),
            FaultPlan.Timed(atS: 10, event: .link(sites: ["campus", "factory"], Link(bandwidthMbps: 20, latencyMs: 40))),
            FaultPlan.Timed(atS: 16, event: .link(sites: ["campus", "factory"], nil)),
            FaultPlan.Timed(atS: 18, event: .nodeUp("orin-nx-1")),
        ], syncLoss: 0.3)

    func assertConserved(_ run: Run, _ ended: [Ended], file: StaticString = #filePath, line: UInt = #line) {
        for service in run.services {
            XCTAssertEqual(
                service.counts.arrivals, service.counts.ended, "\(service.name): arrivals = in SLO + late + dropped + failed",
                file: file, line: line)
            XCTAssertEqual(service.counts.dropped, service.dropReasons.values.reduce(0, +), file: file, line: line)
            XCTAssertEqual(service.counts.failed, service.failReasons.values.reduce(0, +), file: file, line: line)
        }
        XCTAssertEqual(Set(ended.map(\.id)).count, ended.count, "no request ends twice", file: file, line: line)
        XCTAssertEqual(ended.count, run.summary.counts.arrivals, "every request ends", file: file, line: line)
        XCTAssertEqual(run.windows.reduce(0) { $0 + $1.counts.arrivals }, run.summary.counts.arrivals, file: file, line: line)
        XCTAssertEqual(run.windows.reduce(0) { $0 + $1.counts.ended }, run.summary.counts.arrivals, file: file, line: line)
        XCTAssertEqual(run.nodes.reduce(0) { $0 + $1.counts.arrivals }, run.summary.counts.arrivals, file: file, line: line)
    }

    func testEveryRequestOfTheExampleEndsExactlyOnceUnderFaultsAndReplanning() throws {
        let plan = try ServeFixtures.examplePlan()
        let options = SimOptions(replanEveryS: 10, faults: Self.faults, seed: 5)
        let (run, ended) = try ServeFixtures.run(
            plan, trace: try ServeFixtures.generated(plan, durationS: 30, seed: 5, rateScale: 1.5),
            options: options)
        assertConserved(run, ended)
        XCTAssertGreaterThan(run.summary.counts.arrivals, 20_000)
        XCTAssertGreaterThan(run.summary.counts.failed, 0, "requests on the node that went down fail")
        XCTAssertEqual(run.faults.count, 4)
    }

    func testConservationOnRandomClustersAndWorkloads() throws {
        for seed in UInt64(1)...6 {
            let workload = RandomWorkloads.make(seed: seed)
            guard let plan = try? Planner.plan(workload, options: PlanOptions(allowPartial: true)), !plan.instances.isEmpty else { continue }
            let node = plan.cluster.nodes[Int(seed) % plan.cluster.nodes.count].name
            let faults = FaultPlan(
                events: [FaultPlan.Timed(atS: 3, event: .nodeDown(node)), FaultPlan.Timed(atS: 7, event: .nodeUp(node))],
                syncLoss: 0.2)
            let options = SimOptions(replanEveryS: 4, faults: faults, seed: seed)
            let (run, ended) = try ServeFixtures.run(
                plan,
                trace: try ServeFixtures.generated(
                    plan, durationS: 12, seed: seed,
                    process: .gamma(cv: 3)), options: options)
            assertConserved(run, ended)
        }
    }

    func testTheSameSeedGivesAByteIdenticalRunAndAnotherSeedDoesNot() throws {
        let plan = try ServeFixtures.examplePlan()
        func document(seed: UInt64) throws -> Data {
            let options = SimOptions(replanEveryS: 10, faults: Self.faults, seed: seed)
            let engine = SimEngine(
                plan: plan, trace: try ServeFixtures.generated(plan, durationS: 20, seed: seed, process: .gamma(cv: 2)),
                options: options)
            return try JSONOutput.document(try engine.run())
        }
        let first = try document(seed: 11)
        XCTAssertEqual(first, try document(seed: 11))
        XCTAssertNotEqual(first, try document(seed: 12))
    }

    func testANodeFailureFailsItsRequestsAndTrafficMovesToTheSurvivorsAfterMissedSyncs() throws {
        // Two servers behind one gateway; srv-a dies at 20 s. For three sync periods (2 s each)
        // the gateway still sends it requests: refused connections are retried on srv-b. After
        // that it is treated as down and nothing more is lost.
        let nodes = [ServeFixtures.node("gw"), ServeFixtures.node("srv-a"), ServeFixtures.node("srv-b")]
        let service = ServeFixtures.latencyService("s", sloMs: 80, rate: 100, origin: ["gw"])
        let plan = try ServeFixtures.microPlan(nodes: nodes, services: [service]) { plan in
            let template = plan.instances[0]
            plan.instances = ["srv-a", "srv-b"].map { node in
                var copy = template
                copy.id = "s@\(node)/dev#0"
                copy.devices = [DeviceRef(node: node, device: "dev", index: 0)]
                copy.batch = 4
                return copy
            }
        }
        let faults = FaultPlan(events: [FaultPlan.Timed(atS: 20, event: .nodeDown("srv-a"))])
        // A burst just before the failure makes sure srv-a holds requests when it dies.
        var trace = try ServeFixtures.generated(plan, durationS: 60, seed: 2)
        trace.sources.append(ListedArrivals((0..<12).map { Arrival(time: 19.995 + Double($0) * 0.0001, service: 0, origin: 0) }))
        let (run, ended) = try ServeFixtures.run(plan, trace: trace, options: SimOptions(replanEveryS: 0, faults: faults, seed: 2))
        assertConserved(run, ended)
        let failedOrDropped = ended.filter { $0.outcome == .failed || $0.outcome == .dropped }
        XCTAssertGreaterThan(failedOrDropped.count, 0, "what srv-a held when it died is lost")
        XCTAssertTrue(failedOrDropped.allSatisfy { $0.arrival >= 19.9 && $0.arrival < 20.5 }, "only requests in flight at the failure")
        XCTAssertTrue(ended.filter { $0.reason == .nodeDown }.allSatisfy { $0.outcome == .failed })
        let after = ended.filter { $0.arrival > 27 }
        XCTAssertEqual(after.filter { $0.outcome == .completedInSlo }.count, after.count, "srv-b takes everything once srv-a is known down")
        XCTAssertEqual(run.nodes.first { $0.name == "srv-a" }!.upFraction, 20.0 / 60, accuracy: 1e-6)
    }

    func testStaleSyncCostsAttainmentWhenLoadShiftsBetweenSyncs() throws {
        // Four gateways send to two servers; srv-a also serves local traffic on the same device,
        // which only its own handler sees at once. Together they need 94% of the two devices, so
        // the gateways must send srv-a less. They learn how busy srv-a is at each sync: every
        // 50 ms they steer around its bursts; every 10 s they split evenly and overload it.
        let nodes = ["g1", "g2", "g3", "g4", "srv-a", "srv-b"].map { ServeFixtures.node($0) }
        let remote = ServeFixtures.latencyService("remote", sloMs: 60, rate: 180, origin: ["g1", "g2", "g3", "g4"])
        let local = ServeFixtures.latencyService("local", sloMs: 60, rate: 90, origin: ["srv-a"])
        let plan = try ServeFixtures.microPlan(nodes: nodes, services: [remote, local]) { plan in
            let template = plan.instances.first { $0.service == "remote" }!
            plan.instances = [("remote", "srv-a"), ("remote", "srv-b"), ("local", "srv-a")].map { service, node in
                var copy = template
                copy.service = service
                copy.id = "\(service)@\(node)/dev#0"
                copy.devices = [DeviceRef(node: node, device: "dev", index: 0)]
                copy.batch = 4
                return copy
            }
        }
        func attainment(syncS: Double) throws -> Double {
            var options = SimOptions(replanEveryS: 0, seed: 9)
            options.core.syncIntervalS = syncS
            let trace = try ServeFixtures.generated(plan, durationS: 300, seed: 9, process: .gamma(cv: 1.5))
            let (run, ended) = try ServeFixtures.run(plan, trace: trace, options: options)
            assertConserved(run, ended)
            return run.summary.attainment
        }
        let fresh = try attainment(syncS: 0.05), stale = try attainment(syncS: 10)
        XCTAssertGreaterThan(fresh, stale + 0.05, "fresh \(fresh) vs stale \(stale)")
    }

    func testReplanningMovesInstancesWhenDemandChangesAndChargesTheirLoadTime() throws {
        // Plan for the example's demand, then serve three times as much: the first replan adds
        // instances, which take their model's load time before they serve.
        let plan = try ServeFixtures.examplePlan()
        let trace = try ServeFixtures.generated(plan, durationS: 40, seed: 4, rateScale: 3)
        let (run, ended) = try ServeFixtures.run(plan, trace: trace, options: SimOptions(replanEveryS: 10, seed: 4))
        assertConserved(run, ended)
        XCTAssertFalse(run.replans.isEmpty)
        XCTAssertFalse(run.replans[0].added.isEmpty)
        XCTAssertEqual(run.replans[0].atS, 10)
    }
}

/// Small random clusters and workloads from the built-in catalog.
enum RandomWorkloads {
    static func make(seed: UInt64) -> ClassifiedWorkload {
        var random = SeededRandom(seed: seed)
        func pick<T>(_ list: [T]) -> T { list[Int(random.next() % UInt64(list.count))] }
        let types = ["rtx-4090", "l4", "jetson-agx-orin-64gb", "jetson-orin-nx-16gb", "jetson-orin-nano-8gb", "raspberry-pi-5"]
        let sites = ["a", "b"]
        let nodes = (0..<(3 + Int(random.next() % 5))).map { i in
            ClusterNode(name: "n\(i)", site: sites[i % 2], devices: [DeviceGroup(type: pick(types), count: 1 + Int(random.next() % 2))])
        }
        let cluster = Cluster(
            name: "random", nodes: nodes,
            network: Network(
                default: Link(bandwidthMbps: 1000, latencyMs: 0.5),
                links: [SiteLink(sites: ["a", "b"], bandwidthMbps: 100, latencyMs: 5)]))
        var services: [Service] = []
        for i in 0..<(2 + Int(random.next() % 4)) {
            switch random.next() % 3 {
            case 0:
                services.append(
                    Service(
                        name: "llm\(i)", model: pick(["qwen2.5-1.5b", "llama-3-8b-q4"]), slo: SLO(ttftMs: 2000, tpotMs: 150),
                        demand: Demand(ratePerS: 0.5 + random.unit() * 2, inputTokens: 512, outputTokens: 64),
                        origin: [pick(sites)]))
            case 1:
                services.append(
                    Service(
                        name: "img\(i)", model: pick(["resnet-50", "yolo11n", "yolo11s"]), slo: SLO(latencyMs: 60),
                        demand: Demand(ratePerS: 5 + random.unit() * 40), origin: [pick(sites)]))
            default:
                services.append(
                    Service(
                        name: "cam\(i)", model: pick(["yolo11n", "deeplabv3plus-mobilenetv2"]), slo: SLO(latencyMs: 100),
                        stream: StreamDemand(streams: 1 + Int(random.next() % 4), fps: 15), origin: [pick(sites)]))
            }
        }
        return Classifier.classify(Workload(cluster: cluster, services: services, catalog: BuiltinCatalog.load()))
    }
}
