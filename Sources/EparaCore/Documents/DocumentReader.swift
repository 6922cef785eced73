import Foundation

/// Reads Cluster, Services and Catalog documents from any number of sources, merges them by
/// kind, and checks every reference between them, reporting all problems at once.
public enum DocumentReader {
    public static let apiVersion = "epara/v1"
    public static let kinds = ["Cluster", "Services", "Catalog"]

    /// A workload and where each service was written, for diagnostics found by later rules.
    public struct Loaded: Sendable {
        public var workload: Workload
        public var serviceLocations: [String: (location: SourceLocation, path: String)]
    }

    /// A workload from documents; `builtin` is the catalog that user Catalog documents extend.
    public static func workload(_ sources: [SourceText], builtin: Catalog) throws(InputError) -> Workload {
        try load(sources, builtin: builtin).workload
    }

    public static func load(_ sources: [SourceText], builtin: Catalog) throws(InputError) -> Loaded {
        var state = ReadState()
        let sink = DiagnosticSink()
        for source in sources {
            read(source, into: &state, sink: sink, allowed: kinds)
        }
        let catalog = builtin.merged(with: state.catalog)
        let first = SourceLocation(file: sources.first?.name ?? "<stdin>", line: 1, column: 1)
        if state.nodes.isEmpty && !sink.hasErrors {
            sink.error(first, "", "no Cluster document with nodes in the inputs (give a file with kind: Cluster)")
        }
        if state.services.isEmpty && !sink.hasErrors {
            sink.error(first, "", "no Services document with services in the inputs (give a file with kind: Services)")
        }
        state.checkReferences(catalog: catalog, sink: sink)
        try sink.check()
        let cluster = Cluster(
            name: state.clusterName ?? "cluster", nodes: state.nodes.map(\.value),
            network: state.network?.value ?? Network())
        let workload = Workload(cluster: cluster, services: state.services.map(\.value), catalog: catalog)
        var locations: [String: (location: SourceLocation, path: String)] = [:]
        for service in state.services { locations[service.value.name] = (service.location, service.path) }
        return Loaded(workload: workload, serviceLocations: locations)
    }

    /// The built-in catalog extended by Catalog documents (other kinds are refused).
    public static func catalog(_ sources: [SourceText], builtin: Catalog) throws(InputError) -> Catalog {
        var state = ReadState()
        let sink = DiagnosticSink()
        for source in sources {
            read(source, into: &state, sink: sink, allowed: ["Catalog"])
        }
        let catalog = builtin.merged(with: state.catalog)
        state.checkReferences(catalog: catalog, sink: sink)
        try sink.check()
        return catalog
    }

    static func read(_ source: SourceText, into state: inout ReadState, sink: DiagnosticSink, allowed: [String]) {
        let parsed: ParsedSource
        do {
            parsed = try YAMLSource.parse(source)
        } catch {
            error.diagnostics.forEach { sink.error($0.location, $0.path, $0.message) }
            return
        }
        let reader = NodeReader(file: source.name, sink: sink)
        if parsed.documents.isEmpty {
            sink.error(
                SourceLocation(file: source.name, line: 1, column: 1), "",
                "empty input: expected a document with apiVersion: \(apiVersion) and a kind (\(allowed.joined(separator: ", ")))")
        }
        for (index, root) in parsed.documents.enumerated() {
            let value = reader.value(root, path: "")
            // An empty document (two --- in a row, as files that each begin with --- give when
            // concatenated) holds nothing; kubectl skips them too.
            if value.isNull, parsed.documents.count > 1 { continue }
            readDocument(value, index: index, into: &state, allowed: allowed)
        }
    }

    static func readDocument(_ root: YAMLValue, index: Int, into state: inout ReadState, allowed: [String]) {
        guard case .mapping = root.node.content else {
            root.error("expected a document (a mapping with apiVersion and kind), found \(root.found)")
            return
        }
        // `kind` decides which other keys are known: keys foreign to every kind are reported
        // here, keys of another kind once the kind is read.
        // A document of a kind this stage does not read (a Plan piped into classify) is one
        // error, not one per key it has.
        if let kindValue = root.peek("kind"), kindValue.oneOf(allowed) == nil { return }
        guard let header = root.mapping(keys: CommonKeys.all + DocumentReader.kinds.flatMap { CommonKeys.kindKeys[$0] ?? [] })
        else { return }
        guard let kindValue = header.required("kind", "the document kind: \(allowed.joined(separator: ", "))"),
            let kind = kindValue.oneOf(allowed)
        else { return }
        if let version = header.required("apiVersion", apiVersion) {
            checkVersion(version)
        }
        let keys = CommonKeys.all + (CommonKeys.kindKeys[kind] ?? [])
        for key in header.order where !keys.contains(key) {
            header.error("key '\(key)' does not belong in a \(kind) document (its keys: \(keys.joined(separator: ", ")))")
        }
        let metadata = header.optional("metadata")?.mapping(keys: ["name", "description"])
        switch kind {
        case "Cluster":
            if let name = metadata?.optional("name")?.name() { state.clusterName = state.clusterName ?? name }
            ClusterReader.read(header, into: &state)
        case "Services":
            ServicesReader.read(header, into: &state)
        default:
            CatalogReader.read(header, into: &state)
        }
    }

    static func checkVersion(_ value: YAMLValue) {
        guard let text = value.string() else { return }
        if text == apiVersion { return }
        if text.hasPrefix("epara/v"), let number = Int(text.dropFirst("epara/v".count)), number > 1 {
            value.error("apiVersion \(text) is newer than this epara understands (\(apiVersion)); upgrade epara")
        } else {
            value.error("expected apiVersion \(apiVersion), found \(value.found)")
        }
    }
}

