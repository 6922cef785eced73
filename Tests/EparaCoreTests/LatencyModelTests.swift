import XCTest

@testable import EparaCore

final class LatencyModelTests: XCTestCase {
    let catalog = BuiltinCatalog.load()
    lazy var model = LatencyModel(catalog: catalog)

    func testBatchingRaisesThroughputAndLatency() {
        let yolo = catalog.model("yolo11s")!, gpu = catalog.device("l4")!
        let one = model.batchLatencyMs(yolo, on: gpu, batch: 1), eight = model.batchLatencyMs(yolo, on: gpu, batch: 8)
        XCTAssertGreaterThan(eight, one)
        XCTAssertGreaterThan(8 / eight, 1 / one)
    }

    func testMeasuredProfileOverridesAndInterpolates() {
        var c = catalog
        c.profiles = [Profile(model: "yolo11n", device: "l4", points: [.init(batch: 1, latencyMs: 2), .init(batch: 8, latencyMs: 9)], source: "t")]
        let m = LatencyModel(catalog: c)
        let yolo = c.model("yolo11n")!, l4 = c.device("l4")!
        XCTAssertEqual(m.batchLatencyMs(yolo, on: l4, batch: 1), 2)
        XCTAssertEqual(m.batchLatencyMs(yolo, on: l4, batch: 4), 5, accuracy: 1e-9)
        XCTAssertEqual(m.batchLatencyMs(yolo, on: l4, batch: 16), 17, accuracy: 1e-9)
    }

    func testDecodeIsMemoryBoundAndPrefillComputeBound() {
        let llm = catalog.model("llama-3-8b")!, gpu = catalog.device("a100-80gb")!
        let step1 = model.decodeStepMs(llm, on: gpu, batch: 1, context: 512)
        let step8 = model.decodeStepMs(llm, on: gpu, batch: 8, context: 512)
        XCTAssertLessThan(step8 / step1, 1.5, "decoding 8 sequences costs little more than 1: weights dominate")
        let prefill = model.prefillMs(llm, on: gpu, inputTokens: 2048)
        XCTAssertGreaterThan(prefill, 10 * step1)
    }

    func testTensorParallelSplitsWorkAndPaysForCommunication() {
        let llm = catalog.model("llama-3-8b")!, gpu = catalog.device("rtx-4090")!
        let alone = model.decodeStepMs(llm, on: gpu, batch: 1, context: 256)
        let split = model.decodeStepMs(llm, on: gpu, batch: 1, context: 256, tensorParallel: 2)
        XCTAssertLessThan(split, alone * 0.6)
        XCTAssertGreaterThan(model.allReduceMs(llm, tokens: 1, layers: 32, degree: 2, over: Network.pcie4), 0)
        XCTAssertEqual(model.allReduceMs(llm, tokens: 1, layers: 32, degree: 1, over: Network.pcie4), 0)
    }

    func testPipelineOverASlowLinkCostsTransferTime() {
        let llm = catalog.model("llama-3-8b")!
        let cluster = Cluster(
            name: "t",
            nodes: [
                ClusterNode(name: "a", site: "x", devices: [DeviceGroup(type: "rtx-4090", count: 1)]),
                ClusterNode(name: "b", site: "y", devices: [DeviceGroup(type: "rtx-4090", count: 1)]),
            ], network: Network(default: Link(bandwidthMbps: 100, latencyMs: 20)))
        let group = ParallelGroup(stages: [
            .init(node: "a", device: "rtx-4090", tensorParallel: 1, layerFraction: 0.5),
            .init(node: "b", device: "rtx-4090", tensorParallel: 1, layerFraction: 0.5),
        ])
        let timing = model.timing(llm, on: group, in: cluster, batch: 1, inputTokens: 512, context: 600)!
        let alone = model.decodeStepMs(llm, on: catalog.device("rtx-4090")!, batch: 1, context: 600)
        XCTAssertGreaterThan(timing.tpotMs, alone + 20, "each token crosses the 20 ms link")
        XCTAssertTrue(timing.fits)
    }

