import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

/// Model-parallel pipelines and LLM iterations, against times computed from the latency model.
final class StageAndLLMTests: XCTestCase {
    func testPipelineStagesRunInTurnWithTransfersAndOverlap() throws {
        // Two requests through a 2-stage pipeline across n1 and n2 (batch 1): the second's first
        // stage starts when the first's ends, and its second stage waits for both its own
        // hand-off and the first's second stage.
        let nodes = [ServeFixtures.node("n1"), ServeFixtures.node("n2")]
        let plan = try ServeFixtures.microPlan(nodes: nodes, services: [ServeFixtures.latencyService("s", sloMs: 10_000)]) { plan in
            var group = plan.instances[0]
            group.id = "s@n1/dev#0+n2/dev#0"
            group.devices = [DeviceRef(node: "n1", device: "dev", index: 0), DeviceRef(node: "n2", device: "dev", index: 0)]
            group.stages = [
                ParallelGroup.Stage(node: "n1", device: "dev", tensorParallel: 1, layerFraction: 0.6),
                ParallelGroup.Stage(node: "n2", device: "dev", tensorParallel: 1, layerFraction: 0.4),
            ]
            group.batch = 1
            group.modes = ["MP", "PP"]
            plan.instances = [group]
        }
        let latency = LatencyModel(catalog: plan.catalog)
        let model = plan.catalog.model("m")!, device = plan.catalog.device("dev")!
        let s1 = latency.batchLatencyMs(model, on: device, batch: 1, fraction: 0.6) / 1000
        let s2 = latency.batchLatencyMs(model, on: device, batch: 1, fraction: 0.4) / 1000
        let link = plan.cluster.link(from: nodes[0], to: nodes[1])
        let handoff = link.transferMs(bytes: latency.activationBytes(model, tokens: 1)) / 1000
        XCTAssertGreaterThan(s1, s2, "the stages differ, so the overlap is visible")
        let (_, ended) = try ServeFixtures.run(plan, arrivals: [Arrival(time: 0, service: 0, origin: 0), Arrival(time: 0, service: 0, origin: 0)])
        XCTAssertEqual(ended.count, 2)
        // The answer returns from n2 to the origin n1.
        let back = link.transferMs(bytes: model.outputBytes) / 1000
        let first = s1 + handoff + s2
        let second = max(2 * s1 + handoff, first) + s2
        XCTAssertEqual(ended[0].end, first + back, accuracy: 1e-9)
        XCTAssertEqual(ended[1].end, second + back, accuracy: 1e-9)
        XCTAssertLessThan(ended[1].end, 2 * first + back, "pipelined, not one after the other")
    }

    func testLLMRequestsPrefillThenDecodeTogether() throws {
        let chat = Service(
            name: "chat", model: "llama-3-8b-q4", slo: SLO(ttftMs: 5000, tpotMs: 1000),
            demand: Demand(ratePerS: 1, inputTokens: 200, outputTokens: 4), origin: ["gpu"])
        let plan = try ServeFixtures.microPlan(
            nodes: [ClusterNode(name: "gpu", site: "s", devices: [DeviceGroup(type: "rtx-4090", count: 1)])],
            services: [chat])
        let llm = Deployment(plan: plan).instances[0].llm!
        // A alone at 0; B arrives during A's prefill and is prefilled before A's next step.
        let a = Arrival(time: 0, service: 0, origin: 0, inputTokens: 200, outputTokens: 3)
        let b = Arrival(time: 0.001, service: 0, origin: 0, inputTokens: 100, outputTokens: 2)
        let (run, ended) = try ServeFixtures.run(plan, arrivals: [a, b])
        let prefillA = llm.prefillS(tokens: 200), prefillB = llm.prefillS(tokens: 100)
        XCTAssertLessThan(0.001, prefillA)
        // After A's prefill, B's prefill (A's first token is out), then steps of both together.
        let step1 = llm.decodeS(batch: 2, context: (201.0 + 101.0) / 2)
        let bDone = prefillA + prefillB + step1
        let step2 = llm.decodeS(batch: 1, context: 202)
        let aDone = bDone + step2
        let byService = Dictionary(uniqueKeysWithValues: ended.map { ($0.id, $0) })
        XCTAssertEqual(byService[1]!.end, bDone, accuracy: 1e-9)
        XCTAssertEqual(byService[0]!.end, aDone, accuracy: 1e-9)
        XCTAssertTrue(ended.allSatisfy { $0.outcome == .completedInSlo })
        let ttft = run.services[0].ttftMs!
        XCTAssertEqual(ttft.count, 2)
        XCTAssertEqual(ttft.max, (prefillA + prefillB - 0.001) * 1000, accuracy: (prefillA + prefillB) * 10, "B's first token after both prefills")
    }
}
