import EparaCore
import EparaServe
import Foundation
import HTTPTypes
import Hummingbird

/// One node's HTTP gateway over the live engine: the native and OpenAI-compatible inference
/// endpoints, health, state, Prometheus metrics, and the routes other gateways call.
public enum Gateway {
    /// Largest request body accepted, bytes.
    public static let bodyLimit = 4 << 20

    public static func router(
        engine: LiveEngine, node: String, metrics: GatewayMetrics = GatewayMetrics(),
        clientToken: String? = nil, peerToken: String? = nil, tokens: GatewayTokens? = nil
    ) -> Router<BasicRequestContext> {
        let router = Router()
        let tokens = tokens ?? GatewayTokens(client: clientToken, peer: peerToken)
        if tokens.guards { router.add(middleware: BearerAuth(tokens: tokens)) }
        router.get("metrics") { _, _ -> Response in
            if let state = try? engine.state(node: node) { metrics.observe(state) }
            metrics.observe(gaps: engine.arrivalGaps)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("healthz") { _, _ -> Response in
            json(.ok, HealthAnswer(node: node))
        }
        // Kubernetes' readiness probe: the gateway listens only once its plan is loaded, and a
        // reload never takes this node out of it, so answering says it can take requests now;
        // what it answers names the plan in force.
        router.get("readyz") { _, _ -> Response in
            let plan = engine.plan
            return json(.ok, ReadinessAnswer(node: node, policy: plan.policyName, instances: plan.instances.count))
        }
        router.get("v1/state") { _, _ -> Response in
            guard let state = try? engine.state(node: node),
                let data = try? JSONOutput.encoder(pretty: false).encode(state)
            else {
                return errorAnswer(.internalServerError, "no state for node '\(node)'")
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.post("v1/services/:name/infer") { request, context -> Response in
            guard let name = context.parameters.get("name") else { return errorAnswer(.badRequest, "no service named in the path") }
            let parsed: NativeRequest
            switch await NativeRequest.parse(request) {
            case let .success(value): parsed = value
            case let .failure(error): return error.response
            }
            let answer: LiveAnswer
            do {
                answer = try await engine.submit(
                    service: name, origin: node, stream: parsed.streamID, inputTokens: parsed.inputTokens,
                    outputTokens: parsed.outputTokens,
                    payload: Payload(api: .native, body: parsed.input, outputTokens: parsed.outputTokens))
            } catch {
                return refusal(for: error)
            }
            metrics.record(node: node, service: name, answer.result)
            return nativeResponse(answer, service: name)
        }
        addOpenAIRoutes(to: router, engine: engine, node: node, metrics: metrics)
        addOpenInferenceRoutes(to: router, engine: engine, node: node, metrics: metrics)
        router.post("v1/peer/requests") { request, _ -> Response in
            guard let header = request.headers[.eparaForward],
                let forwarded = PeerWire.decode(ForwardedRequest.self, header)
            else {
                return errorAnswer(.badRequest, "missing or unreadable \(PeerWire.forwardHeader) header")
            }
            if let problem = forwarded.problem {
                return errorAnswer(.badRequest, "\(PeerWire.forwardHeader) header: \(problem)")
            }
            var payload: Payload? = nil
            if let apiName = request.headers[.eparaAPI], let api = ClientAPI(rawValue: apiName) {
                guard let body = try? await request.body.collect(upTo: bodyLimit) else {
                    return errorAnswer(.contentTooLarge, "request body over \(bodyLimit) bytes")
                }
                payload = Payload(
                    api: api, body: body, stream: request.headers[.eparaStream] == "1",
                    outputTokens: Int32(request.headers[.eparaOutputTokens] ?? "") ?? 0)
            }
            let answer: LiveAnswer
            do {
                answer = try await engine.acceptForwarded(forwarded, payload: payload)
            } catch {
                return refusal(for: error)
            }
            var headers: HTTPFields = [
                .eparaOutcome: answer.result.outcome.name,
                .eparaReason: answer.result.reason.name,
            ]
            guard let reply = answer.reply else { return Response(status: .ok, headers: headers) }
            headers[.eparaReplyStatus] = String(reply.status)
            headers[.contentType] = reply.contentType
            return Response(status: .ok, headers: headers, body: body(reply))
        }
        router.post("v1/peer/sync") { request, _ -> Response in
            guard let body = try? await request.body.collect(upTo: bodyLimit),
                let report = try? JSONOutput.decoder().decode(SyncReport.self, from: Data(body.readableBytesView))
            else {
                return errorAnswer(.badRequest, "expected a sync report: {\"node\": ..., \"instances\": [{\"id\": ..., \"backlog_s\": ...}]}")
            }
            do {
                try engine.acceptSync(report)
            } catch {
                return refusal(for: error)
            }
            return Response(status: .noContent)
        }
        return router
    }

    /// 200 within SLO; 504 answered late; 429 shed to protect the SLO; 503 no healthy instance.
    public static func status(for result: LiveResult) -> HTTPResponse.Status {
        switch result.outcome {
        case .completedInSlo: .ok
        case .completedLate: .gatewayTimeout
        case .dropped: .tooManyRequests
        case .failed: .serviceUnavailable
        }
    }

    /// `{"backend_status", "id", "latency_ms", "outcome", "output", "reason", "service"}`: the
    /// model server's JSON answer is embedded as it came. Written by hand: this is every native
    /// request's path.
    static func nativeResponse(_ answer: LiveAnswer, service: String) -> Response {
        let result = answer.result
        var buffer = ByteBuffer()
        buffer.writeString("{")
        if let reply = answer.reply { buffer.writeString("\"backend_status\":\(reply.status),") }
        buffer.writeString("\"id\":\(result.id),\"latency_ms\":\((result.latencyS * 1e6).rounded() / 1000),\"outcome\":\"\(result.outcome.name)\"")
        if let reply = answer.reply {
            buffer.writeString(",\"output\":")
            let first = reply.first.readableBytesView.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
            if reply.contentType.contains("json"), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
                var raw = reply.first
                buffer.writeBuffer(&raw)
            } else {
                buffer.writeString(JSONFields.quoted(String(buffer: reply.first)))
            }
        }
        if result.reason != .none { buffer.writeString(",\"reason\":\"\(result.reason.name)\"") }
        buffer.writeString(",\"service\":\(JSONFields.quoted(service))}")
        let status: HTTPResponse.Status =
            if let reply = answer.reply, reply.status >= 400 { HTTPResponse.Status(code: reply.status) } else { self.status(for: result) }
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    /// A client API's answer (OpenAI's, the Open Inference Protocol's): the model server's own,
    /// passed on with any status it gave; else the API's error for a shed request (429) or one no
    /// instance could serve (503), or the emulated backend's answer. `epara-outcome` and
    /// `epara-latency-ms` say how it went, either way.
    static func clientAnswer(
        _ answer: LiveAnswer, shed: (HTTPFields) -> Response, failed: (HTTPFields) -> Response, emulated: (HTTPFields) -> Response
    ) -> Response {
        let result = answer.result
        var headers: HTTPFields = [
            .eparaOutcome: result.outcome.name,
            .eparaLatencyMs: String((result.latencyS * 1e6).rounded() / 1000),
        ]
        switch result.outcome {
        case .dropped: return shed(headers)
        case .failed: return failed(headers)
        case .completedInSlo, .completedLate: break
        }
        guard let reply = answer.reply else { return emulated(headers) }
        headers[.contentType] = reply.contentType
        return Response(status: HTTPResponse.Status(code: reply.status), headers: headers, body: body(reply))
    }

    /// The answer to a request the engine refused: 404 for a service, node or instance it does
    /// not know, 409 for a plan that does not fit, 400 for a stream the service does not have,
    /// 500 for anything else.
    static func refusal(for failure: any Error) -> Response {
        switch failure as? LiveError {
        case let .unknownService(service): errorAnswer(.notFound, "unknown service '\(service)'")
        case let .unknownNode(node): errorAnswer(.notFound, "unknown node '\(node)' (or not hosted by this gateway)")
        case let .unknownInstance(id): errorAnswer(.notFound, "no instance '\(id)' on this gateway's node")
        case let .incompatiblePlan(why): errorAnswer(.conflict, why)
        case let .unknownStream(service, stream): errorAnswer(.badRequest, "service '\(service)' has no stream \(stream)")
        case nil: errorAnswer(.internalServerError, "\(failure)")
        }
    }

    /// The model server's answer as the body, streamed if it streams.
    static func body(_ reply: Reply) -> ResponseBody {
        guard let rest = reply.rest else { return ResponseBody(byteBuffer: reply.first) }
        let first = reply.first
        return ResponseBody { writer in
            if first.readableBytes > 0 { try await writer.write(first) }
            for try await chunk in rest { try await writer.write(chunk) }
            try await writer.finish(nil)
        }
    }

    /// `{"error": message}` as text, for answers built outside a route.
    static func errorJSON(_ message: String) -> String {
        let data = (try? answerEncoder.encode(ErrorAnswer(error: message))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// The native endpoint's body: `{"input_tokens": n, "output_tokens": n, "stream_id": n,
/// "input": ...}`, every field optional; `input` goes to the model server (a prompt, or a KServe
/// v2 request); `stream_id` names the camera a frame comes from (frequency-sensitive services).
struct NativeRequest {
    var inputTokens: Int32 = 0
    var outputTokens: Int32 = 0
    var streamID: Int32?
    var input = ByteBuffer()

    static func parse(_ request: Request) async -> Result<NativeRequest, ResponseError> {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Gateway.bodyLimit)
        } catch {
            return .failure(ResponseError(Gateway.errorAnswer(.contentTooLarge, "request body over \(Gateway.bodyLimit) bytes")))
        }
        var parsed = NativeRequest()
        guard body.readableBytes > 0 else { return .success(parsed) }
        func bad(_ message: String) -> Result<NativeRequest, ResponseError> { .failure(ResponseError(Gateway.errorAnswer(.badRequest, message))) }
        guard let fields = JSONFields.scan(Array(body.readableBytesView)) else {
            return bad("the body must be a JSON object, such as {\"input_tokens\": 800, \"output_tokens\": 120, \"input\": \"a prompt\"}")
        }
        for (key, raw) in fields {
            switch key {
            case "input":
                parsed.input = ByteBuffer(bytes: raw)
            case "input_tokens", "output_tokens", "stream_id":
                guard let number = JSONFields.integer(raw), number >= 0, number < 1_000_000_000 else {
                    return bad("\(key) must be a whole number ≥ 0")
                }
                switch key {
                case "input_tokens": parsed.inputTokens = Int32(number)
                case "output_tokens": parsed.outputTokens = Int32(number)
                default: parsed.streamID = Int32(number)
                }
            default:
                return bad("unknown field '\(key)' (known: input, input_tokens, output_tokens, stream_id)")
            }
        }
        return .success(parsed)
    }
}

/// A finished error response carried out of a parser.
struct ResponseError: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}
