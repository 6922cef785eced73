import AsyncHTTPClient
import EparaCore
import EparaDocuments
import EparaServe
import Logging
import NIOCore
import ServiceLifecycle
import XCTest

@testable import EparaLive

/// The gateways' server built in-process (`LiveServer.buildServices`) and run in a service
/// group the test shuts down itself: no subprocess, no signals.
final class LiveServerTests: XCTestCase {
    static var quiet: Logger {
        var logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        logger.logLevel = .critical
        return logger
    }

    /// Two gateways, sync and the state store as lifecycle services: requests at both are
    /// answered; a graceful shutdown drains them, writes the last windows and returns a Run that
    /// holds every request.
    func testBuiltServicesServeDrainAndRecord() async throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 100)
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("epara-live-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: store) }
        let port = 20_000 + Int.random(in: 0..<20_000)
        let built = try LiveServer.buildServices(
            plan: plan, options: LiveServerOptions(basePort: port, syncIntervalS: 0.1, statePath: store),
            logger: Self.quiet)
        XCTAssertEqual(built.gateways.map(\.node), ["n1", "n2"])
        let group = ServiceGroup(configuration: .init(services: built.services, logger: Self.quiet))
        let running = Task { try await group.run() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var statuses: [Int] = []
        for gateway in built.gateways {
            try await waitUntilListening(client, port: gateway.port)
            for _ in 0..<10 {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(gateway.port)/v1/services/s/infer")
                request.method = .POST
                request.body = .bytes(ByteBuffer(string: "{}"))
                statuses.append(Int(try await client.execute(request, timeout: .seconds(5)).status.code))
            }
        }
        try await client.shutdown()
        await group.triggerGracefulShutdown()
        try await running.value
        let run = await built.finish()
        XCTAssertEqual(statuses, Array(repeating: 200, count: 20))
        XCTAssertEqual(run.summary.counts.arrivals, 20)
        XCTAssertEqual(run.summary.counts.completedInSlo, 20)
        XCTAssertEqual(Set(run.nodes.map(\.name)), ["n1", "n2"])
    }

    /// `stop` cancels the engine's tasks: a request whose work would take 50 s ends at once.
    func testStopCancelsTheWorkInFlight() async throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 100)
        let slow = BackendTarget(kind: .emulated, model: "m", timeScale: 5_000)
        let backends = BackendTable(
            plan: plan,
            document: BackendsDocument(entries: [
                .init(service: "s", node: "n1", target: slow),
                .init(service: "s", node: "n2", target: slow),
            ]))
        let engine = LiveEngine(plan: plan, options: LiveOptions(backends: backends), logger: Self.quiet)
        let clock = ContinuousClock()
        let start = clock.now
        let answer = Task { () async -> LiveResult? in try? await engine.submit(service: "s", origin: "n1").result }
        try await Task.sleep(for: .milliseconds(200))
        await engine.shutdown()
        let result = await answer.value
        XCTAssertLessThan(clock.now - start, .seconds(10), "the 50 s of work was cancelled")
        XCTAssertEqual(result?.outcome, .completedLate, "\(String(describing: result))")
    }

}

extension XCTestCase {
    /// Polls a gateway's /healthz until it answers.
    func waitUntilListening(_ client: HTTPClient, port: Int) async throws {
        for _ in 0..<100 {
            if let response = try? await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(1)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTFail("no gateway listening on port \(port)")
    }
}
