import EparaCore
import EparaServe
import Foundation
import HTTPTypes
import Hummingbird

/// The Open Inference Protocol (KServe v2) towards clients, for the users who run vision models
/// on Triton or KServe and bring `tritonclient` or KServe's client: health, server and model
/// metadata, model readiness and inference, routed as the native endpoint is, errors in the
/// protocol's `{"error": message}`. A service is a model; versions are not tracked, so any
/// version in a path names the service.
extension Gateway {
    static func addOpenInferenceRoutes(to router: Router<BasicRequestContext>, engine: LiveEngine, node: String, metrics: GatewayMetrics) {
        router.get("v2") { _, _ -> Response in
            json(.ok, InferenceServerMetadata())
        }
        router.get("v2/health/live") { _, _ -> Response in json(.ok, InferenceLiveness(live: true)) }
        // The gateway listens once its plan is loaded, and a reload never takes it out of service.
        router.get("v2/health/ready") { _, _ -> Response in json(.ok, InferenceReadiness(ready: true)) }
        for prefix in ["v2/models/:service", "v2/models/:service/versions/:version"] {
            router.get(RouterPath(prefix)) { _, context -> Response in
                let name = context.parameters.get("service") ?? ""
                if let refusal = notAnInferenceModel(engine.serviceSummary(name), named: name) { return refusal }
                return json(.ok, InferenceModelMetadata(name: name))
            }
            router.get(RouterPath(prefix + "/ready")) { _, context -> Response in
                let name = context.parameters.get("service") ?? ""
                let summary = engine.serviceSummary(name)
                if let refusal = notAnInferenceModel(summary, named: name) { return refusal }
                guard let summary, summary.instances > 0 else {
                    return errorAnswer(.badRequest, "service '\(name)' has no instance in the plan in force")
                }
                return json(.ok, InferenceModelReadiness(name: name))
            }
            router.post(RouterPath(prefix + "/infer")) { request, context -> Response in
                let name = context.parameters.get("service") ?? ""
                if let refusal = notAnInferenceModel(engine.serviceSummary(name), named: name) { return refusal }
                let body: ByteBuffer
                do {
                    body = try await request.body.collect(upTo: bodyLimit)
                } catch {
                    return errorAnswer(.contentTooLarge, "request body over \(bodyLimit) bytes")
                }
                let parsed: OpenInferenceRequest
                switch OpenInferenceRequest.parse(body, headerLength: request.headers[.inferenceHeaderContentLength]) {
                case let .success(value): parsed = value
                case let .failure(error): return errorAnswer(.badRequest, error.message)
                }
                let answer: LiveAnswer
                do {
                    answer = try await engine.submit(
                        service: name, origin: node, stream: parsed.streamID, payload: Payload(api: .openInference, body: parsed.body))
                } catch {
                    return refusal(for: error)
                }
                metrics.record(node: node, service: name, answer.result)
                return inferenceResponse(answer, parsed: parsed, service: name)
            }
        }
    }

    /// 404 for a service the plan does not have, 400 for a language model (its clients speak OpenAI's API).
    static func notAnInferenceModel(_ summary: ServiceSummary?, named name: String) -> Response? {
        guard let summary else {
            return errorAnswer(.notFound, "no service named '\(name)' in the plan in force (a model here is a service)")
        }
        guard !summary.isLLM else {
            return errorAnswer(.badRequest, "service '\(name)' is a language model: send it POST /v1/chat/completions or /v1/completions")
        }
        return nil
    }

    /// The model server's answer as it came (any status), the emulated backend's, or the
    /// protocol's error when the request was shed (429) or no instance could serve it (503).
    static func inferenceResponse(_ answer: LiveAnswer, parsed: OpenInferenceRequest, service: String) -> Response {
        let reason = answer.result.reason.name
        return clientAnswer(
            answer,
            shed: { errorAnswer(.tooManyRequests, "shed to keep the service's SLO (\(reason)); retry later", headers: $0) },
            failed: { errorAnswer(.serviceUnavailable, "no healthy instance could serve the request (\(reason))", headers: $0) },
            emulated: { json(.ok, parsed.emulatedAnswer(model: service), headers: $0) })
    }
}