    func testBalancedFractionsFollowSpeedAndMemory() {
        let llm = catalog.model("llama-3.3-70b-q4")!
        let fractions = model.balancedFractions(llm, stages: [(catalog.device("rtx-4090")!, 1), (catalog.device("jetson-agx-orin-64gb")!, 1)])
        XCTAssertEqual(fractions.reduce(0, +), 1, accuracy: 1e-9)
        // The 4090 is faster but holds at most about half of a 37 GiB model.
        XCTAssertLessThanOrEqual(fractions[0] * llm.weightsGib, 24)
    }

    func testMemoryGrowsWithContextAndShrinksWithSplits() {
        let llm = catalog.model("llama-3-8b")!, gpu = catalog.device("a100-80gb")!
        let short = model.memoryGib(llm, on: gpu, batch: 1, context: 100)
        let long = model.memoryGib(llm, on: gpu, batch: 16, context: 4096)
        XCTAssertGreaterThan(long, short + 7)
        XCTAssertLessThan(model.memoryGib(llm, on: gpu, batch: 1, context: 100, tensorParallel: 2), short * 0.6)
    }

    /// AlpaServe's BERT-1.3B pipelines on V100s (examples/alpaserve-equal-models): the slowest
    /// stage at 1, 2, 4 and 8 stages, as docs/latency-model.md's table quotes them.
    func testAlpaServesPipelineStagesAreThoseTheDocsQuote() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = try ["cluster", "services", "catalog"].map {
            try SourceText.load(root.appendingPathComponent("examples/alpaserve-equal-models/\($0).yaml").path)
        }
        let workload = try DocumentReader.workload(sources, builtin: catalog)
        let model = LatencyModel(catalog: workload.catalog)
        let bert = try XCTUnwrap(workload.catalog.model("bert-1.3b")), v100 = try XCTUnwrap(workload.catalog.device("v100-16gb"))
        let page = try String(contentsOf: root.appendingPathComponent("docs/latency-model.md"), encoding: .utf8)
        for stages in [1, 2, 4, 8] {
            let fractions = model.balancedFractions(bert, stages: Array(repeating: (v100, 1), count: stages))
            let group = ParallelGroup(
                stages: fractions.map { ParallelGroup.Stage(node: "p3-16xlarge", device: "v100-16gb", tensorParallel: 1, layerFraction: $0) })
            let timing = try XCTUnwrap(model.timing(bert, on: group, in: workload.cluster, batch: 1))
            let quoted = "| \(stages) |"
            let row = page.split(separator: "\n").first { $0.hasPrefix(quoted) && $0.contains(" s | ") }
            XCTAssertTrue(
                row?.contains("| \(String(format: "%.3g", timing.bottleneckMs / 1000)) s |") == true,
                "docs/latency-model.md, \(stages) stages: \(timing.bottleneckMs / 1000) s, the page says \(row ?? "nothing")")
        }
    }
}

final class DeviceSharingTests: XCTestCase {
    func testSharingAddsTheOtherServicesResidualAndRefusesOvercommit() {
        let a = SharedWork(batchMs: 10, batchesPerS: 20)  // 20% busy
        let b = SharedWork(batchMs: 40, batchesPerS: 10)  // 40% busy
        XCTAssertEqual(LatencyModel.utilization([a, b]), 0.6, accuracy: 1e-12)
        let shared = LatencyModel.sharedLatencyMs([a, b])!
        XCTAssertEqual(shared[0], 10 + 0.4 * 40 / 2, accuracy: 1e-12)
        XCTAssertEqual(shared[1], 40 + 0.2 * 10 / 2, accuracy: 1e-12)
        XCTAssertEqual(LatencyModel.sharedLatencyMs([a])!, [10])
        XCTAssertNil(LatencyModel.sharedLatencyMs([a, b, SharedWork(batchMs: 50, batchesPerS: 10)]))
    }
}
