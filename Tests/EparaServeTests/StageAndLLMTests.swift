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

    func testPrefillFirstRunsWaitingPromptsAheadOfDecodes() throws {
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
        let prefillFirst = SimOptions(core: CoreConfig(llmScheduler: .prefillFirst), replanEveryS: 0)
        let (run, ended) = try ServeFixtures.run(plan, arrivals: [a, b], options: prefillFirst)
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

    /// The chat service of the tests above, on one RTX 4090.
    func chatPlan(batch: Int? = nil, memoryGib: Double? = nil) throws -> Plan {
        let chat = Service(
            name: "chat", model: "llama-3-8b-q4", slo: SLO(ttftMs: 5000, tpotMs: 1000),
            demand: Demand(ratePerS: 1, inputTokens: 200, outputTokens: 4), origin: ["gpu"])
        return try ServeFixtures.microPlan(
            nodes: [ClusterNode(name: "gpu", site: "s", devices: [DeviceGroup(type: "rtx-4090", count: 1)])],
            services: [chat]
        ) { plan in
            if let batch { plan.instances[0].batch = batch }
            if let memoryGib { plan.instances[0].memoryGibPerDevice = [memoryGib] }
        }
    }

    func testChunkedPrefillCarriesDecodesAndPromptChunksInOneStep() throws {
        // A's 3000-token prompt takes two steps under a 2048-token budget; B arrives while A's
        // first chunk runs and its prompt shares A's second step; after that both decode
        // together. Nothing runs alone ahead of the decodes.
        let plan = try chatPlan()
        let llm = Deployment(plan: plan).instances[0].llm!
        let a = Arrival(time: 0, service: 0, origin: 0, inputTokens: 3000, outputTokens: 3)
        let b = Arrival(time: 0.001, service: 0, origin: 0, inputTokens: 100, outputTokens: 2)
        let (run, ended) = try ServeFixtures.run(plan, arrivals: [a, b])
        let step1 = llm.stepS(promptTokens: 2048, decodes: 0, context: 0)
        XCTAssertLessThan(0.001, step1)
        // A's last 952 tokens and B's 100 in one step: both have their first token after it.
        let step2 = llm.stepS(promptTokens: 952 + 100, decodes: 0, context: 0)
        let firstTokens = step1 + step2
        // Then one step decodes both (B's second and last token, A's second).
        let step3 = llm.stepS(promptTokens: 0, decodes: 2, context: (3001.0 + 101.0) / 2)
        let step4 = llm.stepS(promptTokens: 0, decodes: 1, context: 3002)
        let byID = Dictionary(uniqueKeysWithValues: ended.map { ($0.id, $0) })
        XCTAssertEqual(byID[1]!.end, firstTokens + step3, accuracy: 1e-9)
        XCTAssertEqual(byID[0]!.end, firstTokens + step3 + step4, accuracy: 1e-9)
        XCTAssertEqual(run.services[0].ttftMs!.max, (firstTokens - 0.001) * 1000, accuracy: firstTokens * 10)
        XCTAssertEqual(run.settings.llmScheduler, "chunked")
        XCTAssertEqual(run.settings.tokenBudget, 2048)
    }

    func testChunkedStepTakesTheLongerOfItsDecodeAndItsTokens() throws {
        let llm = Deployment(plan: try chatPlan()).instances[0].llm!
        let decode = llm.decodeS(batch: 8, context: 1000)
        XCTAssertEqual(llm.stepS(promptTokens: 0, decodes: 8, context: 1000), decode)
        XCTAssertEqual(llm.stepS(promptTokens: 2040, decodes: 8, context: 1000), max(decode, llm.prefillS(tokens: 2048)))
        XCTAssertGreaterThan(llm.stepS(promptTokens: 2040, decodes: 8, context: 1000), decode, "a full chunk costs more than a decode step")
        XCTAssertLessThan(
            llm.stepS(promptTokens: 16, decodes: 8, context: 1000), decode + llm.prefillS(tokens: 16),
            "a small chunk rides along with the decode step's weight reads")
    }

    func testDecodesKeepTheirPaceThroughABurstOfLongPrompts() throws {
        // One long answer being decoded, then a burst of 2048-token prompts: prefill-first stalls
        // its tokens behind every prompt; chunked prefill gives it a token every step.
        let plan = try chatPlan()
        var arrivals = [Arrival(time: 0, service: 0, origin: 0, inputTokens: 100, outputTokens: 200)]
        for k in 0..<20 { arrivals.append(Arrival(time: 0.2 + Double(k) * 0.001, service: 0, origin: 0, inputTokens: 2000, outputTokens: 2)) }
        func slowestTPOT(_ scheduler: LLMScheduler) throws -> Double {
            let (run, _) = try ServeFixtures.run(
                plan, arrivals: arrivals, options: SimOptions(core: CoreConfig(llmScheduler: scheduler), replanEveryS: 0))
            return run.services[0].tpotMs!.max
        }
        let chunked = try slowestTPOT(.chunked), prefillFirst = try slowestTPOT(.prefillFirst)
        XCTAssertLessThan(chunked * 1.5, prefillFirst, "chunked \(chunked) ms, prefill-first \(prefillFirst) ms")
    }

    func testSequencesBeyondTheKVCacheArePreemptedAndRecomputedAndAllFinish() throws {
        // A cache of about 4,000 tokens (the 8B model's weights plus 0.5 GiB) for 16 sequences of
        // 1,000 + 200 tokens: some must be preempted, every one still completes.
        let probe = try chatPlan()
        let model = probe.catalog.model("llama-3-8b-q4")!
        let overhead = LatencyModel(catalog: probe.catalog).runtimeOverheadGib(on: probe.catalog.device("rtx-4090")!)
        let cacheGib = 4000 * model.kvBytesPerToken / 1_073_741_824
        let plan = try chatPlan(batch: 16, memoryGib: model.weightsGib + overhead + cacheGib)
        let llm = Deployment(plan: plan).instances[0].llm!
        XCTAssertEqual(llm.cacheTokens, 4000, accuracy: 1)
        let arrivals = (0..<16).map { Arrival(time: Double($0) * 0.01, service: 0, origin: 0, inputTokens: 1000, outputTokens: 200) }
        let engine = SimEngine(
            plan: plan, trace: TraceSet(sources: [ListedArrivals(arrivals)], digest: "t", durationS: 1, description: [:]),
            options: SimOptions(core: CoreConfig(earlyDrop: false), replanEveryS: 0))
        var ended = 0
        engine.recorder.observer = { _, outcome, _, _ in
            XCTAssertTrue(outcome == .completedInSlo || outcome == .completedLate)
            ended += 1
        }
        _ = try engine.run()
        XCTAssertEqual(ended, 16)
        XCTAssertGreaterThan(engine.core.preemptions, 0)
    }
}
