import Foundation
import XCTest
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `epara serve --engine live --all-nodes`: real HTTP gateways on loopback over the emulated
/// backend, stopped by SIGTERM.
final class LiveCLITests: XCTestCase {
    func request(_ url: String, method: String = "GET", body: String? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    func testGatewaysAnswerForwardAndDrainOnSIGTERM() async throws {
        let plan = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json").path
        let port = 20_000 + Int.random(in: 0..<20_000)
        let process = Process()
        process.executableURL = Epara.binary
        process.arguments = ["serve", plan, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await request("http://127.0.0.1:\(port)/healthz"))?.0 == 200
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(up, "the first gateway answers /healthz")
        // The example's plan has gpu-server-a first and orin-agx-1 third: a photo sent to the
        // Jetson is served on the RTX 4090s of gpu-server-a.
        let (status, body) = try await request("http://127.0.0.1:\(port + 2)/v1/services/photo-classify/infer", method: "POST")
        XCTAssertEqual(status, 200, "\(body)")
        XCTAssertEqual(body["outcome"] as? String, "completed_in_slo")
        let (missing, error) = try await request("http://127.0.0.1:\(port)/v1/services/nope/infer", method: "POST")
        XCTAssertEqual(missing, 404)
        XCTAssertEqual(error["error"] as? String, "unknown service 'nope'")
        process.terminate()  // SIGTERM
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "drains and exits 0")
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // Structured log lines (swift-log): the event and its metadata.
        let listening = stderr.split(separator: "\n").first { $0.contains("listening") && $0.contains("node=gpu-server-a") }
        XCTAssertNotNil(listening, stderr)
        XCTAssertTrue(listening?.contains("url=http://127.0.0.1:\(port)") ?? false, stderr)
        XCTAssertTrue(stderr.contains("drained and stopped"), stderr)
    }

    func testSIGHUPPutsTheRewrittenPlanInForce() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let planFile = directory.appendingPathComponent("plan.json")
        try Data(contentsOf: Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json")).write(to: planFile)
        let port = 20_000 + Int.random(in: 0..<20_000)
        let process = Process()
        process.executableURL = Epara.binary
        process.arguments = ["serve", planFile.path, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)"]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func retired() async -> Int {
            guard let (_, state) = try? await request("http://127.0.0.1:\(port)/v1/state") else { return -1 }
            return (state["instances"] as? [[String: Any]] ?? []).filter { $0["live"] as? Bool == false }.count
        }
        var up = false
        for _ in 0..<100 where !up {
            up = await retired() == 0
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(up)
        // The local policy's plan has none of EPARA's instances on gpu-server-a.
        let local = try Epara.run(["plan", Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.classified.json").path,
                                   "--policy", "local", "--allow-partial"])
        try local.stdout.write(to: planFile)
        kill(process.processIdentifier, SIGHUP)
        var reloaded = false
        for _ in 0..<50 where !reloaded {
            reloaded = await retired() > 0
            if !reloaded { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(reloaded, "gpu-server-a's old instances stop taking requests")
        // New instances load their model first (a couple of seconds): meanwhile photos, due in
        // 30 ms, are shed (429) — answered, not lost — and then served.
        var served = false
        for _ in 0..<60 where !served {
            let (status, _) = try await request("http://127.0.0.1:\(port)/v1/services/photo-classify/infer", method: "POST")
            XCTAssertTrue([200, 429].contains(status), "\(status)")
            served = status == 200
            if !served { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(served, "the new plan serves once its models are loaded")
        process.terminate()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testLiveNeedsAllNodesForNow() throws {
        let plan = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json").path
        let result = try Epara.run(["serve", plan, "--engine", "live"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("add --all-nodes"), result.stderr)
    }
}
