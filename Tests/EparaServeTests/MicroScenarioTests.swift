import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

/// Hand-computed scenarios on one device whose batch times are 10 ms (1), 15 ms (2), 20 ms (3,
/// interpolated), 25 ms (4): each expected time below follows from those numbers.
final class MicroScenarioTests: XCTestCase {
    func a(_ t: Double, _ service: ServiceIndex = 0, stream: Int32? = nil) -> Arrival {
        Arrival(time: t, service: service, stream: stream, origin: 0)
    }

    func testLatencyRequestsOnASharedDeviceRunEarliestDeadlineFirst() throws {
        // One instance of each on the one device, by hand (whatever the planner chose).
        let plan = try ServeFixtures.microPlan(services: [
            ServeFixtures.latencyService("relaxed", sloMs: 100),
            ServeFixtures.latencyService("urgent", sloMs: 30),
        ]) { plan in
            plan.instances = [plan.instances.first { $0.service == "relaxed" }!]
            plan.instances[0].share = 1
            var urgent = plan.instances[0]
            urgent.service = "urgent"
            urgent.id = "urgent@n1/dev#0"
            plan.instances.append(urgent)
            for i in plan.instances.indices { plan.instances[i].batch = 1 }
        }
        XCTAssertEqual(plan.instances.count, 2)
        XCTAssertEqual(Set(plan.instances.map(\.devices)).count, 1, "both share the one device")
        // relaxed#0 runs 0–10 ms; relaxed#1 (deadline 101 ms) and urgent#2 (deadline 32 ms) wait.
        let (_, ended) = try ServeFixtures.run(plan, arrivals: [a(0), a(0.001), a(0.002, 1)])
        XCTAssertEqual(ended.map(\.id), [0, 2, 1])
        XCTAssertEqual(ended.map { ($0.end * 1000).rounded() }, [10, 20, 30])
        XCTAssertTrue(ended.allSatisfy { $0.outcome == .completedInSlo })
    }

    func testBatchesFormFromRequestsThatQueuedWhileTheDeviceWasBusy() throws {
        let plan = try ServeFixtures.microPlan(services: [ServeFixtures.latencyService("s", sloMs: 100)]) { $0.instances[0].batch = 4 }
        let (_, ended) = try ServeFixtures.run(plan, arrivals: [a(0), a(0.001), a(0.002), a(0.003), a(0.004), a(0.005)])
        // #0 alone (0–10 ms); #1–#4 as one batch of 4 (10–35 ms); #5 alone (35–45 ms).
        XCTAssertEqual(ended.map { ($0.end * 1000).rounded() }, [10, 35, 35, 35, 35, 45])
        XCTAssertEqual(ended.map(\.id), [0, 1, 2, 3, 4, 5])
    }

    func testBatchSizeIsBoundedByTheMostUrgentDeadlineAndHopelessRequestsDropEarly() throws {
        let plan = try ServeFixtures.microPlan(services: [ServeFixtures.latencyService("s", sloMs: 30)]) { $0.instances[0].batch = 4 }
        let arrivals = [a(0), a(0.001), a(0.002), a(0.003), a(0.004)]
        let (run, ended) = try ServeFixtures.run(plan, arrivals: arrivals)
        // At 10 ms four wait; a batch of 4 would end at 35 ms, past #1's deadline (31 ms), so 3
        // run (20 ms, ending at 30 ms). At 30 ms #4 (deadline 34 ms) cannot finish even alone.
        let byID = Dictionary(uniqueKeysWithValues: ended.map { ($0.id, $0) })
        XCTAssertEqual((byID[0]!.end * 1000).rounded(), 10)
        XCTAssertEqual([1, 2, 3].map { (byID[$0]!.end * 1000).rounded() }, [30, 30, 30])
        XCTAssertEqual(byID[4]!.outcome, .dropped)
        XCTAssertEqual(byID[4]!.reason, .deadlineUnreachable)
        XCTAssertEqual(run.services[0].dropReasons, ["deadline_unreachable": 1])

        // Without early drop the last request runs and completes late (30–40 ms).
        var options = SimOptions(replanEveryS: 0)
        options.core.earlyDrop = false
        let (lateRun, late) = try ServeFixtures.run(plan, arrivals: arrivals, options: options)
        let last = late.first { $0.id == 4 }!
        XCTAssertEqual(last.outcome, .completedLate)
        XCTAssertEqual((last.end * 1000).rounded(), 40)
        XCTAssertEqual(lateRun.summary.counts.completedLate, 1)
    }

