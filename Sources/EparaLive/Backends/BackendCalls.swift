import EparaCore
import EparaPlan
import Foundation
import NIOCore
import NIOHTTP1

/// Which client API a request came in through, which decides what is sent to the model server
/// and what goes back.
public enum ClientAPI: String, Sendable {
    /// `POST /v1/services/{name}/infer`: `input` is passed to the backend (a prompt for an
    /// OpenAI-compatible server, an inference request for a KServe v2 one).
    case native
    /// `POST /v1/chat/completions`
    case chat
    /// `POST /v1/completions`
    case completion
    /// `POST /v2/models/{service}/infer` (the Open Inference Protocol): the body, JSON tensors
    /// only, goes to a KServe v2 server as it came.
    case openInference = "v2"
}

/// What the client sent, carried with its request to whichever instance serves it.
public struct Payload: Sendable {
    public var api: ClientAPI
    /// The client's JSON body (OpenAI APIs), or the native body's `input` as JSON.
    public var body: ByteBuffer
    /// Server-sent events asked for (OpenAI `"stream": true`).
    public var stream: Bool
    /// Tokens the client asked for (native requests to an OpenAI-compatible server).
    public var outputTokens: Int32

    public init(api: ClientAPI, body: ByteBuffer = ByteBuffer(), stream: Bool = false, outputTokens: Int32 = 0) {
        self.api = api
        self.body = body
        self.stream = stream
        self.outputTokens = outputTokens
    }
}

/// What a model server answered: its status and content type, and its body — whole, or the
/// first chunk and the rest as they come (streaming).
public struct Reply: Sendable {
    public var status: Int
    public var contentType: String
    public var first: ByteBuffer
    /// The rest of a streamed body; nil when `first` is the whole body.
    public var rest: AsyncThrowingStream<ByteBuffer, any Error>?

    public init(status: Int, contentType: String, first: ByteBuffer, rest: AsyncThrowingStream<ByteBuffer, any Error>? = nil) {
        self.status = status
        self.contentType = contentType
        self.first = first
        self.rest = rest
    }
}

/// Where one instance's requests go.
public struct BackendTarget: Sendable, Equatable {
    public var kind: BackendKind
    /// Base URL of the model server (`http://host:port`), nil for the emulated backend.
    public private(set) var url: String?
    /// `url` taken apart, once (every call reads it); nil when there is none or it names no server.
    public private(set) var endpoint: BackendURL?
    /// The model's name at the server (default: the service's name).
    public var model: String
    /// Longest wait for the server's first answer before the call counts as failed.
    public var timeoutS: Double
    /// Emulated backend: multiplies the latency model's time (0 answers at once, which leaves
    /// the gateway's own cost to measure).
    public var timeScale: Double
    /// Requests the model server runs at once (vLLM `--max-num-seqs`, llama.cpp `--parallel`,
    /// Triton's dynamic batch): the gateway keeps up to this many calls open to it and queues
    /// the rest by deadline.
    public var maxConcurrency: Int

    /// Calls kept open to a server whose Backends entry does not say: enough for vLLM's and
    /// SGLang's batches on a small GPU (a server running fewer queues the rest itself, which
    /// the gateway sees as a slower first answer); KServe v2 servers batch images in smaller
    /// groups.
    public static func defaultConcurrency(_ kind: BackendKind) -> Int {
        switch kind {
        case .openai: 64
        case .kserveV2: 16
        case .emulated: 1
        }
    }

    public init(
        kind: BackendKind, url: String? = nil, model: String, timeoutS: Double = 60, timeScale: Double = 1, maxConcurrency: Int? = nil
    ) {
        self.kind = kind
        self.url = url?.trimmingSuffix("/")
        endpoint = self.url.flatMap(BackendURL.init)
        self.model = model
        self.timeoutS = timeoutS
        self.timeScale = timeScale
        self.maxConcurrency = maxConcurrency ?? Self.defaultConcurrency(kind)
    }

    public var isReal: Bool { kind != .emulated }
}

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

/// Every instance's backend: the `--backends` entry for its service and node, else the
/// service's, else the Services document's `backend`, else the emulated one.
public struct BackendTable: Sendable, Equatable {
    /// What one entry decides: where the work goes, and (for `epara manifests`) how its server runs.
    struct Choice: Sendable, Equatable {
        var target: BackendTarget
        var server: ModelServerSpec?
    }

    var byService: [String: Choice]
    var byServiceNode: [String: Choice]
    var byInstance: [String: Choice] = [:]
    /// Services with a model server on at least one node (read on every request).
    var realServices: Set<String> = []

    public init(plan: Plan, document: BackendsDocument? = nil) {
        byService = [:]
        byServiceNode = [:]
        for service in plan.services {
            if let spec = service.spec.backend {
                byService[service.name] = Choice(target: BackendTarget(kind: spec.type, url: spec.url, model: spec.model ?? service.name))
            }
        }
        for entry in document?.entries ?? [] {
            let choice = Choice(target: entry.target, server: entry.server)
            if let instance = entry.instance {
                byInstance[instance] = choice
            } else if let node = entry.node {
                byServiceNode[entry.service + "@" + node] = choice
            } else {
                byService[entry.service] = choice
            }
        }
        realServices = Set(
            plan.services.map(\.name).filter { service in
                byService[service]?.target.isReal ?? false
                    || byServiceNode.contains { $0.key.hasPrefix(service + "@") && $0.value.target.isReal }
                    || plan.instances.contains { $0.service == service && byInstance[$0.id]?.target.isReal ?? false }
            })
    }

