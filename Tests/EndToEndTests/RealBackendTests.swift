import Foundation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The live gateways in front of real model servers on loopback: llama.cpp's own server
/// (`llama-server`) with Gemma 3 270M, and MLServer (KServe v2) with a Python model. `.ci/run` installs
/// both with scripts/live-backends; elsewhere these tests are skipped unless
/// EPARA_REQUIRE_REAL_BACKENDS=1 says they must run.
final class RealBackendTests: XCTestCase {
    static let live = Epara.packageRoot.appendingPathComponent(".build/live")

    static func locate(_ variable: String, default path: URL) throws -> URL {
        try realServer(variable, default: path, install: "run scripts/live-backends")
    }

    func backends(in directory: URL, _ lines: [String]) throws -> URL {
        let url = directory.appendingPathComponent("backends.yaml")
        try (["apiVersion: epara/v1", "kind: Backends", "backends:"] + lines.map { "  - \($0)" }).joined(separator: "\n")
            .write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Chat requests arrive at the Raspberry Pi's gateway, which forwards them to the GPU
    /// server's, which calls llama.cpp's own server (four slots): real completions come back,
    /// streamed too, and put back together for a client that asked for no stream.
    func testLlamaServerThroughTwoGatewaysOneForwarding() async throws {
        let server = try Self.locate("EPARA_LLAMA_SERVER", default: Self.live.appendingPathComponent("llama-server"))
        let model = try Self.locate("EPARA_GGUF_MODEL", default: Self.live.appendingPathComponent("gemma-3-270m-q4_k_m.gguf"))
        let directory = try scratchDirectory("epara-llama")
        defer { try? FileManager.default.removeItem(at: directory) }
        let llamaPort = HTTP.freePort(), edgePort = HTTP.freePort(), gpuPort = HTTP.freePort()
        // The GGUF is the pretrained model, without a chat template: Gemma's turns are asked for
        // by name (the Jinja engine would take the name for a template).
        let llama = try Background(
            server,
            [
                "-m", model.path, "--host", "127.0.0.1", "--port", "\(llamaPort)", "--parallel", "4", "-c", "4096", "-t", "1",
                "--no-jinja", "--chat-template", "gemma",
            ], name: "llama", in: directory)
        let llamaUp = await HTTP.waitUntilUp("http://127.0.0.1:\(llamaPort)/health", seconds: 120)
        XCTAssertTrue(llamaUp, llama.stderr)
        let plan = try livePlan("llm", into: directory)
        let backends = try backends(
            in: directory, ["{service: chat, type: openai, url: \"http://127.0.0.1:\(llamaPort)\", model: gemma-3-270m, timeout: 60s}"])
        let peers = directory.appendingPathComponent("peers.yaml")
        try "apiVersion: epara/v1\nkind: Peers\npeers:\n  edge: http://127.0.0.1:\(edgePort)\n  gpu: http://127.0.0.1:\(gpuPort)\n"
            .write(to: peers, atomically: true, encoding: .utf8)
        let common = ["--engine", "live", "--peers", peers.path, "--backends", backends.path, "--sync-interval", "500ms"]
        let edge = try Background.gateway([plan.path, "--node", "edge", "--listen", "127.0.0.1:\(edgePort)"] + common, name: "edge", in: directory)
        let gpu = try Background.gateway([plan.path, "--node", "gpu", "--listen", "127.0.0.1:\(gpuPort)"] + common, name: "gpu", in: directory)
        let edgeUp = await HTTP.waitUntilUp("http://127.0.0.1:\(edgePort)/healthz")
        let gpuUp = await HTTP.waitUntilUp("http://127.0.0.1:\(gpuPort)/healthz")
        XCTAssertTrue(edgeUp && gpuUp)
        try await Task.sleep(for: .milliseconds(700))  // a first sync each way
        let base = "http://127.0.0.1:\(edgePort)"

        let chat = try await HTTP.call(
            base + "/v1/chat/completions", method: "POST",
            body: """
                {"model": "chat", "messages": [{"role": "user", "content": "What is the capital of France?"}], "max_tokens": 12, "temperature": 0}
                """, timeout: 60)
        XCTAssertEqual(chat.status, 200, chat.text)
        XCTAssertEqual(chat.json["object"] as? String, "chat.completion", chat.text)
        let message = ((chat.json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
        XCTAssertFalse((message ?? "").isEmpty, "a real completion: \(chat.text)")
        XCTAssertGreaterThan((chat.json["usage"] as? [String: Any])?["completion_tokens"] as? Int ?? 0, 0, chat.text)
        XCTAssertNotNil(chat.headers["epara-outcome"])

        let stream = try await HTTP.call(
            base + "/v1/chat/completions", method: "POST",
            body: """
                {"model": "chat", "stream": true, "messages": [{"role": "user", "content": "Count from one to five."}], "max_tokens": 10}
                """, timeout: 60)
        XCTAssertEqual(stream.status, 200, stream.text)
        XCTAssertTrue(stream.headers["content-type"]?.hasPrefix("text/event-stream") ?? false, "\(stream.headers)")
        let events = stream.text.components(separatedBy: "\n").filter { $0.hasPrefix("data: ") }
        XCTAssertGreaterThan(events.filter { $0.contains("\"content\"") }.count, 2, "tokens arrive as separate events: \(stream.text)")
        XCTAssertEqual(events.last, "data: [DONE]")

        let completion = try await HTTP.call(
            base + "/v1/completions", method: "POST",
            body: #"{"model": "chat", "prompt": "The capital of France is", "max_tokens": 6}"#, timeout: 60)
        XCTAssertEqual(completion.status, 200, completion.text)
        let text = (completion.json["choices"] as? [[String: Any]])?.first?["text"] as? String
        XCTAssertFalse((text ?? "").isEmpty, completion.text)

        let native = try await HTTP.call(
            base + "/v1/services/chat/infer", method: "POST",
            body: #"{"input": "Once upon a time", "output_tokens": 5}"#, timeout: 60)
        XCTAssertEqual(native.status, 200, native.text)
        let output = native.json["output"] as? [String: Any]
        XCTAssertEqual((output?["usage"] as? [String: Any])?["completion_tokens"] as? Int, 5, native.text)

        // All four went through the GPU server's gateway.
        let state = try await HTTP.call(base + "/v1/state")
        XCTAssertEqual(((state.json["peers"] as? [[String: Any]])?.first)?["forwarded"] as? Int, 4, state.text)
        XCTAssertEqual(edge.stop(), 0, edge.stderr)
        XCTAssertEqual(gpu.stop(), 0, gpu.stderr)
        _ = llama.stop()
    }

    /// A KServe v2 server (MLServer) with a Python model that doubles its input, through a
    /// gateway; a request the server fails on is answered 503 with the reason.
    func testMLServerKServeV2ThroughAGateway() async throws {
        let directory = try scratchDirectory("epara-mlserver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (server, port) = try await Self.startDoubler(in: directory)

        let plan = try livePlan("llm", into: directory)
        let backends = try backends(
            in: directory, ["{service: double, type: kserve-v2, url: \"http://127.0.0.1:\(port)\", model: doubler, timeout: 10s}"])
        let gatewayPort = HTTP.freePort()
        let gateways = try Background.gateway(
            [
                plan.path, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(gatewayPort)",
                "--backends", backends.path,
            ], name: "gateways", in: directory)
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(gatewayPort)/healthz")
        XCTAssertTrue(up)
        let url = "http://127.0.0.1:\(gatewayPort)/v1/services/double/infer"
        let answer = try await HTTP.call(
            url, method: "POST",
            body: """
                {"input": {"inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": [1, 2, 3]}]}}
                """)
        XCTAssertEqual(answer.status, 200, answer.text)
        let outputs = (answer.json["output"] as? [String: Any])?["outputs"] as? [[String: Any]]
        XCTAssertEqual((outputs?.first?["data"] as? [Double]) ?? [], [2, 4, 6], answer.text)
        XCTAssertEqual(outputs?.first?["name"] as? String, "doubled")

        let broken = try await HTTP.call(
            url, method: "POST", body: #"{"input": {"inputs": [{"name": "x", "shape": [3], "datatype": "FP32", "data": [1, "a"]}]}}"#)
        XCTAssertTrue([400, 422, 503].contains(broken.status), "\(broken.status) \(broken.text)")
        if broken.status == 503 { XCTAssertEqual(broken.json["reason"] as? String, "backend_error", broken.text) }

        // The OpenAI endpoint does not serve a vision model: a clear 400.
        let wrongAPI = try await HTTP.call(
            "http://127.0.0.1:\(gatewayPort)/v1/chat/completions", method: "POST",
            body: #"{"model": "double", "messages": [{"role": "user", "content": "x"}]}"#)
        XCTAssertEqual(wrongAPI.status, 400, wrongAPI.text)
        XCTAssertTrue(wrongAPI.text.contains("not a language model"), wrongAPI.text)
        XCTAssertEqual(gateways.stop(), 0, gateways.stderr)
        _ = server.stop()
    }

    /// MLServer (KServe v2) serving `doubler`, a Python model that doubles its input `x` into
    /// `doubled`, on a free port; up and ready when this returns.
    static func startDoubler(in directory: URL) async throws -> (Background, Int) {
        let mlserver = try locate("EPARA_MLSERVER", default: Self.live.appendingPathComponent("mlserver/bin/mlserver"))
        let models = directory.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models.appendingPathComponent("doubler"), withIntermediateDirectories: true)
        try """
        from mlserver import MLModel
        from mlserver.codecs import NumpyCodec
        from mlserver.types import InferenceRequest, InferenceResponse


        class Doubler(MLModel):
            async def load(self) -> bool:
                return True

            async def predict(self, payload: InferenceRequest) -> InferenceResponse:
                x = NumpyCodec.decode_input(payload.inputs[0])
                return InferenceResponse(model_name=self.name, outputs=[NumpyCodec.encode_output("doubled", x * 2)])
        """.write(to: models.appendingPathComponent("doubler/model.py"), atomically: true, encoding: .utf8)
        try #"{"name": "doubler", "implementation": "model.Doubler"}"#
            .write(to: models.appendingPathComponent("doubler/model-settings.json"), atomically: true, encoding: .utf8)
        let port = HTTP.freePort()
        try #"{"host": "127.0.0.1", "http_port": \#(port), "grpc_port": \#(port + 1), "metrics_port": \#(port + 2), "parallel_workers": 0}"#
            .write(to: models.appendingPathComponent("settings.json"), atomically: true, encoding: .utf8)
        let server = try Background(mlserver, ["start", models.path], name: "mlserver", in: directory)
        let ready = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/v2/health/ready", seconds: 120)
        XCTAssertTrue(ready, server.stderr)

        return (server, port)
    }
}