enum CommonKeys {
    static let all = ["apiVersion", "kind", "metadata"]
    static let kindKeys: [String: [String]] = [
        "Cluster": ["nodes", "network"],
        "Services": ["services"],
        "Catalog": ["devices", "models", "profiles"],
    ]
}

/// A value with where it was written, kept until the cross-document checks have run.
struct Located<Value> {
    var value: Value
    var location: SourceLocation
    var path: String
}

/// What has been read so far across all sources.
struct ReadState {
    var clusterName: String?
    var nodes: [Located<ClusterNode>] = []
    var network: Located<Network>?
    var services: [Located<Service>] = []
    var catalog = Catalog()
    var catalogEntries: [String: SourceLocation] = [:]
    /// Names that must exist once every document is read.
    var references: [Reference] = []

    struct Reference {
        enum Target { case deviceType, model, siteOrNode, site }
        var target: Target
        var name: String
        var location: SourceLocation
        var path: String
    }

    mutating func refer(_ target: Reference.Target, _ name: String, at value: YAMLValue) {
        references.append(Reference(target: target, name: name, location: value.location, path: value.path))
    }

    func checkReferences(catalog: Catalog, sink: DiagnosticSink) {
        var seen: [String: SourceLocation] = [:]
        for node in nodes {
            if let first = seen[node.value.name] {
                sink.error(node.location, node.path, "duplicate node name '\(node.value.name)' (first defined at \(first.description))")
            }
            seen[node.value.name] = seen[node.value.name] ?? node.location
        }
        var seenServices: [String: SourceLocation] = [:]
        for service in services {
            if let first = seenServices[service.value.name] {
                sink.error(
                    service.location, service.path,
                    "duplicate service name '\(service.value.name)' (first defined at \(first.description))")
            }
            seenServices[service.value.name] = seenServices[service.value.name] ?? service.location
        }
        let sites = Set(nodes.map(\.value.site))
        let nodeNames = Set(nodes.map(\.value.name))
        for reference in references {
            let candidates: [String]
            let what: String
            switch reference.target {
            case .deviceType:
                candidates = catalog.devices.map(\.name)
                what = "device type"
            case .model:
                candidates = catalog.models.map(\.name)
                what = "model"
            case .site:
                candidates = Array(sites)
                what = "site"
            case .siteOrNode:
                candidates = Array(sites.union(nodeNames))
                what = "site or node"
            }
            guard !candidates.contains(reference.name) else { continue }
            let hint = Suggestion.closest(to: reference.name, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
            let scope =
                reference.target == .deviceType || reference.target == .model
                ? "not in the catalog (see `epara catalog`)" : "not in the cluster"
            sink.error(reference.location, reference.path, "unknown \(what) '\(reference.name)': \(scope)\(hint)")
        }
        checkServiceModels(catalog: catalog, sink: sink)
    }

    /// Checks that depend on what the model is (an LLM's SLO is TTFT and TPOT; a vision model's is a deadline).
    func checkServiceModels(catalog: Catalog, sink: DiagnosticSink) {
        for located in services {
            let service = located.value
            guard let model = catalog.model(service.model) else { continue }
            let slo = service.slo
            switch model.kind {
            case .llm:
                if slo.latencyMs == nil && (slo.ttftMs == nil || slo.tpotMs == nil) {
                    sink.error(
                        located.location, located.path + ".slo",
                        "model '\(model.name)' is an LLM: expected slo.ttft and slo.tpot (or slo.latency for the whole answer)")
                }
                if service.stream != nil {
                    sink.error(
                        located.location, located.path + ".stream",
                        "model '\(model.name)' is an LLM: streams of frames need a vision model; use demand")
                }
                if let demand = service.demand, demand.inputTokens == nil || demand.outputTokens == nil {
                    sink.error(
                        located.location, located.path + ".demand",
                        "model '\(model.name)' is an LLM: expected demand.input_tokens and demand.output_tokens")
                }
            case .vision:
                if slo.latencyMs == nil {
                    sink.error(
                        located.location, located.path + ".slo",
                        "model '\(model.name)' is a vision model: expected slo.latency (ttft and tpot are for LLMs)")
                }
                if slo.ttftMs != nil || slo.tpotMs != nil {
                    sink.error(
                        located.location, located.path + ".slo",
                        "model '\(model.name)' is a vision model: ttft and tpot apply to LLMs only")
                }
            }
        }
    }
}

extension DocumentReader {
    /// A file that holds one document of `kind` (Faults, Backends, Peers): its top-level mapping,
    /// read with `keys` besides apiVersion, kind and metadata, with apiVersion and kind checked;
    /// nil when it is not a mapping. Problems go to the sink, which the caller checks when done.
    public static func single(_ source: SourceText, kind: String, keys: [String]) throws(InputError) -> (YAMLMapping?, DiagnosticSink) {
        let parsed = try YAMLSource.parse(source)
        let sink = DiagnosticSink()
        let reader = NodeReader(file: source.name, sink: sink)
        guard parsed.documents.count == 1, let root = parsed.documents.first.map({ reader.value($0, path: "") }) else {
            throw InputError(
                .badData, at: SourceLocation(file: source.name, line: 1, column: 1),
                "expected one document with apiVersion: \(apiVersion) and kind: \(kind)")
        }
        guard let m = root.mapping(keys: ["apiVersion", "kind", "metadata"] + keys) else { return (nil, sink) }
        if let version = m.required("apiVersion", apiVersion), let text = version.string(), text != apiVersion {
            version.error("expected apiVersion \(apiVersion), found \(version.found)")
        }
        _ = m.required("kind", kind)?.oneOf([kind])
        return (m, sink)
    }
}
