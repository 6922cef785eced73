/// How one instance of a service runs on one device: its batch, and what that gives.
public struct BatchConfiguration: Hashable, Sendable {
    public var batch: Int
    /// MF: frames of one stream packed into a batch (1 when not packing).
    public var framesPacked: Int
    /// Requests (or frames) per second completed within the SLO.
    public var capacityPerS: Double
    /// Processing latency of a request (LLM: time to first token), including an MF pack's wait.
    public var latencyMs: Double
    public var tpotMs: Double?
    public var memoryGib: Double
    /// MF: the deterministic wait for a pack's last frame, included in latencyMs.
    public var packWaitMs: Double

    public init(
        batch: Int, framesPacked: Int = 1, capacityPerS: Double, latencyMs: Double, tpotMs: Double? = nil,
        memoryGib: Double, packWaitMs: Double = 0
    ) {
        self.batch = batch
        self.framesPacked = framesPacked
        self.capacityPerS = capacityPerS
        self.latencyMs = latencyMs
        self.tpotMs = tpotMs
        self.memoryGib = memoryGib
        self.packWaitMs = packWaitMs
    }
}

extension Service {
    /// The deadline a request is held to end to end (for an LLM, its time to first token).
    public var deadlineMs: Double { slo.ttftMs ?? slo.latencyMs ?? 0 }
}

extension LatencyModel {
    /// Batch sizes tried: powers of two.
    public static func batchSizes(upTo limit: Int) -> [Int] {
        var result: [Int] = []
        var b = 1
        while b <= limit { result.append(b); b *= 2 }
        return result
    }

    /// Configurations of `service` alone on `device` with `share` of its time (time-sliced, so a
    /// batch takes t / share) that meet its SLO: the highest-capacity one first, then — when it
    /// differs — the highest-capacity one whose processing stays within half of what the
    /// deadline allows (less throughput, little risk of a miss). Empty when none meets the SLO.
    ///
    /// - Requests may find a batch in progress, wait for it, then run in the next: 2·t ≤ deadline.
    /// - With `packsFrames` (EPARA's MF for frequency-sensitive streams) a pack of k frames of a
    ///   stream starts when its last frame arrives, so the first waits (k−1)/fps. A single stream
    ///   on an instance that keeps up finds no batch in progress: wait + t ≤ deadline; frames of
    ///   several streams arrive at any phase and may: wait + 2·t ≤ deadline. A batch holds k
    ///   frames from each of at most all the service's streams.
    /// - LLMs decode with continuous batching: the step within the TPOT SLO (or the whole answer
    ///   within the latency SLO), the prefill within half the TTFT deadline, the batch's KV cache
    ///   in memory; capacity is 1 / (prefill + output tokens × step / batch).
    public func configurations(
        _ service: Service, model: ModelSpec, on device: DeviceType, share: Double = 1,
        packsFrames: Bool, maxBatch: Int, headroom: Double
    ) -> [BatchConfiguration] {
        let memoryLimit = device.memoryGib * headroom
        let deadline = service.deadlineMs
        var best: BatchConfiguration? = nil
        var safe: BatchConfiguration? = nil
        func consider(_ c: BatchConfiguration) {
            if c.capacityPerS > (best?.capacityPerS ?? 0) * (1 + 1e-12) { best = c }
            let isSafe = c.latencyMs - c.packWaitMs <= (deadline - c.packWaitMs) / 2
            if isSafe, c.capacityPerS > (safe?.capacityPerS ?? 0) * (1 + 1e-12) { safe = c }
        }
        switch model.kind {
        case .vision:
            let fps = service.stream?.fps ?? 0
            let streams = service.stream?.streams ?? 1
            for k in packsFrames ? [1, 2, 4, 8] : [1] {
                let packWait = Double(k - 1) * 1000 / max(fps, 1e-9)
                if k > 1 && packWait >= deadline { break }
                for b in Self.batchSizes(upTo: maxBatch) where b >= k && b % k == 0 {
                    let memory = memoryGib(model, on: device, batch: b)
                    guard memory <= memoryLimit else { break }
                    if packsFrames, b > k * streams { break }
                    let t = batchLatencyMs(model, on: device, batch: b) / share
                    // One stream's next pack is not due before this one is done; frames of several
                    // streams arrive at any phase and may find a batch in progress (what `serve`
                    // measures: planning as if they did not put whole camera fleets on one GPU
                    // that then missed most frames).
                    let inProgress = packsFrames && streams == 1 ? 0 : t
                    guard packWait + inProgress + t <= deadline else { continue }
                    consider(
                        BatchConfiguration(
                            batch: b, framesPacked: k, capacityPerS: Double(b) * 1000 / t, latencyMs: t + packWait,
                            memoryGib: memory, packWaitMs: packWait))
                }
            }
        case .llm:
            let input = service.demand?.inputTokens ?? 0, output = service.demand?.outputTokens ?? 0
            let prefill = prefillMs(model, on: device, inputTokens: input) / share
            guard prefill <= deadline / 2 else { return [] }
            // As many sequences as the server measured on this device runs, when its profile says.
            let sequences = catalog.profile(model: model.name, device: device.name)?.maxSequences ?? .max
            let limit = min(max(maxBatch, 128), sequences)
            var sizes = Self.batchSizes(upTo: limit)
            if sequences == limit, sizes.last != limit { sizes.append(limit) }
            for b in sizes {
                let memory = memoryGib(model, on: device, batch: b, context: input + output)
                guard memory <= memoryLimit else { break }
                let step = decodeStepMs(model, on: device, batch: b, context: input + output / 2) / share
                if let tpot = service.slo.tpotMs, step > tpot { break }
                if service.slo.tpotMs == nil, let total = service.slo.latencyMs, prefill + output * step > total { break }
                consider(
                    BatchConfiguration(
                        batch: b, capacityPerS: 1000 / (prefill + output * step / Double(b)), latencyMs: prefill,
                        tpotMs: step, memoryGib: memory))
            }
        }
        guard let best else { return [] }
        if let safe, safe.batch != best.batch || safe.framesPacked != best.framesPacked { return [best, safe] }
        return [best]
    }
}
