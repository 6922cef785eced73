import AsyncHTTPClient
import EparaCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import XCTest

@testable import EparaLive

/// What a gateway's listener puts up with (GatewayChannel, ConnectionGuards), against abuse
/// bounded in count and time, on loopback, with the gateways built in-process: oversized heads
/// and bodies, slow clients, idle connections, too many connections from one address, and a
/// flood of wrong tokens — while a well-behaved client keeps being served.
final class GatewayLimitsTests: XCTestCase {
    /// Runs `body` with the first gateway's port while the gateways of a two-node plan serve.
    func withGateway(
        limits: GatewayLimits, clientToken: String? = nil, _ body: (Int, HTTPClient) async throws -> Void
    ) async throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 1000)
        let port = 20_000 + Int.random(in: 0..<20_000)
        let built = try LiveServer.buildServices(
            plan: plan,
            options: LiveServerOptions(
                basePort: port, clientToken: clientToken, peerToken: clientToken.map { $0 + "-peer" }, syncIntervalS: 0, limits: limits),
            logger: LiveServerTests.quiet)
        let group = ServiceGroup(configuration: .init(services: built.services, logger: LiveServerTests.quiet))
        let running = Task { try await group.run() }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await waitUntilListening(client, port: port)
            try await body(port, client)
        } catch {
            try? await client.shutdown()
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        try await client.shutdown()
        await group.triggerGracefulShutdown()
        try await running.value
        _ = await built.finish()
    }

    static func infer(
        _ client: HTTPClient, port: Int, token: String? = nil, headers extra: [(String, String)] = [], body: ByteBuffer = ByteBuffer(string: "{}")
    ) async throws -> (status: Int, seconds: Double) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/services/s/infer")
        request.method = .POST
        request.body = .bytes(body)
        if let token { request.headers.add(name: "authorization", value: "Bearer \(token)") }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        let clock = ContinuousClock()
        let start = clock.now
        let response = try await client.execute(request, timeout: .seconds(10))
        _ = try await response.body.collect(upTo: 1 << 20)
        let d = clock.now - start
        return (Int(response.status.code), Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// Raw connections that send what they are given, and report when the gateway closes them.
    final class RawConnections: @unchecked Sendable {
        var channels: [any Channel] = []
        let closed = NIOLockedValueBox(0)

        func open(_ count: Int, port: Int) async throws {
            for _ in 0..<count {
                let channel = try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup).connect(host: "127.0.0.1", port: port).get()
                channel.closeFuture.whenComplete { [closed] _ in closed.withLockedValue { $0 += 1 } }
                channels.append(channel)
            }
        }

        func send(_ text: String) {
            for channel in channels where channel.isActive { channel.writeAndFlush(ByteBuffer(string: text), promise: nil) }
        }

        func waitUntilClosed(_ count: Int, within seconds: Double) async -> Bool {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while ContinuousClock.now < deadline {
                if closed.withLockedValue({ $0 }) >= count { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return closed.withLockedValue { $0 } >= count
        }

        func closeAll() { for channel in channels { channel.close(promise: nil) } }
    }

    func testAnOversizedHeadGets431AndAnOversizedBody413() async throws {
        try await withGateway(limits: GatewayLimits(maxHeaderBytes: 8 << 10)) { port, client in
            let big = try await Self.infer(client, port: port, headers: [("x-padding", String(repeating: "a", count: 9 << 10))])
            XCTAssertEqual(big.status, 431)
            let body = try await Self.infer(client, port: port, body: ByteBuffer(repeating: UInt8(ascii: " "), count: Gateway.bodyLimit + 1))
            XCTAssertEqual(body.status, 413)
            // The gateway goes on serving.
            let fine = try await Self.infer(client, port: port, headers: [("x-padding", String(repeating: "a", count: 4 << 10))])
            XCTAssertEqual(fine.status, 200)
        }
    }

    /// 200 connections that send a request a byte a second are closed by the read timeout (1 s
    /// here), while a client sending whole requests is served throughout, about as fast as
    /// without them.
    func testSlowClientsAreClosedByTheReadTimeoutWhileOthersAreServed() async throws {
        try await withGateway(limits: GatewayLimits(readTimeoutS: 1, maxConnectionsPerClient: 1000)) { port, client in
            var baseline: [Double] = []
            for _ in 0..<40 { baseline.append(try await Self.infer(client, port: port).seconds) }
            let slow = RawConnections()
            try await slow.open(200, port: port)
            let request = "POST /v1/services/s/infer HTTP/1.1\r\nhost: x\r\n"
            let drip = Task {
                for byte in request {
                    slow.send(String(byte))
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isCancelled { return }
                }
            }
            var during: [Double] = []
            var statuses: [Int] = []
            let clock = ContinuousClock()
            let start = clock.now
            while clock.now - start < .milliseconds(2500) {
                let answer = try await Self.infer(client, port: port)
                statuses.append(answer.status)
                during.append(answer.seconds)
            }
            let allClosed = await slow.waitUntilClosed(200, within: 3)
            drip.cancel()
            slow.closeAll()
            XCTAssertTrue(allClosed, "slow connections still open: \(200 - slow.closed.withLockedValue { $0 })")
            XCTAssertEqual(Set(statuses), [200])
            let (before, under) = (median(baseline) * 1000, median(during) * 1000)
            print(
                "slow clients: median latency \(String(format: "%.2f", before)) ms alone, \(String(format: "%.2f", under)) ms under 200 slow connections (\(during.count) requests)"
            )
            XCTAssertLessThan(under, 3 * before + 5, "served requests slowed by the slow clients: \(before) -> \(under) ms")
        }
    }

    /// A connection that never sends a byte is closed by the idle timeout.
    func testAnIdleConnectionIsClosed() async throws {
        try await withGateway(limits: GatewayLimits(idleTimeoutS: 1)) { port, _ in
            let idle = RawConnections()
            try await idle.open(3, port: port)
            let closed = await idle.waitUntilClosed(3, within: 4)
            XCTAssertTrue(closed)
        }
    }

    /// One address may hold `maxConnectionsPerClient` connections; more are closed at once, and
    /// a place frees up when one closes.
    func testConnectionsPerClientAreBounded() async throws {
        try await withGateway(limits: GatewayLimits(maxConnectionsPerClient: 4)) { first, _ in
            // The second gateway: the test's HTTP client holds a connection to the first.
            let port = first + 1
            // Five at once: which one the gateway counts last is up to the order it accepts them.
            let five = RawConnections()
            try await five.open(5, port: port)
            let oneClosed = await five.waitUntilClosed(1, within: 2)
            XCTAssertTrue(oneClosed, "a fifth connection from the same address is closed")
            try await Task.sleep(for: .milliseconds(300))
            XCTAssertEqual(five.closed.withLockedValue { $0 }, 1, "the other four stay open")
            let open = five.channels.filter(\.isActive)
            XCTAssertEqual(open.count, 4)
            open.first?.close(promise: nil)
            _ = await five.waitUntilClosed(2, within: 2)
            try await Task.sleep(for: .milliseconds(100))
            let another = RawConnections()
            try await another.open(1, port: port)
            another.send("GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            let closedAgain = await another.waitUntilClosed(1, within: 0.5)
            XCTAssertFalse(closedAgain, "with one closed, a new one is let in")
            five.closeAll()
            another.closeAll()
        }
    }

    /// Four connections sending wrong tokens as fast as they can get 401s; a client with the
    /// right token is served meanwhile, its median latency within 4× (+ 3 ms) of what it is alone.
    func testAFloodOfWrongTokensGets401sWithoutStarvingServedRequests() async throws {
        try await withGateway(limits: GatewayLimits(), clientToken: "right") { port, client in
            var baseline: [Double] = []
            for _ in 0..<40 { baseline.append(try await Self.infer(client, port: port, token: "right").seconds) }
            let stop = NIOLockedValueBox(false)
            let flood = Task {
                await withTaskGroup(of: [Int].self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            var statuses: [Int] = []
                            while !stop.withLockedValue({ $0 }) {
                                statuses.append((try? await Self.infer(client, port: port, token: "wrong").status) ?? -1)
                            }
                            return statuses
                        }
                    }
                    var all: [Int] = []
                    for await statuses in group { all += statuses }
                    return all
                }
            }
            try await Task.sleep(for: .milliseconds(200))
            var during: [Double] = []
            for _ in 0..<40 {
                let answer = try await Self.infer(client, port: port, token: "right")
                XCTAssertEqual(answer.status, 200)
                during.append(answer.seconds)
            }
            stop.withLockedValue { $0 = true }
            let statuses = await flood.value
            XCTAssertGreaterThan(statuses.count, 100)
            XCTAssertEqual(Set(statuses), [401])
            let (before, under) = (median(baseline) * 1000, median(during) * 1000)
            print(
                "wrong-token flood: \(statuses.count) 401s; median latency \(String(format: "%.2f", before)) ms alone, \(String(format: "%.2f", under)) ms during it"
            )
            XCTAssertLessThan(under, 4 * before + 3, "served requests slowed by the flood: \(before) -> \(under) ms")
        }
    }
}
