// The Catalog document: device types, models and their measured profiles. Like every value
// the stages work on once documents are read, JSON output encodes them with snake_case keys
// whose names carry their unit (`memory_gib`, `latency_ms`).

/// What kind of processor a device type is: a GPU, an embedded GPU (Jetson), a CPU.
public enum DeviceClass: String, Codable, Hashable, Sendable, CaseIterable {
    case gpu
    case embeddedGPU = "embedded-gpu"
    case cpu
}

/// A kind of device: the catalog's numbers that the latency model runs on.
public struct DeviceType: Codable, Hashable, Sendable {
    public var name: String
    public var deviceClass: DeviceClass
    /// Memory usable by models (on Jetsons and CPUs, what the OS leaves free).
    public var memoryGib: Double
    /// Peak dense throughput by precision.
    public var fp16Tflops: Double
    public var fp32Tflops: Double
    public var int8Tops: Double
    public var memoryBandwidthGbytesPerS: Double
    /// Fixed cost per kernel (layer) launch; dominates small models at batch 1.
    public var kernelOverheadUs: Double
    /// Fraction of peak compute and memory bandwidth that real inference runtimes reach.
    public var computeEfficiency: Double
    public var memoryEfficiency: Double
    public var source: String

    public init(
        name: String, deviceClass: DeviceClass, memoryGib: Double, fp16Tflops: Double, fp32Tflops: Double,
        int8Tops: Double, memoryBandwidthGbytesPerS: Double, kernelOverheadUs: Double,
        computeEfficiency: Double, memoryEfficiency: Double, source: String
    ) {
        self.name = name
        self.deviceClass = deviceClass
        self.memoryGib = memoryGib
        self.fp16Tflops = fp16Tflops
        self.fp32Tflops = fp32Tflops
        self.int8Tops = int8Tops
        self.memoryBandwidthGbytesPerS = memoryBandwidthGbytesPerS
        self.kernelOverheadUs = kernelOverheadUs
        self.computeEfficiency = computeEfficiency
        self.memoryEfficiency = memoryEfficiency
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case name, deviceClass = "class", memoryGib, fp16Tflops, fp32Tflops, int8Tops, memoryBandwidthGbytesPerS,
            kernelOverheadUs, computeEfficiency, memoryEfficiency, source
    }

    /// Peak operations per second for a compute precision. 4-bit weights are dequantized into
    /// 8-bit or 16-bit math, so they run at the int8 rate. (A CPU without half-precision
    /// arithmetic should list its fp32 figure as `fp16`.)
    public func peakTflops(_ precision: Precision) -> Double {
        switch precision {
        case .fp32: fp32Tflops
        case .fp16: fp16Tflops
        case .int8, .int4: int8Tops
        }
    }
}

public enum Precision: String, Codable, Hashable, Sendable, CaseIterable {
    case fp32, fp16, int8, int4
}

public enum ModelKind: String, Codable, Hashable, Sendable {
    case vision
    case llm
}

/// A model and the numbers that size its work: per item for vision models, per token for LLMs.
public struct ModelSpec: Codable, Hashable, Sendable {
    public var name: String
    public var kind: ModelKind
    public var precision: Precision
    public var parameters: Double
    public var bytesPerWeight: Double
    /// Vision: work per item (image or frame).
    public var gflopsPerItem: Double
    /// Vision: activation memory per item of a batch.
    public var activationMibPerItem: Double
    /// Kernels launched per forward pass (about the layer count after fusion).
    public var kernels: Int
    /// LLM: transformer layers (pipeline stages split on them).
    public var layers: Int
    /// LLM: hidden size (tensor-parallel all-reduce volume).
    public var hiddenSize: Int
    /// LLM: KV-cache bytes per token of context, all layers.
    public var kvBytesPerToken: Double
    /// LLM: parameters of an input embedding table that decoding reads one row of per token
    /// (0 when the table is tied to the output head, which reads all of it).
    public var embeddingParameters: Double
    /// Bytes a request carries over the network to the instance (an image, a prompt).
    public var inputBytes: Double
    /// Bytes of the answer (masks, boxes, or per generated token for LLMs).
    public var outputBytes: Double
    public var source: String

