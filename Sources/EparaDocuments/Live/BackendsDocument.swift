import EparaCore

/// A `Backends` document (`--backends FILE`): where each service's instances send their work,
/// overriding the Services document's `backend`. An entry with `node` applies to the service's
/// instances on that node only, one with `instance` to that instance only. `image`, `args`,
/// `port` and `health` say how to run the model server in Kubernetes (`epara manifests`); the
/// gateways do not read them.
///
/// ```yaml
/// apiVersion: epara/v1
/// kind: Backends
/// backends:
///   - {service: chat, type: openai, url: http://127.0.0.1:8000, model: gemma-3-270m}
///   - {service: chat, node: gpu-server-b, type: openai, url: http://10.0.0.7:8000}
///   - {service: photo-classify, type: kserve-v2, url: http://127.0.0.1:9000, model: resnet, timeout: 5s,
///      image: nvcr.io/nvidia/tritonserver:24.08-py3, args: [tritonserver, --model-repository=/models], port: 8000}
///   - {service: line-segmentation, type: emulated, time_scale: 0}   # answers at once
/// ```
public struct BackendsDocument: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var service: String
        public var node: String?
        public var instance: String?
        public var target: BackendTarget
        /// How to run its model server in Kubernetes, when the entry says.
        public var server: ModelServerSpec?

        public init(service: String, node: String? = nil, instance: String? = nil, target: BackendTarget, server: ModelServerSpec? = nil) {
            self.service = service
            self.node = node
            self.instance = instance
            self.target = target
            self.server = server
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    static let entryKeys = [
        "service", "node", "instance", "type", "url", "model", "timeout", "time_scale", "max_concurrency", "image", "args", "port", "health",
    ]

    /// The document; with `requireImages`, a real backend without an `image` is an error (the
    /// manifests cannot run its server). With `ignoringUnknownInstances`, an entry for an
    /// instance the plan does not have is left out rather than refused (the replanning job reads
    /// the operator's document against plans that came after it).
    public static func read(
        _ source: SourceText, plan: Plan, requireImages: Bool = false, ignoringUnknownInstances: Bool = false
    ) throws(InputError) -> BackendsDocument {
        let (document, sink) = try DocumentReader.single(source, kind: "Backends", keys: ["backends"])
        let services = Set(plan.services.map(\.name)), nodes = Set(plan.cluster.nodes.map(\.name))
        let instances = Set(plan.instances.map(\.id))
        var entries: [Entry] = []
        if let m = document {
            for item in m.required("backends", "a list of {service, type, url, model}")?.list() ?? [] {
                guard let m = item.mapping(keys: entryKeys) else { continue }
                let serviceValue = m.required("service", "a service of the plan")
                let service = serviceValue?.string()
                if let service, let serviceValue, !services.contains(service) {
                    serviceValue.error("unknown service '\(service)' (the plan has: \(services.sorted().joined(separator: ", ")))")
                }
                let nodeValue = m.optional("node")
                let node = nodeValue?.string()
                if let node, let nodeValue, !nodes.contains(node) {
                    nodeValue.error("unknown node '\(node)'")
                }
                let instanceValue = m.optional("instance")
                let instance = instanceValue?.string()
                if let instance, let instanceValue, !instances.contains(instance) {
                    if ignoringUnknownInstances { continue }
                    let hint = Suggestion.closest(to: instance, in: Array(instances)).map { "; did you mean '\($0)'?" } ?? ""
                    instanceValue.error("unknown instance '\(instance)': not in the plan\(hint)")
                }
                let timeout = m.optional("timeout").flatMap { $0.quantity(.duration, above: 0) }
                let scaleValue = m.optional("time_scale")
                let scale = scaleValue?.number(minimum: 0)
                let concurrencyValue = m.optional("max_concurrency")
                let concurrency = concurrencyValue?.integer(minimum: 1, maximum: 100_000)
                let server = ModelServerSpec.read(m)
                let extraKeys = entryKeys.filter { !["type", "url", "model"].contains($0) }
                guard let spec = ServicesReader.readBackend(item, extraKeys: extraKeys), let service else {
                    continue
                }
                if let scaleValue, spec.type != .emulated { scaleValue.error("time_scale applies to the emulated backend only") }
                if let concurrencyValue, spec.type == .emulated {
                    concurrencyValue.error("max_concurrency applies to model servers (openai, kserve-v2), not the emulated backend")
                }
                if spec.type == .emulated, let image = m.optional("image") {
                    image.error("the emulated backend runs inside the gateway: it has no image")
                } else if requireImages, spec.type != .emulated, server == nil, m.optional("image") == nil {
                    m.error(
                        "the \(spec.type.rawValue) backend needs an image for the manifests to run its server, such as image: vllm/vllm-openai:v0.6.3"
                    )
                }
                entries.append(
                    Entry(
                        service: service, node: node, instance: instance,
                        target: BackendTarget(
                            kind: spec.type, url: spec.url, model: spec.model ?? service,
                            timeoutS: (timeout ?? 60_000) / 1000, timeScale: scale ?? 1, maxConcurrency: concurrency),
                        server: server))
            }
        }
        try sink.check()
        return BackendsDocument(entries: entries)
    }
}
