import Foundation

/// Answers "how long does model m take on device d at batch b" for every stage: a measured
/// profile when the catalog has one, else a roofline estimate
///
///     t(b) = kernels·τ + max(b·FLOPs / (peak·η(work)), bytes / (bandwidth·η_mem))
///
/// where τ is the device's per-kernel overhead and η(work) = η_max·w/(w + w½) is the compute
/// efficiency, which grows with the work of one pass: small convolutions at batch 1 leave a
/// GPU mostly idle, large GEMMs (LLM prefill) reach most of η_max. See docs/latency-model.md.
public struct LatencyModel: Sendable {
    public let catalog: Catalog

    public init(catalog: Catalog) {
        self.catalog = catalog
    }

    /// Work (GFLOP per pass) at which a device reaches half of its best compute efficiency.
    /// Fitted with η_max = 0.6 to the vision measurements in docs/latency-model.md.
    public static let halfEfficiencyGflop = 8.0

    /// Defaults for catalog entries that do not set these numbers.
    public struct ClassDefaults: Sendable {
        public var kernelOverheadMs: Double
        public var computeEfficiency: Double
        public var memoryEfficiency: Double
        /// CUDA context, runtime workspace, allocator slack: memory a model server takes beyond weights.
        public var runtimeOverheadGib: Double

        public static func of(_ deviceClass: DeviceClass) -> ClassDefaults {
            switch deviceClass {
            case .gpu: ClassDefaults(kernelOverheadMs: 0.003, computeEfficiency: 0.6, memoryEfficiency: 0.7, runtimeOverheadGib: 0.8)
            case .embeddedGPU: ClassDefaults(kernelOverheadMs: 0.007, computeEfficiency: 0.6, memoryEfficiency: 0.65, runtimeOverheadGib: 0.5)
            case .cpu: ClassDefaults(kernelOverheadMs: 0.001, computeEfficiency: 0.6, memoryEfficiency: 0.56, runtimeOverheadGib: 0.2)
            }
        }
    }

    // MARK: Roofline pieces

    /// Milliseconds to do `gflop` of work in one pass at `precision`.
    public func computeMs(gflop: Double, device: DeviceType, precision: Precision) -> Double {
        guard gflop > 0 else { return 0 }
        let efficiency = device.computeEfficiency * gflop / (gflop + Self.halfEfficiencyGflop)
        return gflop / (device.peakTflops(precision) * 1000 * efficiency) * 1000
    }

    /// Milliseconds to stream `bytes` through device memory.
    public func memoryMs(bytes: Double, device: DeviceType) -> Double {
        bytes / (device.memoryBandwidthGbytesPerS * 1e9 * device.memoryEfficiency) * 1000
    }

    public func overheadMs(kernels: Double, device: DeviceType) -> Double {
        kernels * device.kernelOverheadUs / 1000
    }

    // MARK: Vision and other fixed-work models

    /// Latency of one batch of `batch` items on one device, running `fraction` of the model's
    /// layers (pipeline stages run a fraction) split `tensorParallel` ways.
    public func batchLatencyMs(
        _ model: ModelSpec, on device: DeviceType, batch: Int,
        fraction: Double = 1, tensorParallel: Int = 1
    ) -> Double {
        if fraction == 1, tensorParallel == 1, let profile = catalog.profile(model: model.name, device: device.name) {
            return Self.interpolate(profile.points, batch: batch)
        }
        let split = fraction / Double(tensorParallel)
        let b = Double(max(batch, 1))
        let compute = computeMs(gflop: model.gflopsPerItem * b * split, device: device, precision: model.precision)
        let bytes = (model.parameters * model.bytesPerWeight + b * model.activationMibPerItem * 1_048_576) * split
        return overheadMs(kernels: Double(model.kernels) * fraction, device: device)
            + max(compute, memoryMs(bytes: bytes, device: device))
    }

    /// Piecewise-linear in batch size between measured points; beyond the last point the
    /// per-item cost of the last segment continues.
    static func interpolate(_ points: [Profile.Point], batch: Int) -> Double {
        guard let first = points.first else { return 0 }
        let b = Double(batch)
        if points.count == 1 {
            return first.latencyMs * max(1, b / Double(first.batch))
        }
        if batch <= first.batch {
            return first.latencyMs
        }
        for (lower, upper) in zip(points, points.dropFirst()) where batch <= upper.batch {
            let t = (b - Double(lower.batch)) / Double(upper.batch - lower.batch)
            return lower.latencyMs + t * (upper.latencyMs - lower.latencyMs)
        }
        let last = points[points.count - 1], previous = points[points.count - 2]
        let slope = (last.latencyMs - previous.latencyMs) / Double(last.batch - previous.batch)
        return last.latencyMs + max(slope, 0) * (b - Double(last.batch))
    }

    // MARK: LLMs

    /// Weight bytes read by one forward pass (an input embedding table is only indexed).
    func streamedWeightBytes(_ model: ModelSpec) -> Double {
        (model.parameters - model.embeddingParameters) * model.bytesPerWeight
    }

