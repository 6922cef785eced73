/// A problem found in a decoded stage document: where (the field path in the document's own
/// spelling, `instances[3].devices[0].index`) and what was expected.
public struct DocumentProblem: Hashable, Sendable {
    public var path: String
    public var message: String

    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
}

/// A stage document that checks itself after decoding: references resolved, numbers in range
/// and finite, ids unique. `StageDocument.read` reports every problem at once, located.
public protocol CheckedDocument {
    func problems() -> [DocumentProblem]
}

/// Collects problems under a path prefix; the checks every stage document shares (the cluster,
/// the catalog and the services a workload carries) are written once here.
public struct ProblemList {
    public private(set) var problems: [DocumentProblem] = []

    public init() {}

    public mutating func add(_ path: String, _ message: String) { problems.append(DocumentProblem(path, message)) }

    /// A number that must be finite and at least `minimum` (or above `above`).
    public mutating func number(_ value: Double, _ path: String, minimum: Double? = 0, above: Double? = nil, maximum: Double? = nil) {
        guard value.isFinite else { return add(path, "expected a finite number, found \(value)") }
        if let above, value <= above { add(path, "expected a number greater than \(format(above)), found \(format(value))") }
        if let minimum, above == nil, value < minimum { add(path, "expected a number of at least \(format(minimum)), found \(format(value))") }
        if let maximum, value > maximum { add(path, "expected a number of at most \(format(maximum)), found \(format(value))") }
    }

    public mutating func integer(_ value: Int, _ path: String, minimum: Int) {
        if value < minimum { add(path, "expected an integer of at least \(minimum), found \(value)") }
    }

    /// Names that must be unique within a list; each repeat is reported at its own place.
    public mutating func unique(_ names: [String], _ path: (Int) -> String, what: String) {
        var seen: [String: Int] = [:]
        for (i, name) in names.enumerated() {
            if let first = seen[name] { add(path(i), "duplicate \(what) '\(name)' (first at \(path(first)))") } else { seen[name] = i }
        }
    }

