import EparaServe
import Foundation
import HTTPTypes
import Hummingbird

/// The OpenAI-compatible surface, for the clients LLM users already have (the `openai` package,
/// LangChain, Open WebUI): chat and text completions, whose `model` names the service; the model
/// list such clients read first; and every error in OpenAI's error object.
extension Gateway {
    static func addOpenAIRoutes(to router: Router<BasicRequestContext>, engine: LiveEngine, node: String, metrics: GatewayMetrics) {
        for (path, api) in [("v1/chat/completions", ClientAPI.chat), ("v1/completions", ClientAPI.completion)] {
            router.post(RouterPath(path)) { request, _ -> Response in
                let parsed: OpenAIRequest
                switch await OpenAIRequest.parse(request, api: api) {
                case let .success(value): parsed = value
                case let .failure(error): return error.response
                }
                if let refusal = notALanguageModel(engine.serviceSummary(parsed.model), named: parsed.model) { return refusal }
                let answer: LiveAnswer
                do {
                    answer = try await engine.submit(
                        service: parsed.model, origin: node, inputTokens: parsed.inputTokens,
                        outputTokens: parsed.outputTokens,
                        payload: Payload(api: api, body: parsed.body, stream: parsed.stream))
                } catch {
                    return modelNotFound(parsed.model)
                }
                metrics.record(node: node, service: parsed.model, answer.result)
                return openAIResponse(answer, parsed: parsed, api: api)
            }
        }
        // Listed as created when this gateway started: the plan says nothing of a model's age.
        let created = Int(Date().timeIntervalSince1970)
        router.get("v1/models") { _, _ -> Response in
            let models = engine.serviceSummaries.filter(\.isLLM).map { OpenAIModel(id: $0.name, created: created) }
            return json(.ok, OpenAIModelList(data: models))
        }
        router.get("v1/models/:model") { _, context -> Response in
            let name = context.parameters.get("model") ?? ""
            let summary = engine.serviceSummary(name)
            if let refusal = notALanguageModel(summary, named: name) { return refusal }
            return json(.ok, OpenAIModel(id: summary!.name, created: created))
        }
    }

    /// 404 for a service the plan does not have, 400 for one that is not a language model.
    static func notALanguageModel(_ summary: ServiceSummary?, named name: String) -> Response? {
        guard let summary else { return modelNotFound(name) }
        guard summary.isLLM else {
            return openAIError(
                .badRequest,
                "service '\(name)' is not a language model: send it POST /v2/models/\(name)/infer or /v1/services/\(name)/infer",
                type: "invalid_request_error", param: "model", code: "model_not_supported")
        }
        return nil
    }

    static func modelNotFound(_ name: String) -> Response {
        openAIError(
            .notFound, "no service named '\(name)' in the plan in force (the model field names the service; GET /v1/models lists them)",
            type: "invalid_request_error", param: "model", code: "model_not_found")
    }

    /// An OpenAI-compatible answer: the model server's own (any status it gave), a synthesized
    /// one from the emulated backend, or an OpenAI-style error when the request was shed (429)
    /// or no instance could serve it (503). The outcome is in `epara-outcome` either way.
    static func openAIResponse(_ answer: LiveAnswer, parsed: OpenAIRequest, api: ClientAPI) -> Response {
        let reason = answer.result.reason.name
        return clientAnswer(
            answer,
            shed: {
                openAIError(
                    .tooManyRequests, "shed to keep the service's SLO (\(reason)); retry later", type: "rate_limit_error",
                    code: "rate_limit_exceeded", headers: $0)
            },
            failed: {
                openAIError(
                    .serviceUnavailable, "no healthy instance could serve the request (\(reason))", type: "server_error",
                    code: "service_unavailable", headers: $0)
            },
            emulated: { headers in
                // The answer a model server would give, all at once (a streaming client's answer
                // started at its first token: `LiveEngine.emulatedFirstToken`).
                let completion = EmulatedCompletion(parsed, api: api, id: answer.result.id)
                guard parsed.stream else { return json(.ok, completion.body(), headers: headers) }
                var headers = headers
                headers[.contentType] = "text/event-stream"
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: completion.allEvents()))
            })
    }

    /// OpenAI's error object: `{"error": {"message", "type", "param", "code"}}`, which the
    /// official clients raise as their typed errors (`NotFoundError` with `code` etc.).
    static func openAIError(
        _ status: HTTPResponse.Status, _ message: String, type: String, param: String? = nil, code: String? = nil,
        headers: HTTPFields = [:]
    ) -> Response {
        json(status, OpenAIErrorAnswer(error: .init(message: message, type: type, param: param, code: code)), headers: headers)
    }
}

/// An OpenAI-compatible request: the service is its `model`; tokens are estimated from the text
/// (four characters a token) for scheduling, `max_tokens` bounds the answer.
struct OpenAIRequest {
    var model: String
    var stream: Bool
    var inputTokens: Int32
    var outputTokens: Int32
    var body: ByteBuffer

    static func parse(_ request: Request, api: ClientAPI) async -> Result<OpenAIRequest, ResponseError> {
        func bad(_ message: String, param: String? = nil) -> Result<OpenAIRequest, ResponseError> {
            .failure(ResponseError(Gateway.openAIError(.badRequest, message, type: "invalid_request_error", param: param)))
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Gateway.bodyLimit)
        } catch {
            return .failure(
                ResponseError(
                    Gateway.openAIError(
                        .contentTooLarge, "request body over \(Gateway.bodyLimit) bytes",
                        type: "invalid_request_error")))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            return bad("the body must be a JSON object with at least a model field")
        }
        guard let model = object["model"] as? String, !model.isEmpty else {
            return bad("model is required: it names the epara service", param: "model")
        }
        var text = 0
        if api == .chat {
            guard let messages = object["messages"] as? [[String: Any]], !messages.isEmpty else {
                return bad("messages must be a non-empty list of {role, content}", param: "messages")
            }
            for message in messages {
                if let content = message["content"] as? String {
                    text += content.count
                } else if let parts = message["content"] as? [[String: Any]] {
                    text += parts.compactMap { $0["text"] as? String }.reduce(0) { $0 + $1.count }
                }
            }
        } else {
            guard let prompt = object["prompt"] else { return bad("prompt is required", param: "prompt") }
            text = (prompt as? String)?.count ?? (prompt as? [String])?.reduce(0) { $0 + $1.count } ?? 0
        }
        let maxTokens = (object["max_tokens"] ?? object["max_completion_tokens"]) as? NSNumber
        if let maxTokens, maxTokens.doubleValue < 1 { return bad("max_tokens must be at least 1", param: "max_tokens") }
        return .success(
            OpenAIRequest(
                model: model, stream: (object["stream"] as? Bool) ?? false, inputTokens: Int32(max(1, text / 4)),
                outputTokens: Int32(min(maxTokens?.doubleValue ?? 256, 1e6)), body: body))
    }
}
