import Foundation
import XCTest

/// The clients users already have, not ours: the official `openai` Python package and Triton's
/// `tritonclient[http]` (the Open Inference Protocol) against a live gateway — on the emulated
/// backend, and tritonclient through to a real KServe v2 server (MLServer). scripts/live-backends
/// installs both clients in .build/live/clients; the scripts they run are in
/// Fixtures/clients and print what they saw as JSON.
final class OfficialClientTests: XCTestCase {
    static let token = "s3cret-client-token"

    func python() throws -> URL {
        try RealBackendTests.locate("EPARA_CLIENTS_PYTHON", default: RealBackendTests.live.appendingPathComponent("clients/bin/python"))
    }

    /// Runs a client script and reads the JSON object it prints.
    func runClient(_ script: String, _ arguments: [String]) throws -> [String: Any] {
        let result = try Epara.run(
            [Epara.fixture("clients/\(script)").path] + arguments, timeout: 120, executable: try python())
        XCTAssertEqual(result.status, 0, "\(script): \(result.stderr)")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], result.stdoutText)
    }

    /// The `llm` fixture's gateways (chat and double on the emulated backend, or double on
    /// `backends`), clients holding the token.
    func gateway(in directory: URL, backends: [String] = []) async throws -> (Background, Int) {
        let plan = try livePlan("llm", into: directory)
        let port = HTTP.freePort()
        var arguments = [plan.path, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)"]
        if !backends.isEmpty {
            let file = directory.appendingPathComponent("backends.yaml")
            try (["apiVersion: epara/v1", "kind: Backends", "backends:"] + backends.map { "  - \($0)" }).joined(separator: "\n")
                .write(to: file, atomically: true, encoding: .utf8)
            arguments += ["--backends", file.path]
        }
        let gateway = try Background.gateway(arguments, name: "gateway", in: directory, environment: ["EPARA_CLIENT_TOKEN": Self.token])
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up, gateway.stderr)
        return (gateway, port)
    }

    func testTheOpenAIPackageListsChatsStreamsAndReadsErrors() async throws {
        let directory = try scratchDirectory("epara-openai")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (gateway, port) = try await gateway(in: directory)
        let seen = try runClient("openai_client.py", ["http://127.0.0.1:\(port)", Self.token])

        XCTAssertEqual(seen["models"] as? [String], ["chat"], "the plan's language models, and only them")
        XCTAssertEqual(seen["retrieved"] as? String, "chat")
        let chat = try XCTUnwrap(seen["chat"] as? [String: Any])
        XCTAssertEqual(chat["completion_tokens"] as? Int, 8, "max_tokens=8: \(chat)")
        XCTAssertFalse((chat["content"] as? String ?? "").isEmpty, "\(chat)")
        XCTAssertGreaterThan(chat["prompt_tokens"] as? Int ?? 0, 0)
        XCTAssertEqual(chat["finish_reason"] as? String, "stop")
        let completion = try XCTUnwrap(seen["completion"] as? [String: Any])
        XCTAssertEqual(completion["completion_tokens"] as? Int, 5)
        XCTAssertFalse((completion["text"] as? String ?? "").isEmpty)
        let stream = try XCTUnwrap(seen["stream"] as? [String: Any])
        XCTAssertEqual(stream["content_chunks"] as? Int, 6, "one chunk a token: \(stream)")
        XCTAssertEqual(stream["usage_completion_tokens"] as? Int, 6)

        let unknown = try XCTUnwrap(seen["unknown_model"] as? [String: Any], "an unknown model raises")
        XCTAssertEqual(unknown["class"] as? String, "NotFoundError")
        XCTAssertEqual(unknown["code"] as? String, "model_not_found")
        XCTAssertEqual(unknown["type"] as? String, "invalid_request_error")
        let vision = try XCTUnwrap(seen["vision_model"] as? [String: Any])
        XCTAssertEqual(vision["class"] as? String, "BadRequestError")
        XCTAssertEqual(vision["code"] as? String, "model_not_supported")
        let badToken = try XCTUnwrap(seen["bad_token"] as? [String: Any])
        XCTAssertEqual(badToken["class"] as? String, "AuthenticationError")
        XCTAssertEqual(badToken["code"] as? String, "invalid_api_key")
        XCTAssertEqual(gateway.stop(), 0, gateway.stderr)
    }

    func testTritonClientOnTheEmulatedBackend() async throws {
        let directory = try scratchDirectory("epara-triton")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (gateway, port) = try await gateway(in: directory)
        let seen = try runClient("triton_client.py", ["127.0.0.1:\(port)", Self.token, "double", "x", "scores"])
        try checkTriton(seen, output: [0, 0, 0])
        XCTAssertEqual(gateway.stop(), 0, gateway.stderr)
    }

    func testTritonClientThroughToMLServer() async throws {
        let directory = try scratchDirectory("epara-triton-mlserver")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (server, serverPort) = try await RealBackendTests.startDoubler(in: directory)
        let (gateway, port) = try await gateway(
            in: directory, backends: ["{service: double, type: kserve-v2, url: \"http://127.0.0.1:\(serverPort)\", model: doubler, timeout: 10s}"])
        let seen = try runClient("triton_client.py", ["127.0.0.1:\(port)", Self.token, "double", "x", "doubled"])
        try checkTriton(seen, output: [2, 4, 6])
        XCTAssertEqual(gateway.stop(), 0, gateway.stderr)
        _ = server.stop()
    }

    func checkTriton(_ seen: [String: Any], output: [Double]) throws {
        XCTAssertEqual(seen["live"] as? Bool, true)
        XCTAssertEqual(seen["ready"] as? Bool, true)
        XCTAssertEqual(seen["model_ready"] as? Bool, true)
        XCTAssertEqual(seen["metadata_name"] as? String, "double")
        XCTAssertEqual(seen["server"] as? String, "epara")
        for form in ["binary", "json"] {
            let answer = try XCTUnwrap(seen[form] as? [String: Any], form)
            XCTAssertEqual(answer["output"] as? [Double], output, "\(form) tensors: \(answer)")
        }
        XCTAssertEqual((seen["json"] as? [String: Any])?["id"] as? String, "r-False", "the request id comes back")
        let unknown = try XCTUnwrap(seen["unknown_model"] as? [String: Any])
        XCTAssertEqual(unknown["status"] as? String, "404")
        XCTAssertTrue((unknown["message"] as? String ?? "").contains("no-such"), "\(unknown)")
        XCTAssertEqual(seen["no_token_ready"] as? Bool, false, "without the token the model is not reported ready")
    }
}
