/// Reads Catalog documents: device types, models and measured profiles.
enum CatalogReader {
    static func read(_ document: YAMLMapping, into state: inout ReadState) {
        var catalog = Catalog()
        for item in document.optional("devices")?.list() ?? [] {
            if let device = readDevice(item), unique("device", device.name, item, &state) { catalog.devices.append(device) }
        }
        for item in document.optional("models")?.list() ?? [] {
            if let model = readModel(item), unique("model", model.name, item, &state) { catalog.models.append(model) }
        }
        for item in document.optional("profiles")?.list() ?? [] {
            if let profile = readProfile(item, state: &state),
                unique("profile", "\(profile.model)@\(profile.device)", item, &state)
            {
                catalog.profiles.append(profile)
            }
        }
        state.catalog = state.catalog.merged(with: catalog)
    }

    /// A name may be given once across all user catalogs (it may still override a built-in entry).
    static func unique(_ what: String, _ name: String, _ item: YAMLValue, _ state: inout ReadState) -> Bool {
        let key = "\(what):\(name)"
        if let first = state.catalogEntries[key] {
            item.error("duplicate \(what) '\(name)' (first defined at \(first.description))")
            return false
        }
        state.catalogEntries[key] = item.location
        return true
    }

    static let deviceKeys = [
        "name", "class", "memory", "fp16", "fp32", "int8", "memory_bandwidth",
        "kernel_overhead", "compute_efficiency", "memory_efficiency", "source",
    ]

    static func readDevice(_ value: YAMLValue) -> DeviceType? {
        guard let m = value.mapping(keys: deviceKeys) else { return nil }
        let name = m.required("name", "the device type's name")?.name()
        let deviceClass = m.required("class", "gpu, embedded-gpu or cpu")?
            .oneOf(DeviceClass.allCases.map(\.rawValue)).flatMap(DeviceClass.init(rawValue:))
        let memory = m.required("memory", Quantity.memory.expectation)?.quantity(.memory, above: 0)
        let fp16 = m.required("fp16", "peak dense fp16 throughput, such as 65TFLOPS")?.quantity(.compute, above: 0)
        let fp32 = m.optional("fp32").map { $0.quantity(.compute, above: 0) }
        let int8 = m.optional("int8").map { $0.quantity(.compute, above: 0) }
        let bandwidth = m.required("memory_bandwidth", "memory bandwidth, such as 300GB/s")?.quantity(.bandwidth, above: 0)
        let overhead = m.optional("kernel_overhead").map { $0.quantity(.duration) }
        let computeEfficiency = m.optional("compute_efficiency").map { fraction($0) }
        let memoryEfficiency = m.optional("memory_efficiency").map { fraction($0) }
        let source = m.optional("source")?.string() ?? "user catalog"
        if fp32 == .some(nil) || int8 == .some(nil) || overhead == .some(nil)
            || computeEfficiency == .some(nil) || memoryEfficiency == .some(nil)
        {
            return nil
        }
        guard let name, let deviceClass, let memory, let fp16, let bandwidth else { return nil }
        let defaults = LatencyModel.ClassDefaults.of(deviceClass)
        return DeviceType(
            name: name, deviceClass: deviceClass, memoryGib: memory, fp16Tflops: fp16,
            fp32Tflops: (fp32 ?? nil) ?? fp16 / 2, int8Tops: (int8 ?? nil) ?? fp16 * 2,
            memoryBandwidthGbytesPerS: bandwidth / 8000,
            kernelOverheadUs: ((overhead ?? nil) ?? defaults.kernelOverheadMs) * 1000,
            computeEfficiency: (computeEfficiency ?? nil) ?? defaults.computeEfficiency,
            memoryEfficiency: (memoryEfficiency ?? nil) ?? defaults.memoryEfficiency,
            source: source)
    }

    static func fraction(_ value: YAMLValue) -> Double? {
        guard let x = value.number(above: 0) else { return nil }
        if x > 1 {
            value.error("expected a fraction in (0, 1], found \(value.found)")
            return nil
        }
        return x
    }

    static let modelKeys = [
        "name", "kind", "precision", "parameters", "bytes_per_weight", "gflops", "activation_memory",
        "kernels", "layers", "hidden_size", "kv_bytes_per_token", "embedding_parameters",
        "input_size", "output_size", "source",
    ]

