import EparaCore
import EparaDocuments
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