    /// One forward pass over `tokens` new tokens with `context` tokens of attention context each
    /// on average, over `fraction` of the layers split `tensorParallel` ways (no communication).
    public func llmForwardMs(
        _ model: ModelSpec, on device: DeviceType, tokens: Double, context: Double,
        fraction: Double = 1, tensorParallel: Int = 1
    ) -> Double {
        let split = fraction / Double(tensorParallel)
        let matmul = 2 * (model.parameters - model.embeddingParameters) * tokens
        let attention = 4 * Double(model.layers * model.hiddenSize) * tokens * context
        let compute = computeMs(gflop: (matmul + attention) * split / 1e9, device: device, precision: .fp16)
        // Weights stream once; the KV cache of the context is read once and the new tokens' written.
        let bytes = (streamedWeightBytes(model) + model.kvBytesPerToken * (context + tokens)) * split
        return overheadMs(kernels: Double(model.kernels) * fraction, device: device)
            + max(compute, memoryMs(bytes: bytes, device: device))
    }

    /// Time to first token for a prompt of `inputTokens` (prefill), on one device or a split.
    public func prefillMs(
        _ model: ModelSpec, on device: DeviceType, inputTokens: Double,
        fraction: Double = 1, tensorParallel: Int = 1
    ) -> Double {
        if fraction == 1, tensorParallel == 1, let perToken = catalog.profile(model: model.name, device: device.name)?.prefillMsPerToken {
            return perToken * inputTokens
        }
        return llmForwardMs(
            model, on: device, tokens: inputTokens, context: inputTokens / 2,
            fraction: fraction, tensorParallel: tensorParallel)
    }

    /// One decode step for `batch` sequences with `context` tokens each.
    public func decodeStepMs(
        _ model: ModelSpec, on device: DeviceType, batch: Int, context: Double,
        fraction: Double = 1, tensorParallel: Int = 1
    ) -> Double {
        if fraction == 1, tensorParallel == 1, let profile = catalog.profile(model: model.name, device: device.name) {
            return Self.interpolate(profile.points, batch: batch)
        }
        let b = Double(max(batch, 1))
        let split = fraction / Double(tensorParallel)
        let matmul = 2 * (model.parameters - model.embeddingParameters) * b
        let attention = 4 * Double(model.layers * model.hiddenSize) * b * context
        let compute = computeMs(gflop: (matmul + attention) * split / 1e9, device: device, precision: .fp16)
        let bytes = (streamedWeightBytes(model) + model.kvBytesPerToken * context * b) * split
        return overheadMs(kernels: Double(model.kernels) * fraction, device: device)
            + max(compute, memoryMs(bytes: bytes, device: device))
    }

    // MARK: Memory

    /// Memory a model server takes on the device before any model (runtime and CUDA context);
    /// included in `memoryGib`, paid once per device however many models it holds.
    public func runtimeOverheadGib(on device: DeviceType) -> Double {
        ClassDefaults.of(device.deviceClass).runtimeOverheadGib
    }

    /// Memory one device needs to hold `fraction` of the model split `tensorParallel` ways,
    /// with room for `batch` items (vision) or `batch` sequences of `context` tokens (LLM).
    public func memoryGib(
        _ model: ModelSpec, on device: DeviceType, batch: Int, context: Double = 0,
        fraction: Double = 1, tensorParallel: Int = 1
    ) -> Double {
        let split = fraction / Double(tensorParallel)
        let working: Double
        switch model.kind {
        case .vision: working = Double(batch) * model.activationMibPerItem / 1024
        case .llm: working = Double(batch) * context * model.kvBytesPerToken / 1_073_741_824
        }
        return (model.weightsGib + working) * split + ClassDefaults.of(device.deviceClass).runtimeOverheadGib
    }

    /// Seconds to bring a model up on a device that does not hold it: weights read at about
    /// 1 GB/s (NVMe or page cache to device memory) plus a runtime start of 2 s. Planning charges
    /// it to moves; the simulator keeps a moved instance offline for it.
    public static func loadSeconds(_ model: ModelSpec) -> Double {
        model.weightsGib * 1.073741824 + 2
    }

    // MARK: Model parallelism

    /// Tensor-parallel communication for one pass: two ring all-reduces of the activations per layer.
    public func allReduceMs(_ model: ModelSpec, tokens: Double, layers: Double, degree: Int, over link: Link) -> Double {
        guard degree > 1 else { return 0 }
        let k = Double(degree)
        let bytes = tokens * Double(model.hiddenSize) * 2
        let perAllReduce = 2 * (k - 1) * link.latencyMs + 2 * (k - 1) / k * bytes * 8 / (link.bandwidthMbps * 1000)
        return 2 * layers * perAllReduce
    }

    /// Bytes handed from one pipeline stage to the next for `tokens` tokens (LLM) or one item (vision).
    public func activationBytes(_ model: ModelSpec, tokens: Double) -> Double {
        switch model.kind {
        case .llm: tokens * Double(model.hiddenSize) * 2
        case .vision: model.activationMibPerItem * 1_048_576 / 4
        }
    }
}