    static func readModel(_ value: YAMLValue) -> ModelSpec? {
        guard let m = value.mapping(keys: modelKeys) else { return nil }
        let name = m.required("name", "the model's name")?.name()
        let kind = m.required("kind", "vision or llm")?.oneOf(["vision", "llm"]).flatMap(ModelKind.init(rawValue:))
        let precision = m.optional("precision").map { v in v.oneOf(Precision.allCases.map(\.rawValue)).flatMap(Precision.init(rawValue:)) } ?? .fp16
        let parameters = m.required("parameters", Quantity.count.expectation)?.quantity(.count, above: 0)
        let bytesPerWeight = m.optional("bytes_per_weight").map { $0.number(above: 0) }
        let kernels = m.optional("kernels").map { $0.integer(minimum: 1, maximum: 1_000_000) }
        let inputBytes = m.optional("input_size").map { $0.quantity(.dataSize) }
        let outputBytes = m.optional("output_size").map { $0.quantity(.dataSize) }
        let source = m.optional("source")?.string() ?? "user catalog"
        if bytesPerWeight == .some(nil) || kernels == .some(nil) || inputBytes == .some(nil) || outputBytes == .some(nil) {
            return nil
        }
        guard let name, let kind, let precision, let parameters else { return nil }
        let weightBytes = (bytesPerWeight ?? nil) ?? defaultBytes(precision)
        switch kind {
        case .vision:
            let gflops = m.required("gflops", "work per item in GFLOPs (a number)")?.number(above: 0)
            let activation = m.optional("activation_memory").map { $0.quantity(.memory) } ?? 0
            for key in ["layers", "hidden_size", "kv_bytes_per_token", "embedding_parameters"] where m.contains(key) {
                m.optional(key)?.error("applies to LLMs only; '\(name)' is a vision model")
            }
            guard let gflops, let activation else { return nil }
            return ModelSpec(
                name: name, kind: .vision, precision: precision, parameters: parameters,
                bytesPerWeight: weightBytes, gflopsPerItem: gflops, activationMibPerItem: activation * 1024,
                kernels: (kernels ?? nil) ?? 100, inputBytes: (inputBytes ?? nil) ?? 150_000,
                outputBytes: (outputBytes ?? nil) ?? 10_000, source: source)
        case .llm:
            let layers = m.required("layers", "the number of transformer layers")?.integer(minimum: 1, maximum: 10_000)
            let hidden = m.required("hidden_size", "the hidden size")?.integer(minimum: 1, maximum: 1 << 20)
            let kv = m.required("kv_bytes_per_token", "KV-cache size per token, such as 128KiB")?.quantity(.dataSize, above: 0)
            let embedding = m.optional("embedding_parameters").map { $0.quantity(.count) } ?? 0
            if m.contains("gflops") { m.optional("gflops")?.error("applies to vision models only; LLM work follows from parameters") }
            guard let layers, let hidden, let kv, let embedding else { return nil }
            return ModelSpec(
                name: name, kind: .llm, precision: precision, parameters: parameters,
                bytesPerWeight: weightBytes, kernels: (kernels ?? nil) ?? layers * 8, layers: layers,
                hiddenSize: hidden, kvBytesPerToken: kv, embeddingParameters: embedding,
                inputBytes: (inputBytes ?? nil) ?? 4, outputBytes: (outputBytes ?? nil) ?? 4, source: source)
        }
    }

    static func defaultBytes(_ precision: Precision) -> Double {
        switch precision {
        case .fp32: 4
        case .fp16: 2
        case .int8: 1
        case .int4: 0.5
        }
    }

    static func readProfile(_ value: YAMLValue, state: inout ReadState) -> Profile? {
        guard let m = value.mapping(keys: ["model", "device", "latency", "prefill_per_token", "max_sequences", "source"]) else { return nil }
        let modelValue = m.required("model", "a model name")
        let deviceValue = m.required("device", "a device type name")
        let model = modelValue?.name()
        let device = deviceValue?.name()
        if let model, let modelValue { state.refer(.model, model, at: modelValue) }
        if let device, let deviceValue { state.refer(.deviceType, device, at: deviceValue) }
        var points: [Profile.Point]? = nil
        if let latency = m.required("latency", "latency by batch size, such as {1: 5ms, 8: 21ms}"), let entries = latency.entries() {
            var read: [Profile.Point] = []
            for entry in entries {
                guard let batch = Int(entry.key), batch >= 1, batch <= 65536 else {
                    latency.reader.sink.error(
                        entry.keyLocation, latency.path,
                        "expected a batch size (a whole number from 1 to 65536) as key, found '\(entry.key)'")
                    continue
                }
                if let ms = entry.value.quantity(.duration, above: 0) { read.append(.init(batch: batch, latencyMs: ms)) }
            }
            if read.count == entries.count, !read.isEmpty { points = read }
            if entries.isEmpty { latency.error("expected at least one batch size, found an empty mapping") }
        }
        let prefill = m.optional("prefill_per_token").map { $0.quantity(.duration, above: 0) }
        let maxSequencesValue = m.optional("max_sequences")
        let maxSequences = maxSequencesValue?.integer(minimum: 1, maximum: 1 << 20)
        let source = m.optional("source")?.string() ?? "user catalog"
        if prefill == .some(nil) { return nil }
        if maxSequencesValue != nil, maxSequences == nil { return nil }
        guard let model, let device, let points else { return nil }
        return Profile(
            model: model, device: device, points: points, prefillMsPerToken: prefill ?? nil, maxSequences: maxSequences, source: source)
    }
}
