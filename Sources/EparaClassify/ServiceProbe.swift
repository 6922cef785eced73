import EparaCore

/// Measures one service against the cluster's devices with the latency model.
struct ServiceProbe {
    let service: Service
    let model: ModelSpec
    let cluster: Cluster
    let latency: LatencyModel
    let thresholds: Thresholds

    /// Distinct device types in the cluster, by name.
    var deviceTypes: [DeviceType] {
        Set(cluster.nodes.flatMap { $0.devices.map(\.type) }).sorted().compactMap { latency.catalog.device($0) }
    }

    var inputTokens: Double { service.demand?.inputTokens ?? 0 }
    var outputTokens: Double { service.demand?.outputTokens ?? 0 }
    /// Average context while decoding: the prompt plus half the answer.
    var meanContext: Double { inputTokens + outputTokens / 2 }

    struct Alone {
        var device: DeviceType
        var latencyMs: Double
        var tpotMs: Double
        var slack: Double
        var memoryGib: Double
        var fits: Bool
    }

    /// One request alone on one device of each type.
    func alone(on device: DeviceType) -> Alone {
        let memory = latency.memoryGib(model, on: device, batch: 1, context: inputTokens + outputTokens)
        let fits = memory <= device.memoryGib * thresholds.memoryHeadroom
        switch model.kind {
        case .vision:
            let t = latency.batchLatencyMs(model, on: device, batch: 1)
            return Alone(device: device, latencyMs: t, tpotMs: 0, slack: (service.slo.latencyMs ?? 0) / t, memoryGib: memory, fits: fits)
        case .llm:
            let ttft = latency.prefillMs(model, on: device, inputTokens: inputTokens)
            let tpot = latency.decodeStepMs(model, on: device, batch: 1, context: meanContext)
            return Alone(device: device, latencyMs: ttft, tpotMs: tpot, slack: slack(ttft: ttft, tpot: tpot), memoryGib: memory, fits: fits)
        }
    }

    func slack(ttft: Double, tpot: Double) -> Double {
        if let ttftSLO = service.slo.ttftMs, let tpotSLO = service.slo.tpotMs {
            return min(ttftSLO / ttft, tpotSLO / tpot)
        }
        return (service.slo.latencyMs ?? 0) / (ttft + max(outputTokens - 1, 0) * tpot)
    }

    func evidence() -> Evidence {
        let all = deviceTypes.map(alone(on:))
        let largest = deviceTypes.max { ($0.memoryGib, $1.name) < ($1.memoryGib, $0.name) }!
        let modelMemory = latency.memoryGib(model, on: largest, batch: 1, context: inputTokens + outputTokens)
        // Fastest among those that hold the model; ties broken by name for determinism.
        let best = all.filter(\.fits).max { ($0.slack, $1.device.name) < ($1.slack, $0.device.name) }
        var evidence = Evidence(
            bestDevice: best?.device.name,
            singleDeviceLatencyMs: best.map { $0.latencyMs.rounded(places: 3) },
            singleDeviceTpotMs: model.kind == .llm ? best.map { $0.tpotMs.rounded(places: 3) } : nil,
            slackRatio: best.map { $0.slack.rounded(places: 3) },
            modelMemoryGib: modelMemory.rounded(places: 3),
            largestDeviceMemoryGib: largest.memoryGib.rounded(places: 3),
            largestDevice: largest.name,
            memoryRatio: (modelMemory / largest.memoryGib).rounded(places: 3))
        if let best, let capacity = capacity(on: best.device) {
            evidence.deviceCapacityPerS = capacity.rate.rounded(places: 3)
            evidence.bestBatch = capacity.batch
            evidence.loadDeviceEquivalents = (service.offeredRate / capacity.rate).rounded(places: 3)
        }
        return evidence
    }

    /// Best sustainable rate on one device within the SLO, by the same batch rules the
    /// allocator plans with (frame packing for streams the request axis calls frequency-sensitive).
    func capacity(on device: DeviceType) -> (rate: Double, batch: Int)? {
        let packs = service.stream.map { $0.fps >= thresholds.minStreamFps } ?? false
        return latency.configurations(
            service, model: model, on: device, packsFrames: packs, maxBatch: thresholds.maxBatch,
            headroom: thresholds.memoryHeadroom
        ).first.map { ($0.capacityPerS, $0.batch) }
    }

    func singleDeviceMeetsSLO(_ evidence: Evidence) -> Bool {
        guard evidence.bestDevice != nil, let slack = evidence.slackRatio else { return false }
        return slack >= thresholds.minSlack
    }

    func whyNotSingle(_ evidence: Evidence) -> String {
        guard let best = evidence.bestDevice, let slack = evidence.slackRatio else {
            return "the model needs \(Classifier.format(evidence.modelMemoryGib)) GiB and the largest device "
                + "(\(evidence.largestDevice)) has \(Classifier.format(evidence.largestDeviceMemoryGib)) GiB"
        }
        return "the fastest device that holds it (\(best)) reaches slack \(Classifier.format(slack)), "
            + "below the required \(Classifier.format(thresholds.minSlack))"
    }

    struct Found {
        var group: ParallelGroup
        var timing: GroupTiming
    }

    func meets(_ timing: GroupTiming) -> Bool {
        guard timing.fits else { return false }
        let s: Double
        switch model.kind {
        case .vision: s = (service.slo.latencyMs ?? 0) / timing.latencyMs
        case .llm: s = slack(ttft: timing.latencyMs, tpot: timing.tpotMs)
        }
        return s >= thresholds.minSlack
    }

    /// The fewest devices that hold the model and meet the SLO: tensor parallel inside one node
    /// first, then pipelines over the fastest devices of one site, then across sites.
    func smallestModelParallelGroup() -> Found? {
        for group in ModelParallelCandidates.groups(for: model, in: cluster, latency: latency, headroom: thresholds.memoryHeadroom) {
            guard
                let timing = latency.timing(
                    model, on: group, in: cluster, batch: 1, inputTokens: inputTokens,
                    context: meanContext)
            else { continue }
            if meets(timing), peakFitsHeadroom(group) { return Found(group: group, timing: timing) }
        }
        return nil
    }

    func peakFitsHeadroom(_ group: ParallelGroup) -> Bool {
        group.stages.allSatisfy { stage in
            guard let device = latency.catalog.device(stage.device) else { return false }
            let memory = latency.memoryGib(
                model, on: device, batch: 1, context: inputTokens + outputTokens,
                fraction: stage.layerFraction, tensorParallel: stage.tensorParallel)
            return memory <= device.memoryGib * thresholds.memoryHeadroom
        }
    }
}