    func testFramesOfOneStreamArePackedTogether() throws {
        let stream = Service(name: "cam", model: "m", slo: SLO(latencyMs: 200), stream: StreamDemand(streams: 1, fps: 10), origin: ["n1"])
        let packed = try ServeFixtures.microPlan(services: [stream]) { plan in
            plan.instances[0].batch = 2
            plan.instances[0].framesPacked = 2
        }
        let frames = [0, 0.1, 0.2, 0.3].map { a($0, stream: 0) }
        let (_, ended) = try ServeFixtures.run(packed, arrivals: frames)
        // Frame 0 waits for frame 1 (due at 100 ms); the pack of 2 runs 100–115 ms.
        XCTAssertEqual(ended.map { ($0.latencyMs * 10).rounded() / 10 }, [115, 15, 115, 15])
        XCTAssertTrue(ended.allSatisfy { $0.outcome == .completedInSlo })

        let unpacked = try ServeFixtures.microPlan(services: [stream]) { plan in
            plan.instances[0].batch = 2
            plan.instances[0].framesPacked = 1
        }
        let (_, alone) = try ServeFixtures.run(unpacked, arrivals: frames)
        XCTAssertEqual(alone.map { ($0.latencyMs * 10).rounded() / 10 }, [10, 10, 10, 10])
    }

    func testAPackStopsWaitingWhenItsHeadWouldMissItsDeadline() throws {
        // At 10 fps a pack of 4 would hold frame 0 for 300 ms, past its 100 ms deadline: it runs
        // when waiting longer would miss (100 − 10 ms for a batch of 1).
        let stream = Service(name: "cam", model: "m", slo: SLO(latencyMs: 100), stream: StreamDemand(streams: 1, fps: 10), origin: ["n1"])
        let plan = try ServeFixtures.microPlan(services: [stream]) { plan in
            plan.instances[0].batch = 4
            plan.instances[0].framesPacked = 4
        }
        let (_, ended) = try ServeFixtures.run(plan, arrivals: [a(0, stream: 0)])
        XCTAssertEqual(ended.count, 1)
        XCTAssertEqual(ended[0].outcome, .completedInSlo)
        XCTAssertEqual(ended[0].latencyMs, 100, accuracy: 0.01)
    }

    func testAnUrgentRequestPreemptsAFrameBatchWhichResumesFirst() throws {
        // A relaxed request runs 0–10 ms while 8 frames queue; their batch (45 ms) runs from
        // 10 ms. A 30 ms request arriving at 11 ms would miss waiting for it, so it preempts:
        // 11–21 ms. The batch resumes with its 44 ms left (21–65 ms).
        let camera = Service(name: "cam", model: "m", slo: SLO(latencyMs: 100), stream: StreamDemand(streams: 8, fps: 10), origin: ["n1"])
        let plan = try ServeFixtures.microPlan(services: [
            camera, ServeFixtures.latencyService("urgent", sloMs: 30),
            ServeFixtures.latencyService("relaxed", sloMs: 100),
        ]) { plan in
            let template = plan.instances.first { $0.service == "cam" }!
            plan.instances = [("cam", 8), ("urgent", 1), ("relaxed", 1)].map { service, batch in
                var copy = template
                copy.service = service
                copy.id = "\(service)@n1/dev#0"
                copy.batch = batch
                copy.framesPacked = 1
                return copy
            }
        }
        let frames = (0..<8).map { Arrival(time: 0.001, service: 0, stream: Int32($0), origin: 0) }
        let (_, ended) = try ServeFixtures.run(plan, arrivals: [a(0, 2)] + frames + [a(0.011, 1)])
        let ends = Dictionary(grouping: ended, by: \.service).mapValues { $0.map { ($0.end * 1000).rounded() } }
        XCTAssertEqual(ends["relaxed"], [10])
        XCTAssertEqual(ends["urgent"], [21])
        XCTAssertEqual(ends["cam"], Array(repeating: 65, count: 8))
        XCTAssertTrue(ended.allSatisfy { $0.outcome == .completedInSlo })
        XCTAssertEqual(ServeFixtures.lastRunUtilization, 0.065 / 1.011, accuracy: 1e-4, "busy 65 ms, no time counted twice")
    }

