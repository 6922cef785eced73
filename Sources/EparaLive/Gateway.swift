import EparaCore
import EparaServe
import Foundation
import Hummingbird

/// One node's HTTP gateway over the live engine: the native inference endpoint, health, state
/// and Prometheus metrics.
/// (The OpenAI-compatible endpoints, state, metrics, auth and peer forwarding come next.)
public enum Gateway {
    /// Largest request body accepted, bytes.
    public static let bodyLimit = 4 << 20

    public static func router(engine: LiveEngine, node: String, metrics: GatewayMetrics = GatewayMetrics(),
                              clientToken: String? = nil) -> Router<BasicRequestContext> {
        let router = Router()
        if let clientToken { router.add(middleware: BearerAuth(token: clientToken)) }
        router.get("metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.get("healthz") { _, _ -> Response in
            json(.ok, ["status": "ok", "node": node])
        }
        router.get("v1/state") { _, _ -> Response in
            guard let state = try? await engine.state(node: node),
                  let data = try? JSONOutput.encoder(pretty: false).encode(state) else {
                return json(.internalServerError, ["error": "no state for node '\(node)'"])
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        // POST /v1/services/{name}/infer with an optional JSON body {"input_tokens": n, "output_tokens": n}.
        router.post("v1/services/:name/infer") { request, context -> Response in
            guard let name = context.parameters.get("name") else { return json(.badRequest, ["error": "no service named in the path"]) }
            var inputTokens: Int32 = 0, outputTokens: Int32 = 0
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: bodyLimit)
            } catch {
                return json(.contentTooLarge, ["error": "request body over \(bodyLimit) bytes"])
            }
            if body.readableBytes > 0 {
                guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
                    return json(.badRequest, ["error": "the body must be a JSON object, such as {\"input_tokens\": 800, \"output_tokens\": 120}"])
                }
                for (key, value) in object {
                    guard key == "input_tokens" || key == "output_tokens" || key == "input" else {
                        return json(.badRequest, ["error": "unknown field '\(key)' (known: input, input_tokens, output_tokens)"])
                    }
                    if key == "input" { continue }
                    guard let n = (value as? NSNumber)?.int32Value, n >= 0 else {
                        return json(.badRequest, ["error": "\(key) must be a whole number ≥ 0"])
                    }
                    if key == "input_tokens" { inputTokens = n } else { outputTokens = n }
                }
            }
            let result: LiveResult
            do {
                result = try await engine.submit(service: name, origin: node, inputTokens: inputTokens, outputTokens: outputTokens)
            } catch let error as LiveError {
                switch error {
                case let .unknownService(service): return json(.notFound, ["error": "unknown service '\(service)'"])
                case let .unknownNode(origin): return json(.notFound, ["error": "unknown node '\(origin)'"])
                }
            } catch {
                return json(.internalServerError, ["error": "\(error)"])
            }
            metrics.record(node: node, service: name, result)
            var fields: [String: Any] = ["id": result.id, "service": name, "outcome": result.outcome.name,
                                         "latency_ms": (result.latencyS * 1000 * 1000).rounded() / 1000]
            if result.reason != .none { fields["reason"] = result.reason.name }
            return json(status(for: result), fields)
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

    static func json(_ status: HTTPResponse.Status, _ fields: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