    public init(
        name: String, kind: ModelKind, precision: Precision, parameters: Double, bytesPerWeight: Double,
        gflopsPerItem: Double = 0, activationMibPerItem: Double = 0, kernels: Int, layers: Int = 0,
        hiddenSize: Int = 0, kvBytesPerToken: Double = 0, embeddingParameters: Double = 0, inputBytes: Double, outputBytes: Double,
        source: String
    ) {
        self.name = name
        self.kind = kind
        self.precision = precision
        self.parameters = parameters
        self.bytesPerWeight = bytesPerWeight
        self.gflopsPerItem = gflopsPerItem
        self.activationMibPerItem = activationMibPerItem
        self.kernels = kernels
        self.layers = layers
        self.hiddenSize = hiddenSize
        self.kvBytesPerToken = kvBytesPerToken
        self.embeddingParameters = embeddingParameters
        self.inputBytes = inputBytes
        self.outputBytes = outputBytes
        self.source = source
    }

    public var weightsGib: Double { parameters * bytesPerWeight / 1_073_741_824 }
}

/// Measured latencies of a model on a device type; they override the analytic estimate.
public struct Profile: Codable, Hashable, Sendable {
    public struct Point: Codable, Hashable, Sendable {
        public var batch: Int
        public var latencyMs: Double
        public init(batch: Int, latencyMs: Double) {
            self.batch = batch
            self.latencyMs = latencyMs
        }
    }

    public var model: String
    public var device: String
    /// Vision: latency of one batch. LLM: time of one decode step at that batch size.
    public var points: [Point]
    /// LLM only: prefill time per prompt token, when measured.
    public var prefillMsPerToken: Double?
    /// LLM only: the most sequences the measured server runs at once (llama.cpp's `--parallel`,
    /// vLLM's `--max-num-seqs`): the planner gives an instance on this device no larger batch.
    public var maxSequences: Int?
    public var source: String

    public init(
        model: String, device: String, points: [Point], prefillMsPerToken: Double? = nil, maxSequences: Int? = nil, source: String
    ) {
        self.model = model
        self.device = device
        self.points = points.sorted { $0.batch < $1.batch }
        self.prefillMsPerToken = prefillMsPerToken
        self.maxSequences = maxSequences
        self.source = source
    }
}

public struct Catalog: Codable, Hashable, Sendable {
    public var devices: [DeviceType]
    public var models: [ModelSpec]
    public var profiles: [Profile]

    public init(devices: [DeviceType] = [], models: [ModelSpec] = [], profiles: [Profile] = []) {
        self.devices = devices
        self.models = models
        self.profiles = profiles
    }

    public func device(_ name: String) -> DeviceType? { devices.first { $0.name == name } }
    public func model(_ name: String) -> ModelSpec? { models.first { $0.name == name } }
    public func profile(model: String, device: String) -> Profile? {
        profiles.first { $0.model == model && $0.device == device }
    }

    /// `overlay` wins for entries of the same name (a user's catalog over the built-in one).
    public func merged(with overlay: Catalog) -> Catalog {
        func merge<T>(_ base: [T], _ top: [T], key: (T) -> String) -> [T] {
            var result = base.filter { item in !top.contains { key($0) == key(item) } }
            result.append(contentsOf: top)
            return result.sorted { key($0) < key($1) }
        }
        return Catalog(
            devices: merge(devices, overlay.devices) { $0.name },
            models: merge(models, overlay.models) { $0.name },
            profiles: merge(profiles, overlay.profiles) { "\($0.model)@\($0.device)" }
        )
    }

    /// Only the entries that `names` refer to, so that an output carries what it needs and no more.
    public func restricted(devices deviceNames: Set<String>, models modelNames: Set<String>) -> Catalog {
        Catalog(
            devices: devices.filter { deviceNames.contains($0.name) },
            models: models.filter { modelNames.contains($0.name) },
            profiles: profiles.filter { deviceNames.contains($0.device) && modelNames.contains($0.model) }
        )
    }
}