    func testRequestsWithNoInstanceWithinReachAreDroppedAtOnce() throws {
        // 5 ms cannot hold even the 10 ms a lone request takes.
        let plan = try ServeFixtures.microPlan(services: [ServeFixtures.latencyService("s", sloMs: 100)])
        var tight = plan
        tight.services[0].spec.slo = SLO(latencyMs: 5)
        let (run, ended) = try ServeFixtures.run(tight, arrivals: [a(0)])
        XCTAssertEqual(ended.first?.reason, .noFeasibleInstance)
        XCTAssertEqual(run.summary.counts.dropped, 1)
    }

    /// `local` dispatch: the best instance on the request's own node, never one elsewhere, even
    /// when the one at home is busy and a remote one is idle; best-completion dispatch uses both.
    func testLocalDispatchKeepsRequestsOnTheirNode() throws {
        let nodes = [ServeFixtures.node("n1"), ServeFixtures.node("n2")]
        let plan = try ServeFixtures.microPlan(nodes: nodes, services: [ServeFixtures.latencyService("s", sloMs: 100)]) { plan in
            var home = plan.instances[0]
            home.batch = 1
            home.share = 1
            home.devices = [DeviceRef(node: "n1", device: "dev", index: 0)]
            home.id = "s@n1/dev#0"
            var away = home
            away.devices = [DeviceRef(node: "n2", device: "dev", index: 0)]
            away.id = "s@n2/dev#0"
            plan.instances = [home, away]
        }
        let burst = (0..<6).map { a(1 + Double($0) * 0.0001) }
        var options = SimOptions(replanEveryS: 0)
        options.core.dispatch = .local
        let (localRun, _) = try ServeFixtures.run(plan, arrivals: burst, options: options)
        XCTAssertEqual(localRun.nodes.first { $0.name == "n2" }?.served ?? -1, 0, "nothing left n1")
        options.core.dispatch = .bestCompletion
        let (anywhere, _) = try ServeFixtures.run(plan, arrivals: burst, options: options)
        XCTAssertGreaterThan(anywhere.nodes.first { $0.name == "n2" }?.served ?? 0, 0, "the idle remote instance took some")
        XCTAssertEqual(Policy.local.servingDispatch, .local)
        XCTAssertEqual(Policy.epara.servingDispatch, .bestCompletion)
        XCTAssertEqual(Policy.alpaserve.servingDispatch, .bestCompletion)
        XCTAssertEqual(Policy.roundRobin.servingDispatch, .planWeights)
        XCTAssertEqual(Policy.epara.ablations, Set(Ablation.allCases))
        XCTAssertEqual(Policy.alpaserve.ablations, [.modelParallel])
        XCTAssertEqual(Policy.local.ablations, [])
    }

    /// Cameras that tick together, on twelve nodes, served by four instances on four others:
    /// every handler reads the same synced state, and the frames of one instant must not all go
    /// to the instance that looks best on it (nor, sending one frame each, all move to the same
    /// next one). Together the four have 3× the capacity the cameras need.
    func testFramesFromManyCamerasSpreadOverTheInstancesInsteadOfHerding() throws {
        let cameras = (1...12).map { ServeFixtures.node("c\($0)") }
        let workers = (1...4).map { ServeFixtures.node("w\($0)") }
        let service = Service(
            name: "cam", model: "m", slo: SLO(latencyMs: 60), stream: StreamDemand(streams: 12, fps: 10),
            origin: cameras.map(\.name))
        let plan = try ServeFixtures.microPlan(nodes: cameras + workers, services: [service]) { plan in
            var template = plan.instances[0]
            template.batch = 1
            template.share = 1
            template.framesPacked = 1
            template.capacityPerS = 100
            template.latencyMs = 10
            plan.instances = workers.map { w in
                var instance = template
                instance.devices = [DeviceRef(node: w.name, device: "dev", index: 0)]
                instance.id = "cam@\(w.name)/dev#0"
                return instance
            }
        }
        let frames = (0..<100).flatMap { tick in
            (0..<12).map { k in Arrival(time: 0.5 + Double(tick) * 0.1, service: 0, stream: Int32(k), origin: NodeIndex(k)) }
        }
        let (run, _) = try ServeFixtures.run(plan, arrivals: frames)
        XCTAssertEqual(run.summary.counts.arrivals, 1200)
        XCTAssertGreaterThanOrEqual(run.summary.attainment, 0.95)
        for w in workers {
            XCTAssertGreaterThan(run.nodes.first { $0.name == w.name }?.served ?? 0, 100, "\(w.name) took its part")
        }
    }
}
