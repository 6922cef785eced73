import EparaClassify
import EparaCore

/// A device of the cluster as the allocator sees it.
struct Slot {
    var ref: DeviceRef
    var node: ClusterNode
    var type: DeviceType
    /// Position of `type` among the cluster's device types (name order).
    var typeIndex: Int
    var usableMemoryGib: Double
    /// The model server's own memory (runtime, CUDA context), counted in every instance's
    /// memory but paid once per device: co-resident models share one server (Triton, MLServer).
    var runtimeOverheadGib: Double
}

/// One way to run one service: on one device with a share of its time, or on a model-parallel group.
struct Candidate {
    var index = 0
    var service: Int
    var market: Int = 0
    var slots: [Int]
    var memoryGib: [Double]
    var share: Double
    var capacityPerS: Double
    /// Origin groups of its market it can reach within the SLO.
    var reach: [Int] = []
    var latencyMs: Double
    var tpotMs: Double?
    var batch: Int
    var framesPacked: Int
    var packWaitMs: Double = 0
    var stages: [ParallelGroup.Stage]
    var modes: CandidateModes
    /// Class of equivalent devices it stands for (`CandidateTable`); -1 for a model-parallel group.
    var deviceClass: Int32 = -1
    /// Position among its class's configurations.
    var rank: Int32 = 0
    var isModelParallel: Bool { !stages.isEmpty }
    var penalty: Double = 0
    /// Network time there and back from the farthest origin group it serves, milliseconds.
    var networkMs: Double = 0
    /// Resources it takes, for cost-benefit greedy: per device, the larger of its time share and
    /// memory fraction, weighted by the device's compute relative to the cluster's mean.
    var cost: Double = 1
}

/// Per-service facts the allocator and router need.
struct ServiceContext {
    var index: Int
    var classified: ClassifiedService
    var model: ModelSpec
    var weight: Double
    var demandPerS: Double
    /// Demand by the node where it arrives.
    var origins: [(node: String, demandPerS: Double)]

    var service: Service { classified.spec }
    var isFrequency: Bool { classified.category.request == .frequency }
    var isMultiGPU: Bool { classified.category.resource == .multiGPU }
    var inputTokens: Double { service.demand?.inputTokens ?? 0 }
    var outputTokens: Double { service.demand?.outputTokens ?? 0 }
    var meanContext: Double { inputTokens + outputTokens / 2 }
    var deadlineMs: Double { service.deadlineMs }
}

/// Enumerates candidate instances: batch sizes bounded by deadlines, device shares (MT),
/// frame packing (MF), and model-parallel groups (MP), each with its throughput within the
/// SLO, latency and memory per device.
struct Allocator {
    let cluster: Cluster
    let latency: LatencyModel
    /// What the policy allows (shares, frame packing).
    let rules: PolicyRules
    let maxBatch: Int
    /// Fraction of a device's memory an instance may use.
    let headroom: Double

    typealias Config = BatchConfiguration

    /// EPARA schedules a frequency-sensitive service's frames per stream (MF): a pack starts
    /// when its last frame arrives, on an instance that keeps up with its streams, so a frame
    /// waits for its pack but not for another batch. Latency-sensitive requests (and every
    /// service under category-unaware policies) may find a batch in progress: 2·t ≤ deadline.
    func packsFrames(_ ctx: ServiceContext) -> Bool { ctx.isFrequency && rules.frameParallel }

    /// Configurations of `ctx` alone on `device` with `share` of its time (see `LatencyModel.configurations`).
    func configurations(_ ctx: ServiceContext, on device: DeviceType, share: Double) -> [Config] {
        latency.configurations(
            ctx.service, model: ctx.model, on: device, share: share, packsFrames: packsFrames(ctx),
            maxBatch: maxBatch, headroom: headroom)
    }

    func bestSingle(_ ctx: ServiceContext, on device: DeviceType, share: Double) -> Config? {
        configurations(ctx, on: device, share: share).first
    }

