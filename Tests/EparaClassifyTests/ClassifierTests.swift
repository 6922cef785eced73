import EparaClassify
import EparaCore
import XCTest

final class ClassifierTests: XCTestCase {
    let catalog = BuiltinCatalog.load()

    func workload(nodes: [ClusterNode], services: [Service]) -> Workload {
        Workload(cluster: Cluster(name: "t", nodes: nodes, network: Network()), services: services, catalog: catalog)
    }

    func node(_ name: String, _ type: String, count: Int = 1, site: String = "lab") -> ClusterNode {
        ClusterNode(name: name, site: site, devices: [DeviceGroup(type: type, count: count)])
    }

    func service(
        _ name: String, _ model: String, latencyMs: Double? = nil, stream: StreamDemand? = nil,
        demand: Demand? = nil, slo: SLO? = nil, declared: DeclaredCategory? = nil
    ) -> Service {
        Service(
            name: name, model: model, slo: slo ?? SLO(latencyMs: latencyMs), demand: stream == nil ? (demand ?? Demand(ratePerS: 5)) : nil,
            stream: stream, category: declared)
    }

    func only(_ result: ClassifiedWorkload) -> ClassifiedService { result.services[0] }

    func testStreamsAreFrequencySensitiveAndRequestsLatencySensitive() {
        let cluster = [node("g", "rtx-4090")]
        let stream = only(
            Classifier.classify(
                workload(
                    nodes: cluster,
                    services: [
                        service("cams", "yolo11n", latencyMs: 50, stream: StreamDemand(streams: 4, fps: 30))
                    ])))
        XCTAssertEqual(stream.category.request, .frequency)
        XCTAssertEqual(stream.category.label, "frequency/single-gpu")
        let single = only(Classifier.classify(workload(nodes: cluster, services: [service("photo", "yolo11n", latencyMs: 50)])))
        XCTAssertEqual(single.category.request, .latency)
    }

    func testSlowStreamsAreHandledFrameByFrame() {
        let result = only(
            Classifier.classify(
                workload(
                    nodes: [node("g", "rtx-4090")],
                    services: [
                        service("snap", "yolo11n", latencyMs: 500, stream: StreamDemand(streams: 10, fps: 0.1))
                    ])))
        XCTAssertEqual(result.category.request, .latency)
        let lowered = only(
            Classifier.classify(
                workload(
                    nodes: [node("g", "rtx-4090")],
                    services: [
                        service("snap", "yolo11n", latencyMs: 500, stream: StreamDemand(streams: 10, fps: 0.1))
                    ]),
                thresholds: Thresholds(minStreamFps: 0.05)))
        XCTAssertEqual(lowered.category.request, .frequency)
    }

    func testModelLargerThanAnyDeviceNeedsModelParallelism() {
        let llm = Service(
            name: "big", model: "llama-3.3-70b-q4", slo: SLO(ttftMs: 5000, tpotMs: 200),
            demand: Demand(ratePerS: 0.1, inputTokens: 512, outputTokens: 128))
        let result = only(Classifier.classify(workload(nodes: [node("g", "rtx-4090", count: 4)], services: [llm])))
        XCTAssertEqual(result.category.resource, .multiGPU)
        XCTAssertNil(result.evidence.bestDevice, "no single 4090 holds a 70B model")
        XCTAssertGreaterThan(result.evidence.memoryRatio, 1)
        let group = try! XCTUnwrap(result.evidence.modelParallelGroup)
        XCTAssertEqual(group.stages.count, 1, "four GPUs in one node: tensor parallel in the node")
        XCTAssertEqual(result.evidence.minModelParallelDegree, group.deviceCount)
        XCTAssertGreaterThanOrEqual(group.deviceCount, 2)
    }

    func testTightDeadlineNeedsModelParallelismEvenWhenTheModelFits() {
        // SAM ViT-B takes about 10 ms on one RTX 4090; a 7 ms deadline needs its work split.
        let result = only(
            Classifier.classify(
                workload(
                    nodes: [node("g", "rtx-4090", count: 2)],
                    services: [
                        service("seg", "sam-vit-b", latencyMs: 9, stream: StreamDemand(streams: 1, fps: 10))
                    ])))
        XCTAssertEqual(result.evidence.bestDevice, "rtx-4090")
        XCTAssertLessThan(result.evidence.slackRatio!, 1.2)
        XCTAssertEqual(result.category.label, "frequency/multi-gpu")
        XCTAssertEqual(result.evidence.minModelParallelDegree, 2)
    }

    func testDeclaredCategoryWinsAndIsMarked() {
        let result = only(
            Classifier.classify(
                workload(
                    nodes: [node("g", "rtx-4090")],
                    services: [
                        service("photo", "yolo11n", latencyMs: 50, declared: DeclaredCategory(request: .frequency, resource: nil))
                    ])))
        XCTAssertEqual(result.category.request, .frequency)
        XCTAssertTrue(result.category.declared)
        XCTAssertEqual(result.category.resource, .singleGPU, "the undeclared axis still follows the rules")
    }

    func testUnservableServiceSaysWhy() {
        let result = only(
            Classifier.classify(
                workload(
                    nodes: [node("pi", "raspberry-pi-5")],
                    services: [
                        Service(
                            name: "big", model: "llama-3.3-70b-q4", slo: SLO(ttftMs: 5000, tpotMs: 200),
                            demand: Demand(ratePerS: 0.1, inputTokens: 512, outputTokens: 128))
                    ])))
        XCTAssertFalse(result.servable)
        XCTAssertTrue(result.unservableReason!.contains("GiB"), result.unservableReason!)
        XCTAssertNil(result.category.resource)
    }

    func testLoadInDeviceEquivalentsGrowsWithDemand() {
        let light = only(
            Classifier.classify(
                workload(
                    nodes: [node("g", "l4")],
                    services: [
                        service("p", "resnet-50", latencyMs: 30, demand: Demand(ratePerS: 10))
                    ])))
        let heavy = only(
            Classifier.classify(
                workload(
                    nodes: [node("g", "l4")],
                    services: [
                        service("p", "resnet-50", latencyMs: 30, demand: Demand(ratePerS: 20000))
                    ])))
        let capacity = try! XCTUnwrap(heavy.evidence.deviceCapacityPerS)
        XCTAssertEqual(heavy.evidence.loadDeviceEquivalents!, 20000 / capacity, accuracy: 0.001)
        XCTAssertEqual(light.evidence.loadDeviceEquivalents!, 10 / capacity, accuracy: 0.001)
        XCTAssertGreaterThan(heavy.evidence.loadDeviceEquivalents!, 1, "20,000 images/s need more than one L4")
        XCTAssertGreaterThan(light.evidence.bestBatch!, 1, "a 30 ms deadline leaves room to batch")
    }

    func testSameInputSameDigestAndValue() {
        let w = workload(
            nodes: [node("g", "rtx-4090"), node("j", "jetson-orin-nx-16gb")],
            services: [service("a", "yolo11s", latencyMs: 40, stream: StreamDemand(streams: 2, fps: 15))])
        XCTAssertEqual(Classifier.classify(w), Classifier.classify(w))
        XCTAssertTrue(Classifier.classify(w).inputDigest.hasPrefix("sha256:"))
    }
}