    func format(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x) }

    // MARK: What every workload-carrying document holds

    /// The catalog: unique names, every number a latency model divides by positive and finite.
    public mutating func catalog(_ catalog: Catalog, at path: String) {
        unique(catalog.devices.map(\.name), { "\(path).devices[\($0)].name" }, what: "device type")
        unique(catalog.models.map(\.name), { "\(path).models[\($0)].name" }, what: "model")
        for (i, d) in catalog.devices.enumerated() {
            let p = "\(path).devices[\(i)]"
            for (key, value) in [
                ("memory_gib", d.memoryGib), ("fp16_tflops", d.fp16Tflops), ("fp32_tflops", d.fp32Tflops),
                ("int8_tops", d.int8Tops), ("memory_bandwidth_gbytes_per_s", d.memoryBandwidthGbytesPerS),
            ] {
                number(value, "\(p).\(key)", above: 0)
            }
            number(d.kernelOverheadUs, "\(p).kernel_overhead_us")
            number(d.computeEfficiency, "\(p).compute_efficiency", above: 0, maximum: 1)
            number(d.memoryEfficiency, "\(p).memory_efficiency", above: 0, maximum: 1)
        }
        for (i, m) in catalog.models.enumerated() {
            let p = "\(path).models[\(i)]"
            number(m.parameters, "\(p).parameters", above: 0)
            number(m.bytesPerWeight, "\(p).bytes_per_weight", above: 0)
            for (key, value) in [
                ("gflops_per_item", m.gflopsPerItem), ("activation_mib_per_item", m.activationMibPerItem),
                ("kv_bytes_per_token", m.kvBytesPerToken), ("embedding_parameters", m.embeddingParameters),
                ("input_bytes", m.inputBytes), ("output_bytes", m.outputBytes),
            ] {
                number(value, "\(p).\(key)")
            }
            integer(m.kernels, "\(p).kernels", minimum: 0)
            integer(m.layers, "\(p).layers", minimum: m.kind == .llm ? 1 : 0)
            integer(m.hiddenSize, "\(p).hidden_size", minimum: 0)
        }
        for (i, profile) in catalog.profiles.enumerated() {
            let p = "\(path).profiles[\(i)]"
            if catalog.model(profile.model) == nil { add("\(p).model", "unknown model '\(profile.model)' (not in the catalog)") }
            if catalog.device(profile.device) == nil { add("\(p).device", "unknown device type '\(profile.device)' (not in the catalog)") }
            for (k, point) in profile.points.enumerated() {
                integer(point.batch, "\(p).points[\(k)].batch", minimum: 1)
                number(point.latencyMs, "\(p).points[\(k)].latency_ms", above: 0)
            }
            if let perToken = profile.prefillMsPerToken { number(perToken, "\(p).prefill_ms_per_token") }
        }
    }

    public mutating func link(_ link: Link, at path: String) {
        number(link.bandwidthMbps, "\(path).bandwidth_mbps", above: 0)
        number(link.latencyMs, "\(path).latency_ms")
    }

    /// The cluster: unique node names, device types the catalog knows, counts of at least one, links in range.
    public mutating func cluster(_ cluster: Cluster, catalog: Catalog, at path: String) {
        if cluster.nodes.isEmpty { add("\(path).nodes", "expected at least one node") }
        unique(cluster.nodes.map(\.name), { "\(path).nodes[\($0)].name" }, what: "node")
        for (i, node) in cluster.nodes.enumerated() {
            let p = "\(path).nodes[\(i)]"
            if node.name.isEmpty { add("\(p).name", "expected a node name") }
            unique(node.devices.map(\.type), { "\(p).devices[\($0)].type" }, what: "device type on the node")
            for (k, group) in node.devices.enumerated() {
                if catalog.device(group.type) == nil {
                    add("\(p).devices[\(k)].type", "unknown device type '\(group.type)' (not in the plan's catalog)")
                }
                integer(group.count, "\(p).devices[\(k)].count", minimum: 1)
            }
            link(node.interconnect, at: "\(p).interconnect")
        }
        link(cluster.network.default, at: "\(path).network.default")
        let sites = Set(cluster.nodes.map(\.site))
        for (i, l) in cluster.network.links.enumerated() {
            let p = "\(path).network.links[\(i)]"
            if l.sites.count != 2 { add("\(p).sites", "expected two sites, found \(l.sites.count)") }
            for (k, site) in l.sites.enumerated() where !sites.contains(site) {
                add("\(p).sites[\(k)]", "unknown site '\(site)' (no node is there)")
            }
            number(l.bandwidthMbps, "\(p).bandwidth_mbps", above: 0)
            number(l.latencyMs, "\(p).latency_ms")
        }
    }

    /// A service as the Services document declares it: a model the catalog knows, a deadline,
    /// demand in range, origins that name a node or site.
    public mutating func service(_ s: Service, cluster: Cluster, catalog: Catalog, at path: String) {
        if s.name.isEmpty { add("\(path).name", "expected a service name") }
        if catalog.model(s.model) == nil { add("\(path).model", "unknown model '\(s.model)' (not in the catalog)") }
        let slo = s.slo
        if slo.latencyMs == nil && slo.ttftMs == nil { add("\(path).slo", "expected a latency or TTFT deadline, found none") }
        if let v = slo.latencyMs { number(v, "\(path).slo.latency_ms", above: 0) }
        if let v = slo.ttftMs { number(v, "\(path).slo.ttft_ms", above: 0) }
        if let v = slo.tpotMs { number(v, "\(path).slo.tpot_ms", above: 0) }
        if let d = s.demand {
            number(d.ratePerS, "\(path).demand.rate_per_s")
            if let v = d.inputTokens { number(v, "\(path).demand.input_tokens") }
            if let v = d.outputTokens { number(v, "\(path).demand.output_tokens") }
            if let v = d.cv { number(v, "\(path).demand.cv", above: 0) }
        }
        if let stream = s.stream {
            integer(stream.streams, "\(path).stream.streams", minimum: 1)
            number(stream.fps, "\(path).stream.fps", above: 0)
        }
        if s.demand == nil && s.stream == nil { add(path, "expected a demand or a stream, found neither") }
        number(s.priority, "\(path).priority", above: 0)
        let names = Set(cluster.nodes.map(\.name)).union(cluster.nodes.map(\.site))
        for (k, origin) in s.origin.enumerated() where !names.contains(origin) {
            add("\(path).origin[\(k)]", "unknown origin '\(origin)' (no node or site of that name)")
        }
    }
}