    /// Best batch on a model-parallel group, and per-stage memory.
    func bestGroup(_ ctx: ServiceContext, group: ParallelGroup) -> (Config, [Double])? {
        var best: (Config, [Double])? = nil
        let limit = ctx.model.kind == .llm ? max(maxBatch, 128) : maxBatch
        batches: for b in LatencyModel.batchSizes(upTo: limit) {
            guard
                let timing = latency.timing(
                    ctx.model, on: group, in: cluster, batch: b, inputTokens: ctx.inputTokens,
                    context: ctx.meanContext)
            else { return nil }
            var memories: [Double] = []
            var fits = true
            for stage in group.stages {
                guard let device = latency.catalog.device(stage.device) else { return nil }
                let m = latency.memoryGib(
                    ctx.model, on: device, batch: b, context: ctx.inputTokens + ctx.outputTokens,
                    fraction: stage.layerFraction, tensorParallel: stage.tensorParallel)
                if m > device.memoryGib * headroom { fits = false }
                memories.append(contentsOf: Array(repeating: m, count: stage.tensorParallel))
            }
            guard fits else { break batches }
            let config: Config
            switch ctx.model.kind {
            case .vision:
                guard (packsFrames(ctx) ? 1 : 2) * timing.latencyMs <= ctx.deadlineMs else { break batches }
                config = Config(
                    batch: b, capacityPerS: Double(b) * 1000 / timing.bottleneckMs, latencyMs: timing.latencyMs,
                    memoryGib: memories.max() ?? 0)
            case .llm:
                guard timing.latencyMs <= ctx.deadlineMs / 2 else { return best }
                if let tpot = ctx.service.slo.tpotMs, timing.tpotMs > tpot { break batches }
                let perRequest = timing.latencyMs + ctx.outputTokens * timing.bottleneckMs / Double(b)
                config = Config(
                    batch: b, capacityPerS: 1000 / perRequest, latencyMs: timing.latencyMs, tpotMs: timing.tpotMs,
                    memoryGib: memories.max() ?? 0)
            }
            if config.capacityPerS > (best?.0.capacityPerS ?? 0) * (1 + 1e-12) { best = (config, memories) }
        }
        return best
    }

    /// Single-device candidates of one service on one device type, each share and batch in
    /// the order a device's candidates are numbered (`slots` left empty: the caller places them).
    func singleCandidates(_ ctx: ServiceContext, on type: DeviceType) -> [Candidate] {
        let shares: [Double] = rules.shares ? (ctx.model.kind == .llm ? [1, 0.5] : [1, 0.5, 0.25]) : [1]
        var result: [Candidate] = []
        for share in shares {
            for config in configurations(ctx, on: type, share: share) {
                var modes: CandidateModes = .batching
                if share < 1 { modes.insert(.gpuSharing) }
                if config.framesPacked > 1 { modes.insert(.framePacking) }
                result.append(
                    Candidate(
                        service: ctx.index, slots: [], memoryGib: [config.memoryGib], share: share,
                        capacityPerS: config.capacityPerS, latencyMs: config.latencyMs, tpotMs: config.tpotMs,
                        batch: config.batch, framesPacked: config.framesPacked, packWaitMs: config.packWaitMs,
                        stages: [], modes: modes))
            }
        }
        return result
    }

    /// Model-parallel candidates of one service: each group the cluster allows, with replicas of
    /// an intra-node group on the node's other devices of the type.
    func groupCandidates(_ ctx: ServiceContext, slotIndex: [String: [Int]]) -> [Candidate] {
        var result: [Candidate] = []
        for group in ModelParallelCandidates.groups(for: ctx.model, in: cluster, latency: latency, headroom: headroom) {
            guard let (config, memories) = bestGroup(ctx, group: group) else { continue }
            // Replicas of an intra-node group on the node's other devices of the type.
            let replicas =
                group.stages.count == 1
                ? max(1, (slotIndex["\(group.stages[0].node)|\(group.stages[0].device)"]?.count ?? 0) / group.stages[0].tensorParallel) : 1
            for replica in 0..<replicas {
                var chosen: [Int] = []
                var complete = true
                for stage in group.stages {
                    let available = slotIndex["\(stage.node)|\(stage.device)"] ?? []
                    let offset = replica * stage.tensorParallel
                    guard available.count >= offset + stage.tensorParallel else { complete = false; break }
                    chosen.append(contentsOf: available[offset..<(offset + stage.tensorParallel)])
                }
                guard complete else { continue }
                var modes: CandidateModes = .modelParallel
                if group.stages.contains(where: { $0.tensorParallel > 1 }) { modes.insert(.tensorParallel) }
                if group.stages.count > 1 { modes.insert(.pipelineParallel) }
                if config.batch > 1 { modes.insert(.batching) }
                result.append(
                    Candidate(
                        service: ctx.index, slots: chosen, memoryGib: memories, share: 1,
                        capacityPerS: config.capacityPerS, latencyMs: config.latencyMs, tpotMs: config.tpotMs,
                        batch: config.batch, framesPacked: 1, stages: group.stages, modes: modes))
            }
        }
        return result
    }
}
