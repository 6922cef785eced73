import EparaCore

// LLM replicas as the chunked-prefill estimator sees them (LLMBurstEstimator): the step times of
// a candidate's device or model-parallel group, shared by every candidate of the same service,
// device and batch.
extension BurstReplication {
    /// The workload an LLM service's pool is judged on: its arrivals, its mean prompt and answer,
    /// and its TPOT bound.
    func llmWorkload(_ ctx: ServiceContext, _ arrivals: BurstEstimator.Workload) -> LLMBurstEstimator.Workload {
        LLMBurstEstimator.Workload(
            arrivals: arrivals, inputTokens: Int(ctx.inputTokens.rounded()), outputTokens: Int(ctx.outputTokens.rounded()),
            tpotS: ctx.service.slo.tpotMs.map { $0 / 1000 })
    }

    /// Candidate `c` of LLM service `ctx` as a replica of its pool, slowed by the share of its
    /// devices' time the other services take.
    func llmReplica(_ c: Candidate, ctx: ServiceContext, othersUtilization: Double) -> LLMReplica {
        let model = ctx.model
        let device = problem.slots[c.slots[0]].type
        let key = LLMBurstEstimator.StepsKey(service: ctx.index, device: device.name, batch: c.batch, stages: c.stages)
        let steps = estimator.llm.steps(key) {
            LLMStepTimes(
                model, on: device, group: c.isModelParallel ? ParallelGroup(stages: c.stages) : nil, in: problem.workload.cluster,
                batch: c.batch, budget: LLMScheduler.chunked.defaultTokenBudget, context: ctx.meanContext, latency: problem.latency)
        }
        let busy = min(max(othersUtilization, 0), 0.95)
        return LLMReplica(steps: steps, slowdown: 1 / (1 - busy), networkS: c.networkMs / 1000, capacityPerS: c.capacityPerS)
    }
}

extension LLMStepTimes {
    /// The step times of `model` on `device` (or on a model-parallel `group`) with `batch`
    /// sequences at most, decode steps at a mean `context`, as the simulator times them.
    init(
        _ model: ModelSpec, on device: DeviceType, group: ParallelGroup?, in cluster: Cluster, batch: Int, budget: Int, context: Double,
        latency: LatencyModel
    ) {
        guard let group else {
            self.init(
                batch: batch, budget: budget,
                decodeS: { b in latency.decodeStepMs(model, on: device, batch: b, context: context) / 1000 },
                prefillS: { n in latency.prefillMs(model, on: device, inputTokens: Double(n)) / 1000 })
            return
        }
        self.init(
            batch: batch, budget: budget,
            decodeS: { b in
                (latency.timing(model, on: group, in: cluster, batch: b, inputTokens: 1, context: context)?.tpotMs ?? .infinity) / 1000
            },
            prefillS: { n in
                let tokens = Double(n)
                return (latency.timing(model, on: group, in: cluster, batch: 1, inputTokens: tokens, context: tokens)?.latencyMs ?? .infinity) / 1000
            })
    }
}
