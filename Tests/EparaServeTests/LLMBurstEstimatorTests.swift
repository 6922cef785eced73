import EparaCore
import XCTest

@testable import EparaPlan
@testable import EparaServe

/// The planner's LLM estimator (chunked prefill stepped per replica) held to the simulator it
/// stands in for: a chat service (1,155-token prompts, 211-token answers, TTFT 1 s, TPOT 60 ms)
/// on one or two RTX 4090s, Poisson and bursty (Gamma CV 3) arrivals, from half to nearly all
/// of what the planner says a replica serves.
final class LLMBurstEstimatorTests: XCTestCase {
    static let input = 1155.0, output = 211.0

    func plan(devices: Int, batch: Int) throws -> Plan {
        let chat = Service(
            name: "chat", model: "llama-3-8b-q4", slo: SLO(ttftMs: 1000, tpotMs: 60),
            demand: Demand(ratePerS: 1, inputTokens: Self.input, outputTokens: Self.output), origin: ["gpu"])
        return try ServeFixtures.microPlan(
            nodes: [ClusterNode(name: "gpu", site: "s", devices: [DeviceGroup(type: "rtx-4090", count: devices)])],
            services: [chat]
        ) { plan in
            var template = plan.instances[0]
            template.batch = batch
            template.share = 1
            plan.instances = (0..<devices).map { d in
                var instance = template
                instance.devices = [DeviceRef(node: "gpu", device: "rtx-4090", index: d)]
                instance.id = "chat@gpu/rtx-4090#\(d)"
                return instance
            }
        }
    }

    func simulated(_ plan: Plan, rate: Double, cv: Double, requests: Double) throws -> Double {
        let trace = try TraceBuilder.build(
            TraceOptions(process: .gamma(cv: cv), durationS: requests / rate, rateScale: rate, seed: 5),
            deployment: Deployment(plan: plan))
        let (run, _) = try ServeFixtures.run(plan, trace: trace, options: SimOptions(replanEveryS: 0, seed: 5))
        return run.summary.attainment
    }

    func predicted(_ plan: Plan, rate: Double, cv: Double) -> Double {
        let latency = LatencyModel(catalog: plan.catalog)
        let estimator = BurstEstimator()
        let steps = estimator.llm.steps(LLMBurstEstimator.StepsKey(service: 0, device: "rtx-4090", batch: 32, stages: [])) {
            LLMStepTimes(
                plan.catalog.model("llama-3-8b-q4")!, on: plan.catalog.device("rtx-4090")!, group: nil, in: plan.cluster,
                batch: plan.instances[0].batch, budget: LLMScheduler.chunked.defaultTokenBudget, context: Self.input + Self.output / 2,
                latency: latency)
        }
        let replicas = plan.instances.map { LLMReplica(steps: steps, slowdown: 1, networkS: 0, capacityPerS: $0.capacityPerS) }
        let workload = LLMBurstEstimator.Workload(
            arrivals: BurstEstimator.Workload(ratePerS: rate, cv: cv, deadlineS: 1, seed: 11), inputTokens: Int(Self.input),
            outputTokens: Int(Self.output), tpotS: 0.06)
        return estimator.llm.attainment(workload, pool: replicas, arrivals: estimator)
    }

    func testPredictedAttainmentIsWithinAFewPointsOfTheSimulatorPoissonAndBursty() throws {
        var rows: [String] = []
        var worst = 0.0
        for devices in [1, 2] {
            let plan = try plan(devices: devices, batch: 32)
            let capacity = plan.instances.reduce(0) { $0 + $1.capacityPerS }
            for cv in [1.0, 3] {
                for load in [0.5, 0.8, 1.0] {
                    let rate = capacity * load
                    let sim = try simulated(plan, rate: rate, cv: cv, requests: 4000)
                    let est = predicted(plan, rate: rate, cv: cv)
                    worst = max(worst, abs(est - sim))
                    rows.append(
                        "\(devices) × rtx-4090, arrival cv \(cv), \(load) of capacity (\(rate.rounded(places: 2))/s): "
                            + "simulated \(sim.rounded(places: 3)), predicted \(est.rounded(places: 3))")
                    XCTAssertEqual(est, sim, accuracy: 0.03, rows.last!)
                }
            }
        }
        print(rows.joined(separator: "\n") + "\nlargest difference \(worst.rounded(places: 3))")
    }

    /// The TPOT bound is what the estimate judges beside the first token: the same pool, the
    /// same arrivals, a bound tighter than a step carrying a full chunk misses where the loose
    /// one does not.
    func testATighterTPOTBoundLowersTheEstimate() throws {
        let plan = try plan(devices: 1, batch: 32)
        let rate = plan.instances[0].capacityPerS * 0.8
        let estimator = BurstEstimator()
        let latency = LatencyModel(catalog: plan.catalog)
        let steps = estimator.llm.steps(LLMBurstEstimator.StepsKey(service: 0, device: "rtx-4090", batch: 32, stages: [])) {
            LLMStepTimes(
                plan.catalog.model("llama-3-8b-q4")!, on: plan.catalog.device("rtx-4090")!, group: nil, in: plan.cluster,
                batch: 32, budget: 2048, context: Self.input + Self.output / 2, latency: latency)
        }
        func estimate(tpot: Double?) -> Double {
            estimator.llm.attainment(
                LLMBurstEstimator.Workload(
                    arrivals: BurstEstimator.Workload(ratePerS: rate, cv: 1, deadlineS: 1, seed: 3), inputTokens: 1155,
                    outputTokens: 211, tpotS: tpot),
                pool: [LLMReplica(steps: steps, slowdown: 1, networkS: 0, capacityPerS: plan.instances[0].capacityPerS)],
                arrivals: estimator)
        }
        let decodeOnly = estimator.llm.tables[steps].decodeS[8]
        XCTAssertEqual(estimate(tpot: nil), estimate(tpot: 10))
        XCTAssertLessThan(estimate(tpot: decodeOnly * 1.05), estimate(tpot: nil) - 0.2)
    }
}
