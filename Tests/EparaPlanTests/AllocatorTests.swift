import EparaClassify
import EparaCore
import XCTest

@testable import EparaPlan

final class AllocatorTests: XCTestCase {
    func classified(_ nodes: [ClusterNode], _ services: [Service]) -> ClassifiedWorkload {
        Classifier.classify(
            Workload(
                cluster: Cluster(name: "t", nodes: nodes, network: Network()), services: services,
                catalog: PlanFixtures.catalog), thresholds: Thresholds())
    }

    /// One 50 fps camera with MobileSAM on an Orin Nano: one frame at a time gives about 41 fps;
    /// packing two frames of the stream into a batch (MF) reaches the rate within the deadline.
    func testFramePackingWhenOneFrameAtATimeIsTooSlow() throws {
        let workload = classified(
            [ClusterNode(name: "nano", site: "lab", devices: [DeviceGroup(type: "jetson-orin-nano-8gb", count: 1)])],
            [Service(name: "cam", model: "mobile-sam", slo: SLO(latencyMs: 100), stream: StreamDemand(streams: 1, fps: 50))])
        XCTAssertEqual(workload.services[0].category.request, .frequency)
        let plan = try Planner.plan(workload)
        let instance = try XCTUnwrap(plan.instances.first)
        XCTAssertGreaterThan(instance.framesPacked, 1)
        XCTAssertTrue(instance.modes.contains("MF"))
        XCTAssertGreaterThanOrEqual(instance.capacityPerS, 50)
        XCTAssertLessThanOrEqual(instance.latencyMs, 100)
        XCTAssertEqual(plan.allocations[0].minReplicasPerStream, 1)
    }

    func testBatchBoundedByHalfTheDeadlineForRequests() throws {
        let workload = classified(
            [ClusterNode(name: "g", site: "lab", devices: [DeviceGroup(type: "l4", count: 1)])],
            [Service(name: "photos", model: "resnet-50", slo: SLO(latencyMs: 10), demand: Demand(ratePerS: 500))])
        let plan = try Planner.plan(workload)
        let latency = LatencyModel(catalog: workload.catalog)
        for instance in plan.instances {
            let t =
                latency.batchLatencyMs(workload.catalog.model("resnet-50")!, on: workload.catalog.device("l4")!, batch: instance.batch)
                / instance.share
            XCTAssertLessThanOrEqual(2 * t, 10 + 1e-9, "a request may wait one batch, then run in the next")
        }
    }

    func testStreamsNeedingMoreThanOneDeviceGetReplicas() throws {
        let nodes = (0..<4).map { ClusterNode(name: "nx\($0)", site: "lab", devices: [DeviceGroup(type: "jetson-orin-nx-16gb", count: 1)]) }
        let workload = classified(
            nodes, [Service(name: "cams", model: "yolo11s", slo: SLO(latencyMs: 50), stream: StreamDemand(streams: 24, fps: 30))])
        let plan = try Planner.plan(workload)
        XCTAssertGreaterThan(plan.allocations[0].replicas, 1)
        XCTAssertTrue(plan.allocations[0].modes.contains("DP"))
        XCTAssertGreaterThanOrEqual(plan.allocations[0].supplyPerS, 720)
    }

    func testFluidBoundMatchesAHandSolvedProgram() {
        // Two services, one device type with 2 devices: s0 does 10/s per device, s1 does 5/s.
        // Demand 15 and 10: fill s0 first (1.5 devices → 15), the remaining 0.5 device gives s1 2.5.
        let bound = FluidBound.solve(demand: [15, 10], capacity: [[10], [5]], devices: [2])
        XCTAssertEqual(bound, 17.5, accuracy: 1e-9)
        XCTAssertEqual(FluidBound.solve(demand: [1], capacity: [[0]], devices: [3]), 0)
    }

    func testFlowMarketServesOnlyReachableGroups() {
        var market = FlowMarket(weight: 1, groupDemand: [10, 10])
        XCTAssertEqual(market.add(capacity: 15, reach: [0]), 10)
        // A second instance reaching both groups takes group 1 fully.
        XCTAssertEqual(market.gain(capacity: 15, reach: [0, 1]), 10)
        XCTAssertEqual(market.add(capacity: 15, reach: [0, 1]), 10)
        XCTAssertEqual(market.served, 20)
        // Re-routing: an instance only for group 0 frees nothing more once demand is met.
        XCTAssertEqual(market.gain(capacity: 5, reach: [0]), 0)
    }
}
