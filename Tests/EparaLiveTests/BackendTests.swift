import EparaCore
import EparaDocuments
import EparaPlan
import EparaServe
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import XCTest

@testable import EparaLive

/// Where work goes (Backends documents, per-node overrides), what is sent to each kind of
/// model server, and what happens when one fails.
final class BackendTests: XCTestCase {
    func testBackendsDocumentResolvesPerServiceAndNode() throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 100)
        let source = SourceText(
            name: "backends.yaml",
            text: """
                apiVersion: epara/v1
                kind: Backends
                backends:
                  - {service: s, type: kserve-v2, url: "http://10.0.0.1:9000", model: resnet, timeout: 2s}
                  - {service: s, node: n2, type: kserve-v2, url: "http://10.0.0.2:9000"}
                """)
        let table = BackendTable(plan: plan, document: try BackendsDocument.read(source, plan: plan))
        XCTAssertEqual(
            table.target(service: "s", node: "n1"), BackendTarget(kind: .kserveV2, url: "http://10.0.0.1:9000", model: "resnet", timeoutS: 2))
        XCTAssertEqual(table.target(service: "s", node: "n2"), BackendTarget(kind: .kserveV2, url: "http://10.0.0.2:9000", model: "s", timeoutS: 60))
        XCTAssertTrue(table.isReal(service: "s"))
        XCTAssertEqual(BackendTable(plan: plan).target(service: "s", node: "n1").kind, .emulated, "no backend anywhere: emulated")
    }

    func testWhatIsSentToEachKindOfServer() throws {
        let openai = BackendTarget(kind: .openai, url: "http://x", model: "gemma-3-270m")
        let chat = Payload(api: .chat, body: ByteBuffer(string: #"{"model": "chat", "messages": [], "stream": true}"#), stream: true)
        let (chatPath, chatBody) = try HTTPBackends.request(openai, payload: chat)
        XCTAssertEqual(chatPath, "/v1/chat/completions")
        let sent = try JSONSerialization.jsonObject(with: Data(chatBody.readableBytesView)) as! [String: Any]
        XCTAssertEqual(sent["model"] as? String, "gemma-3-270m", "the model as the server knows it")
        XCTAssertEqual(sent["stream"] as? Bool, true, "the rest of the client's body untouched")

        let native = Payload(api: .native, body: ByteBuffer(string: #""Once upon a time""#), outputTokens: 7)
        let (nativePath, nativeBody) = try HTTPBackends.request(openai, payload: native)
        XCTAssertEqual(nativePath, "/v1/completions")
        let prompt = try JSONSerialization.jsonObject(with: Data(nativeBody.readableBytesView)) as! [String: Any]
        XCTAssertEqual(prompt["prompt"] as? String, "Once upon a time")
        XCTAssertEqual(prompt["max_tokens"] as? Int, 7)

        let kserve = BackendTarget(kind: .kserveV2, url: "http://y", model: "doubler")
        let inputs = ByteBuffer(string: #"{"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}"#)
        let (kservePath, kserveBody) = try HTTPBackends.request(kserve, payload: Payload(api: .native, body: inputs))
        XCTAssertEqual(kservePath, "/v2/models/doubler/infer")
        XCTAssertEqual(kserveBody, inputs, "a KServe v2 request goes as the client wrote it")
        XCTAssertThrowsError(try HTTPBackends.request(kserve, payload: chat), "the OpenAI API cannot reach a KServe model")
    }

    /// Two instances; the model server of the one dispatch prefers (local to the origin) fails:
    /// refusing connections, or answering 503. Each request is tried on the other instance and
    /// answered from there. A server that cannot be reached is left alone for a moment rather
    /// than called for every request; one that answers (even with an error) is alive and is
    /// called again.
    func testAFailedModelServerIsRetriedOnAnotherInstance() async throws {
        // A KServe v2 server on loopback: model `good` answers, model `bad` fails (and counts).
        let badCalls = NIOLockedValueBox(0)
        let router = Router()
        router.post("v2/models/:model/infer") { _, context -> Response in
            if context.parameters.get("model") == "bad" {
                badCalls.withLockedValue { $0 += 1 }
                return Response(status: .serviceUnavailable)
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(string: #"{"model_name": "m", "outputs": [{"name": "y", "shape": [1], "datatype": "FP32", "data": [2]}]}"#)
                ))
        }
        let server = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { client in
            let port = client.port!
            var plan = try LiveEngineTests.plan(rate: 100, sloMs: 500)
            plan.instances = ["n1", "n2"].map { node in
                var copy = plan.instances[0]
                copy.id = "s@\(node)/dev#0"
                copy.devices = [DeviceRef(node: node, device: "dev", index: 0)]
                return copy
            }
            for failing in [
                BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:1", model: "m", timeoutS: 2),
                BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(port)", model: "bad", timeoutS: 2),
            ] {
                let backends = BackendTable(
                    plan: plan,
                    document: BackendsDocument(entries: [
                        .init(service: "s", node: "n1", target: failing),
                        .init(
                            service: "s", node: "n2",
                            target: BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(port)", model: "good", timeoutS: 2)),
                    ]))
                let engine = LiveEngine(plan: plan, options: LiveOptions(core: CoreConfig(syncIntervalS: 0.1), backends: backends))
                engine.startSync(every: 0.1)
                for _ in 0..<5 {
                    let answer = try await engine.submit(service: "s", origin: "n1", payload: Payload(api: .native, body: ByteBuffer(string: "{}")))
                    XCTAssertEqual(answer.result.outcome, .completedInSlo, "\(answer.result)")
                    XCTAssertEqual(answer.reply?.status, 200)
                    XCTAssertTrue(String(buffer: answer.reply?.first ?? ByteBuffer()).contains("\"outputs\""))
                }
                await engine.shutdown()
            }
            XCTAssertEqual(badCalls.withLockedValue { $0 }, 5, "a server that answers 503 is alive: each request tries it")
        }
    }

    /// With no other instance, a failing model server ends the request as failed, for that
    /// reason (503 at the gateway), not as shed.
    func testWithNowhereElseToGoAFailedCallFailsWithItsReason() async throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 500)
        let backends = BackendTable(
            plan: plan,
            document: BackendsDocument(entries: [
                .init(service: "s", node: nil, target: BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:1", model: "m", timeoutS: 2))
            ]))
        let engine = LiveEngine(plan: plan, options: LiveOptions(core: CoreConfig(syncIntervalS: 0.1), backends: backends))
        let answer = try await engine.submit(service: "s", origin: "n1", payload: Payload(api: .native))
        XCTAssertEqual(answer.result.outcome, .failed)
        XCTAssertEqual(answer.result.reason, .backendError)
        XCTAssertEqual(Gateway.status(for: answer.result), .serviceUnavailable)
        await engine.shutdown()
    }

    /// A model server that does not answer within its backend's timeout: the call counts as
    /// failed (here, with no other instance, the request fails with the reason) — the gateway
    /// does not hang on it, and does not wait on it again for the next request.
    func testAModelServerThatDoesNotAnswerInTimeFailsTheCall() async throws {
        let router = Router()
        router.post("v2/models/:model/infer") { _, _ -> Response in
            try await Task.sleep(for: .seconds(3))
            return Response(status: .ok)
        }
        let server = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { client in
            let plan = try LiveEngineTests.plan(rate: 10, sloMs: 500)
            let backends = BackendTable(
                plan: plan,
                document: BackendsDocument(entries: [
                    .init(
                        service: "s", node: nil,
                        target: BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(client.port!)", model: "m", timeoutS: 0.3))
                ]))
            let engine = LiveEngine(plan: plan, options: LiveOptions(core: CoreConfig(syncIntervalS: 0.1), backends: backends))
            let clock = ContinuousClock()
            let start = clock.now
            let answer = try await engine.submit(service: "s", origin: "n1", payload: Payload(api: .native))
            let waited = clock.now - start
            XCTAssertEqual(answer.result.outcome, .failed)
            XCTAssertEqual(answer.result.reason, .backendError)
            XCTAssertLessThan(waited, .milliseconds(1500), "the timeout, not the server, decided: \(waited)")
            // Held off for a moment: the next request does not wait for it again.
            let again = clock.now
            let second = try await engine.submit(service: "s", origin: "n1", payload: Payload(api: .native))
            XCTAssertEqual(second.result.reason, .backendError)
            XCTAssertLessThan(clock.now - again, .milliseconds(100), "no second wait on a server that did not answer")
            await engine.shutdown()
        }
    }

    func testPeerRoutesWantThePeerTokenNotTheClients() async throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 100)
        let app = Application(router: Gateway.router(engine: LiveEngine(plan: plan), node: "n1", clientToken: "client", peerToken: "peer"))
        let report = ByteBuffer(string: #"{"node": "n2", "instances": []}"#)
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/peer/sync", method: .post, body: report) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/v1/peer/sync", method: .post, headers: [.authorization: "Bearer client"], body: report) {
                XCTAssertEqual($0.status, .unauthorized, "a client's token does not open the peer routes")
            }
            try await client.execute(uri: "/v1/peer/sync", method: .post, headers: [.authorization: "Bearer peer"], body: report) {
                XCTAssertEqual($0.status, .noContent)
            }
            try await client.execute(uri: "/v1/services/s/infer", method: .post, headers: [.authorization: "Bearer peer"]) {
                XCTAssertEqual($0.status, .unauthorized, "nor a peer's the client routes")
            }
        }
    }

    /// What a peer sends comes off the network: numbers out of range are a 400, never a trap.
    func testAForwardedRequestWithNumbersOutOfRangeIsABadRequest() async throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 100)
        let app = Application(router: Gateway.router(engine: LiveEngine(plan: plan), node: "n1"))
        let instance = plan.instances[0].id
        func header(hops: String, age: String = "0.1", deadline: String = "1") -> String {
            let json =
                #"{"service": "s", "origin": "n1", "instance": "\#(instance)", "hops": \#(hops), "age_s": \#(age), "deadline_in_s": \#(deadline), "input_tokens": 1, "output_tokens": 1, "return_s": 0}"#
            return Data(json.utf8).base64EncodedString()
        }
        let cases = [
            header(hops: "99999999999999999999999"), header(hops: "70000"), header(hops: "-1"), header(hops: "1", age: "1e999"),
            header(hops: "1", deadline: "-1e999"),
        ]
        try await app.test(.router) { client in
            for value in cases {
                let headers: HTTPFields = [HTTPField.Name(PeerWire.forwardHeader)!: value]
                try await client.execute(uri: "/v1/peer/requests", method: .post, headers: headers) { response in
                    XCTAssertEqual(response.status, .badRequest, String(buffer: response.body))
                }
            }
            // The gateway still serves.
            try await client.execute(uri: "/healthz", method: .get) { XCTAssertEqual($0.status, .ok) }
        }
    }

    func testForwardedRequestsTravelInAHeader() throws {
        let request = ForwardedRequest(
            service: "chat", origin: "edge", instance: "chat@gpu/rtx-4090#0", hops: 1, ageS: 0.25, deadlineInS: 1.5,
            inputTokens: 64, outputTokens: 1, returnS: 0.001)
        XCTAssertEqual(PeerWire.decode(ForwardedRequest.self, PeerWire.encode(request)), request)
        XCTAssertNil(PeerWire.decode(ForwardedRequest.self, "not base64!"))
    }
}
