/// A group of devices that runs one instance of a model: one stage per node-local set of
/// identical devices (tensor parallel inside it), stages chained by pipeline parallelism.
public struct ParallelGroup: Codable, Hashable, Sendable {
    public struct Stage: Codable, Hashable, Sendable {
        public var node: String
        public var device: String
        /// Tensor-parallel degree: this many identical devices of the node share the stage.
        public var tensorParallel: Int
        /// Fraction of the model's layers in this stage.
        public var layerFraction: Double

        public init(node: String, device: String, tensorParallel: Int, layerFraction: Double) {
            self.node = node
            self.device = device
            self.tensorParallel = tensorParallel
            self.layerFraction = layerFraction
        }
    }

    public var stages: [Stage]

    public init(stages: [Stage]) {
        self.stages = stages
    }

    public var deviceCount: Int { stages.reduce(0) { $0 + $1.tensorParallel } }
    public var isSingleDevice: Bool { deviceCount == 1 }

    public var description: String {
        stages.map { "\($0.node)/\($0.device)×\($0.tensorParallel)" }.joined(separator: " → ")
    }
}

/// How a request fares on a group: the numbers SLOs are checked against.
public struct GroupTiming: Hashable, Sendable {
    /// Vision: latency of one batch through all stages. LLM: time to first token.
    public var latencyMs: Double
    /// LLM only: time per output token.
    public var tpotMs: Double
    /// Time the slowest stage is busy per batch (the pipeline's period).
    public var bottleneckMs: Double
    /// Highest memory needed on one device of the group, and whether every device holds its share.
    public var peakMemoryGib: Double
    public var fits: Bool
}

extension LatencyModel {
    /// Splits layers over stages in proportion to each stage's speed, capped by its memory,
    /// so that no stage waits on a slower neighbour more than memory forces.
    public func balancedFractions(_ model: ModelSpec, stages: [(device: DeviceType, tensorParallel: Int)]) -> [Double] {
        guard stages.count > 1 else { return [1] }
        let speed = stages.map { stage -> Double in
            let t =
                model.kind == .llm
                ? decodeStepMs(model, on: stage.device, batch: 1, context: 0, fraction: 1, tensorParallel: stage.tensorParallel)
                : batchLatencyMs(model, on: stage.device, batch: 1, fraction: 1, tensorParallel: stage.tensorParallel)
            return 1 / max(t, 1e-9)
        }
        let capacity = stages.map { stage -> Double in
            let usable = stage.device.memoryGib - ClassDefaults.of(stage.device.deviceClass).runtimeOverheadGib
            return max(0, usable * Double(stage.tensorParallel) / max(model.weightsGib, 1e-9))
        }
        // Water-filling: give each stage its speed share, cap at memory, spread the rest.
        var fractions = [Double](repeating: 0, count: stages.count)
        var open = Set(stages.indices)
        var remaining = 1.0
        while !open.isEmpty, remaining > 1e-12 {
            let total = open.reduce(0) { $0 + speed[$1] }
            var capped = false
            for i in open.sorted() {
                let share = remaining * speed[i] / total
                if fractions[i] + share > capacity[i] {
                    remaining -= capacity[i] - fractions[i]
                    fractions[i] = capacity[i]
                    open.remove(i)
                    capped = true
                }
            }
            if !capped {
                for i in open { fractions[i] += remaining * speed[i] / total }
                remaining = 0
            }
        }
        if remaining > 1e-12 {
            // Memory cannot hold the model: spread the rest by speed and let `fits` say so.
            let total = speed.reduce(0, +)
            for i in fractions.indices { fractions[i] += remaining * speed[i] / total }
        }
        return fractions
    }

    /// Timing of `model` on `group` in `cluster`, for a batch (vision) or a decode batch with
    /// prompts of `inputTokens` and `context` tokens of context (LLM).
    public func timing(
        _ model: ModelSpec, on group: ParallelGroup, in cluster: Cluster, batch: Int,
        inputTokens: Double = 0, context: Double = 0
    ) -> GroupTiming? {
        var latency = 0.0, tpot = 0.0, bottleneck = 0.0, peak = 0.0
        var fits = true
        var previous: ClusterNode? = nil
        for stage in group.stages {
            guard let node = cluster.node(stage.node), let device = catalog.device(stage.device) else { return nil }
            if let previous {
                let link = cluster.link(from: previous, to: node)
                let tokens = model.kind == .llm ? inputTokens * Double(batch) : Double(batch)
                latency += link.transferMs(bytes: activationBytes(model, tokens: tokens))
                tpot += link.transferMs(bytes: activationBytes(model, tokens: Double(batch)))
            }
            let layers = Double(model.layers) * stage.layerFraction
            let stageTime: Double
            switch model.kind {
            case .vision:
                stageTime = batchLatencyMs(
                    model, on: device, batch: batch, fraction: stage.layerFraction,
                    tensorParallel: stage.tensorParallel)
                latency += stageTime
            case .llm:
                let prefill =
                    prefillMs(
                        model, on: device, inputTokens: inputTokens, fraction: stage.layerFraction,
                        tensorParallel: stage.tensorParallel)
                    + allReduceMs(model, tokens: inputTokens, layers: layers, degree: stage.tensorParallel, over: node.interconnect)
                stageTime =
                    decodeStepMs(
                        model, on: device, batch: batch, context: context, fraction: stage.layerFraction,
                        tensorParallel: stage.tensorParallel)
                    + allReduceMs(model, tokens: Double(batch), layers: layers, degree: stage.tensorParallel, over: node.interconnect)
                latency += prefill
                tpot += stageTime
            }
            bottleneck = max(bottleneck, stageTime)
            let memory = memoryGib(
                model, on: device, batch: batch, context: context, fraction: stage.layerFraction,
                tensorParallel: stage.tensorParallel)
            peak = max(peak, memory)
            if memory > device.memoryGib { fits = false }
            previous = node
        }
        return GroupTiming(latencyMs: latency, tpotMs: tpot, bottleneckMs: bottleneck, peakMemoryGib: peak, fits: fits)
    }
}
