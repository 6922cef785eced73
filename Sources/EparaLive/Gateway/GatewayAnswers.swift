import EparaCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

// What the gateway answers in JSON, as types: its own errors, health and readiness, the
// OpenAI model list and error object, the Open Inference Protocol's metadata and answers. The
// native endpoint's answer, on every request's path, is written by hand (`nativeResponse`).

/// `{"error": message}`: the native endpoint's, the peers' and the Open Inference Protocol's errors.
struct ErrorAnswer: Encodable {
    var error: String
}

/// `GET /healthz`.
struct HealthAnswer: Encodable {
    var status = "ok"
    var node: String
}

/// `GET /readyz`: ready, and the plan in force.
struct ReadinessAnswer: Encodable {
    var status = "ready"
    var node: String
    var policy: String
    var instances: Int
}

/// OpenAI's model object (`GET /v1/models/{model}`) and list (`GET /v1/models`).
struct OpenAIModel: Encodable {
    var id: String
    var object = "model"
    var created: Int
    var ownedBy = "epara"
}

struct OpenAIModelList: Encodable {
    var object = "list"
    var data: [OpenAIModel]
}

/// OpenAI's error object, `{"error": {"message", "type", "param", "code"}}`, which the official
/// clients raise as their typed errors (`NotFoundError` with `code` etc.); param and code are
/// null when not given.
struct OpenAIErrorAnswer: Encodable {
    struct Body: Encodable {
        var message: String
        var type: String
        var param: String?
        var code: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)
            try container.encode(type, forKey: .type)
            try container.encode(param, forKey: .param)
            try container.encode(code, forKey: .code)
        }

        enum CodingKeys: String, CodingKey { case message, type, param, code }
    }

    var error: Body
}

/// The Open Inference Protocol's server metadata (`GET /v2`).
struct InferenceServerMetadata: Encodable {
    var name = "epara"
    var version = EparaBuild.version
    var extensions = ["binary_tensor_data"]
}

/// `GET /v2/health/live` and `/v2/health/ready`.
struct InferenceLiveness: Encodable {
    var live: Bool
}

struct InferenceReadiness: Encodable {
    var ready: Bool
}

/// A model's metadata (`GET /v2/models/{service}`): the gateway does not know the model's
/// tensors; the model server it forwards to does.
struct InferenceModelMetadata: Encodable {
    struct Tensor: Encodable {
        var name: String
        var datatype: String
        var shape: [Int]
    }

    var name: String
    var platform = "epara"
    var inputs: [Tensor] = []
    var outputs: [Tensor] = []
}

/// `GET /v2/models/{service}/ready`.
struct InferenceModelReadiness: Encodable {
    var name: String
    var ready = true
}

/// The emulated backend's answer to an inference request: one FP32 zero per item of the batch
/// for each output asked for.
struct InferenceAnswer: Encodable {
    struct Output: Encodable {
        var name: String
        var datatype = "FP32"
        var shape: [Int]
        var data: [Double]
    }

    var id: String?
    var modelName: String
    var outputs: [Output]
}

extension Gateway {
    /// epara's JSON, compact: keys snake_case and sorted, slashes as they are.
    static let answerEncoder = JSONOutput.encoder(pretty: false)

    static func json(_ status: HTTPResponse.Status, _ answer: some Encodable, headers: HTTPFields = [:]) -> Response {
        let data = (try? answerEncoder.encode(answer)) ?? Data("{}".utf8)
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `{"error": message}` with `status`.
    static func errorAnswer(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(status, ErrorAnswer(error: message), headers: headers)
    }
}
