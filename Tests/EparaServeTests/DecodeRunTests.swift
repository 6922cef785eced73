import EparaClassify
import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

/// Decode steps run as one event where nothing happens between them (DecodeRuns.swift): the
/// runs must be byte-identical to one event per step — under overload, faults, lossy sync and
/// replanning — and must actually save events.
final class DecodeRunTests: XCTestCase {
    func run(_ plan: Plan, _ trace: TraceSet, _ options: SimOptions, coalescing: Bool) throws -> (document: Data, ended: [Ended], events: UInt64) {
        var options = options
        options.core.coalescesDecodeSteps = coalescing
        let engine = SimEngine(plan: plan, trace: trace, options: options)
        var ended: [Ended] = []
        engine.recorder.observer = { r, outcome, reason, time in
            ended.append(Ended(id: r.id, service: "\(r.service)", stream: r.stream, outcome: outcome, reason: reason, arrival: r.arrival, end: time))
        }
        let document = try JSONOutput.document(try engine.run())
        return (document, ended, engine.world.order)
    }

    @discardableResult
    func assertSame(
        _ plan: Plan, _ trace: TraceSet, _ options: SimOptions, fewerEventsBy factor: Double, _ what: String
    ) throws -> (events: UInt64, oneAStep: UInt64) {
        let single = try run(plan, trace, options, coalescing: false)
        let runs = try run(plan, trace, options, coalescing: true)
        XCTAssertEqual(runs.ended.count, single.ended.count, what)
        if let k = runs.ended.indices.first(where: { $0 < single.ended.count && runs.ended[$0] != single.ended[$0] }) {
            XCTFail("\(what): request \(k) ends differently: \(runs.ended[k]) vs \(single.ended[k])")
        }
        XCTAssertTrue(runs.document == single.document, "\(what): the Run documents differ")
        XCTAssertLessThanOrEqual(Double(runs.events), Double(single.events) / factor, "\(what): \(runs.events) events vs \(single.events)")
        print("\(what): \(runs.events) events, \(single.events) one per step")
        return (runs.events, single.events)
    }

    /// The example's LLM services alone (chat, code-assist, big-chat over two GPUs), at the
    /// planned load and at three times it.
    func testTheExamplesLLMServicesRunTheSameWithFewerEvents() throws {
        var workload = try ServeFixtures.exampleWorkload()
        workload.services = workload.services.filter { $0.modelKind == .llm }
        let plan = try Planner.plan(workload)
        let counts = try [1.0, 3.0].map { scale in
            let trace = try ServeFixtures.generated(plan, durationS: 60, seed: 3, rateScale: scale)
            return try assertSame(plan, trace, SimOptions(replanEveryS: 0, seed: 3), fewerEventsBy: 4, "LLM services at \(scale)x")
        }
        // docs/serve.md quotes these counts.
        func grouped(_ n: UInt64) -> String {
            String(String(n).reversed().enumerated().flatMap { i, digit in i > 0 && i % 3 == 0 ? [",", digit] : [digit] }.reversed())
        }
        let quoted =
            "\(grouped(counts[0].events)) events instead of \(grouped(counts[0].oneAStep)) at the planned load, "
            + "\(grouped(counts[1].events)) instead of \(grouped(counts[1].oneAStep)) at three times it"
        let page = try String(contentsOf: ServeFixtures.root.appendingPathComponent("docs/serve.md"), encoding: .utf8)
        XCTAssertTrue(page.split(whereSeparator: \.isWhitespace).joined(separator: " ").contains(quoted), "docs/serve.md should say: \(quoted)")
    }

    /// The whole example (LLMs sharing devices with vision services) with a node going down and
    /// coming back, a link degraded, lossy sync, bursty arrivals and replanning every 10 s.
    func testTheWholeExampleUnderFaultsAndReplanningRunsTheSame() throws {
        let plan = try ServeFixtures.examplePlan()
        for (seed, scale) in [(UInt64(5), 1.5), (6, 0.5)] {
            let trace = try ServeFixtures.generated(plan, durationS: 30, seed: seed, process: .gamma(cv: 2), rateScale: scale)
            let options = SimOptions(replanEveryS: 10, faults: SimulationPropertyTests.faults, seed: seed)
            try assertSame(plan, trace, options, fewerEventsBy: 1.0, "the example, seed \(seed), \(scale)x")
        }
    }

    /// Random clusters and workloads with LLMs among them, a node down and up, replanning.
    func testRandomWorkloadsRunTheSame() throws {
        for seed in UInt64(1)...6 {
            let workload = RandomWorkloads.make(seed: seed)
            guard let plan = try? Planner.plan(workload, options: PlanOptions(allowPartial: true)), !plan.instances.isEmpty else { continue }
            let node = plan.cluster.nodes[Int(seed) % plan.cluster.nodes.count].name
            let faults = FaultPlan(
                events: [FaultPlan.Timed(atS: 3, event: .nodeDown(node)), FaultPlan.Timed(atS: 7, event: .nodeUp(node))], syncLoss: 0.2)
            let trace = try ServeFixtures.generated(plan, durationS: 12, seed: seed, process: .gamma(cv: 3))
            try assertSame(plan, trace, SimOptions(replanEveryS: 4, faults: faults, seed: seed), fewerEventsBy: 1.0, "random workload \(seed)")
        }
    }
}