    /// The entry that decides an instance: its own, else its service's on its node, else its service's.
    func choice(service: String, node: String, instance: String?) -> Choice? {
        instance.flatMap { byInstance[$0] } ?? byServiceNode[service + "@" + node] ?? byService[service]
    }

    /// An instance's backend (the emulated one when no entry decides it).
    public func target(service: String, node: String, instance: String? = nil) -> BackendTarget {
        choice(service: service, node: node, instance: instance)?.target ?? BackendTarget(kind: .emulated, model: service)
    }

    /// How an instance's model server runs in Kubernetes, when the entry that decides it says.
    public func server(service: String, node: String, instance: String? = nil) -> ModelServerSpec? {
        choice(service: service, node: node, instance: instance)?.server
    }

    /// A service served by real model servers (then each request is one call to them).
    public func isReal(service: String) -> Bool { realServices.contains(service) }
}

public enum BackendFailure: Error, Sendable, CustomStringConvertible {
    case unreachable(String)
    case status(Int)
    case badInput(String)

    public var description: String {
        switch self {
        case let .unreachable(message): "model server unreachable: \(message)"
        case let .status(code): "model server answered \(code)"
        case let .badInput(message): message
        }
    }
}

/// Calls OpenAI-compatible (vLLM, llama.cpp server, Ollama) and KServe v2 (Triton, MLServer)
/// model servers over pooled keep-alive connections (`BackendPool`).
public final class HTTPBackends: Sendable {
    let pool: BackendPool

    /// A refused connection fails the call at once: the gateway's answer is to try another
    /// instance, not to wait out the connect timeout hoping this one comes back.
    public init() { pool = BackendPool(connectTimeout: .seconds(2), idleTimeout: .seconds(60)) }

    public func shutdown() async { await pool.shutdown() }

    /// One request's call, answered when the server's first answer is in: the whole body, or the
    /// first chunk of a stream. A 5xx answer or no answer in time fails (the request is tried
    /// elsewhere); a 4xx answer is the client's to read and is returned. `streamed`: an LLM's
    /// answer is asked for as a stream with its usage, whatever the client asked (the gateway
    /// then sees each token; `CompletionStream`).
    public func call(_ target: BackendTarget, payload: Payload, streamed: Bool = false) -> EventLoopFuture<Reply> {
        guard let url = target.endpoint else {
            return pool.currentLoop.makeFailedFuture(BackendFailure.unreachable("no url"))
        }
        let path: String, body: ByteBuffer
        do {
            (path, body) = try Self.request(target, payload: payload, streamed: streamed)
        } catch {
            return pool.currentLoop.makeFailedFuture(error)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.pathPrefix + path)
        head.headers.reserveCapacity(3)
        head.headers.add(name: "host", value: url.hostHeader)
        head.headers.add(name: "content-type", value: "application/json")
        head.headers.add(name: "content-length", value: String(body.readableBytes))
        let request = BackendRequest(
            head: head, body: body, streaming: payload.stream || streamed, timeout: .nanoseconds(boundedNanoseconds(target.timeoutS)))
        return pool.call(url, request)
            .flatMapErrorThrowing { error in throw BackendFailure.unreachable("\(error)") }
            .flatMapThrowing { reply in
                if reply.status >= 500 { throw BackendFailure.status(reply.status) }
                return reply
            }
    }

    static let streamFields = ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"

    /// The path and body sent to the server for a client's payload.
    static func request(_ target: BackendTarget, payload: Payload, streamed: Bool = false) throws -> (String, ByteBuffer) {
        switch (target.kind, payload.api) {
        case (.openai, .chat), (.openai, .completion):
            // The client's body as it came (the gateway read it already), with the model named as
            // the server knows it.
            guard let fields = JSONFields.scan(Array(payload.body.readableBytesView)) else {
                throw BackendFailure.badInput("the body must be a JSON object")
            }
            var body = ByteBuffer(string: "{\"model\":" + JSONFields.quoted(target.model))
            for (key, raw) in fields where key != "model" && !(streamed && (key == "stream" || key == "stream_options")) {
                body.writeString(",\"\(key)\":")
                body.writeBytes(raw)
            }
            if streamed { body.writeString(Self.streamFields) }
            body.writeString("}")
            return (payload.api == .chat ? "/v1/chat/completions" : "/v1/completions", body)
        case (.openai, .native):
            var prompt = ""
            if payload.body.readableBytes > 0 {
                let value = try? JSONSerialization.jsonObject(with: Data(payload.body.readableBytesView), options: [.fragmentsAllowed])
                prompt = value as? String ?? String(buffer: payload.body)
            }
            var object: [String: Any] = ["model": target.model, "prompt": prompt, "max_tokens": max(Int(payload.outputTokens), 1)]
            if streamed {
                object["stream"] = true
                object["stream_options"] = ["include_usage": true]
            }
            return ("/v1/completions", ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)))
        case (.kserveV2, .native):
            return ("/v2/models/\(target.model)/infer", payload.body.readableBytes > 0 ? payload.body : ByteBuffer(string: "{\"inputs\": []}"))
        case (.kserveV2, .openInference):
            return ("/v2/models/\(target.model)/infer", payload.body)
        case (.kserveV2, _):
            throw BackendFailure.badInput(
                "this service is served by a KServe v2 server: use POST /v2/models/{service}/infer or /v1/services/{service}/infer")
        case (.openai, .openInference):
            throw BackendFailure.badInput(
                "this service is served by an OpenAI-compatible server: use POST /v1/chat/completions or /v1/completions")
        case (.emulated, _):
            throw BackendFailure.badInput("the emulated backend makes no calls")
        }
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
