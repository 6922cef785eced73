import EparaCore
import EparaDocuments
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import XCTest

@testable import EparaLive

/// The model servers' client on its own, against a small HTTP server on loopback that counts
/// what reaches it: connections kept alive and shared, each request one read, answers matched to
/// their requests, streams, and every way a call can fail ending it promptly.
final class BackendPoolTests: XCTestCase {
    func testSequentialCallsShareOneConnectionAndEachRequestArrivesInOneRead() async throws {
        let server = try await TestServer.start()
        let backends = HTTPBackends()
        let target = BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(server.port)", model: "m")
        for k in 0..<50 {
            let reply = try await backends.call(target, payload: Payload(api: .native, body: ByteBuffer(string: "{\"k\": \(k)}"))).get()
            XCTAssertEqual(reply.status, 200)
            XCTAssertEqual(String(buffer: reply.first), "{\"k\": \(k)}", "each answer is its own request's")
        }
        let seen = server.seen
        XCTAssertEqual(seen.connections, 1, "keep-alive: one connection for sequential calls")
        XCTAssertEqual(seen.requests, 50)
        XCTAssertEqual(seen.reads, 50, "head and body in one write: one read per request")
        XCTAssertEqual(seen.paths, Set(["/v2/models/m/infer"]))
        XCTAssertEqual(seen.hosts, Set(["127.0.0.1:\(server.port)"]))
        await backends.shutdown()
        try await server.stop()
    }

    func testConcurrentCallsEachGetTheirOwnAnswer() async throws {
        let server = try await TestServer.start()
        let backends = HTTPBackends()
        let target = BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(server.port)/prefix/", model: "m")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for k in 0..<200 {
                group.addTask {
                    let reply = try await backends.call(target, payload: Payload(api: .native, body: ByteBuffer(string: "[\(k)]"))).get()
                    XCTAssertEqual(String(buffer: reply.first), "[\(k)]")
                }
            }
            try await group.waitForAll()
        }
        let seen = server.seen
        XCTAssertEqual(seen.requests, 200)
        XCTAssertLessThanOrEqual(seen.connections, 200)
        XCTAssertEqual(seen.paths, Set(["/prefix/v2/models/m/infer"]), "the URL's path comes before the API's")
        await backends.shutdown()
        try await server.stop()
    }

    /// A server that closes every connection after answering (as one whose keep-alive timeout
    /// just ran out would): each call still gets its answer, on a new connection when needed.
    func testAConnectionTheServerClosedIsReplaced() async throws {
        let server = try await TestServer.start(closeAfterEachAnswer: true)
        let backends = HTTPBackends()
        let target = BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(server.port)", model: "m")
        for k in 0..<20 {
            let reply = try await backends.call(target, payload: Payload(api: .native, body: ByteBuffer(string: "\(k)"))).get()
            XCTAssertEqual(String(buffer: reply.first), "\(k)")
        }
        XCTAssertEqual(server.seen.connections, 20)
        await backends.shutdown()
        try await server.stop()
    }

    /// A stream (`"stream": true` to an OpenAI-compatible server): the call returns at the first
    /// chunk and the rest follows as the server sends it.
    func testAStreamReturnsAtItsFirstChunk() async throws {
        let server = try await TestServer.start(streamChunks: ["data: a\n\n", "data: b\n\n", "data: [DONE]\n\n"], chunkGap: .milliseconds(200))
        let backends = HTTPBackends()
        let target = BackendTarget(kind: .openai, url: "http://127.0.0.1:\(server.port)", model: "m")
        let clock = ContinuousClock()
        let start = clock.now
        let payload = Payload(api: .chat, body: ByteBuffer(string: #"{"messages": [], "stream": true}"#), stream: true)
        let reply = try await backends.call(target, payload: payload).get()
        XCTAssertLessThan(clock.now - start, .milliseconds(150), "the first chunk, not the whole stream, is waited for")
        XCTAssertEqual(reply.contentType, "text/event-stream")
        XCTAssertEqual(String(buffer: reply.first), "data: a\n\n")
        var rest = ""
        for try await chunk in try XCTUnwrap(reply.rest) { rest += String(buffer: chunk) }
        XCTAssertEqual(rest, "data: b\n\ndata: [DONE]\n\n")
        // The connection went back to the pool after the stream: a second call reuses it.
        _ = try await backends.call(target, payload: Payload(api: .chat, body: ByteBuffer(string: "{}"))).get()
        XCTAssertEqual(server.seen.connections, 1)
        await backends.shutdown()
        try await server.stop()
    }

    func testFailuresEndTheCallPromptly() async throws {
        let backends = HTTPBackends()
        // Nothing listens on port 1: refused at once.
        let refused = BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:1", model: "m")
        await assertFails(backends.call(refused, payload: Payload(api: .native))) {
            guard case BackendFailure.unreachable = $0 else { return XCTFail("\($0)") }
        }
        // 5xx: a failure the gateway retries elsewhere.
        let failing = try await TestServer.start(status: .serviceUnavailable)
        await assertFails(
            backends.call(BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(failing.port)", model: "m"), payload: Payload(api: .native))
        ) {
            guard case BackendFailure.status(503) = $0 else { return XCTFail("\($0)") }
        }
        // No answer within the timeout.
        let silent = try await TestServer.start(answers: false)
        let clock = ContinuousClock()
        let start = clock.now
        await assertFails(
            backends.call(
                BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(silent.port)", model: "m", timeoutS: 0.2), payload: Payload(api: .native))
        ) {
            guard case let BackendFailure.unreachable(message) = $0 else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("no answer within 0.2 s"), message)
        }
        XCTAssertLessThan(clock.now - start, .seconds(1))
        // https:// to a server that speaks plain HTTP: the handshake fails, the call ends.
        await assertFails(
            backends.call(
                BackendTarget(kind: .kserveV2, url: "https://127.0.0.1:\(silent.port)", model: "m", timeoutS: 2), payload: Payload(api: .native))
        ) {
            guard case BackendFailure.unreachable = $0 else { return XCTFail("\($0)") }
        }
        await backends.shutdown()
        // After shutdown a call fails rather than opening connections again.
        await assertFails(
            backends.call(BackendTarget(kind: .kserveV2, url: "http://127.0.0.1:\(failing.port)", model: "m"), payload: Payload(api: .native))
        ) { _ in }
        try await failing.stop()
        try await silent.stop()
    }

    private func assertFails(_ future: EventLoopFuture<Reply>, file: StaticString = #filePath, line: UInt = #line, _ check: (any Error) -> Void) async
    {
        do {
            let reply = try await future.get()
            XCTFail("expected a failure, got \(reply.status)", file: file, line: line)
        } catch {
            check(error)
        }
    }
}

/// A loopback HTTP/1.1 server for the client's tests: answers each request with its own body
/// (or a stream, or a status, or nothing), and counts connections, reads, paths and hosts.
final class TestServer: Sendable {
    struct Seen: Sendable {
        var connections = 0
        var reads = 0
        var requests = 0
        var paths: Set<String> = []
        var hosts: Set<String> = []
    }

    struct Behaviour: Sendable {
        var status: HTTPResponseStatus
        var answers: Bool
        var closeAfterEachAnswer: Bool
        var streamChunks: [String]
        var chunkGap: TimeAmount
    }

    let channel: any Channel
    let counts: NIOLockedValueBox<Seen>
    var port: Int { channel.localAddress!.port! }
    var seen: Seen { counts.withLockedValue { $0 } }

    private init(channel: any Channel, counts: NIOLockedValueBox<Seen>) {
        self.channel = channel
        self.counts = counts
    }

    static func start(
        status: HTTPResponseStatus = .ok, answers: Bool = true, closeAfterEachAnswer: Bool = false, streamChunks: [String] = [],
        chunkGap: TimeAmount = .zero
    ) async throws -> TestServer {
        let counts = NIOLockedValueBox(Seen())
        let behaviour = Behaviour(
            status: status, answers: answers, closeAfterEachAnswer: closeAfterEachAnswer, streamChunks: streamChunks, chunkGap: chunkGap)
        let channel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    counts.withLockedValue { $0.connections += 1 }
                    try channel.pipeline.syncOperations.addHandler(ReadCounter(counts: counts))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Answerer(counts: counts, behaviour: behaviour))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestServer(channel: channel, counts: counts)
    }

    func stop() async throws { try await channel.close() }

    final class ReadCounter: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let counts: NIOLockedValueBox<Seen>
        init(counts: NIOLockedValueBox<Seen>) { self.counts = counts }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            counts.withLockedValue { $0.reads += 1 }
            context.fireChannelRead(data)
        }
    }

    final class Answerer: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let counts: NIOLockedValueBox<Seen>
        let behaviour: Behaviour
        var body = ByteBuffer()

        init(counts: NIOLockedValueBox<Seen>, behaviour: Behaviour) {
            self.counts = counts
            self.behaviour = behaviour
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head):
                body.clear()
                counts.withLockedValue {
                    $0.requests += 1
                    $0.paths.insert(head.uri)
                    $0.hosts.insert(head.headers.first(name: "host") ?? "")
                }
            case var .body(chunk):
                body.writeBuffer(&chunk)
            case .end:
                guard behaviour.answers else { return }
                if behaviour.streamChunks.isEmpty {
                    let headers = HTTPHeaders([("content-type", "application/json"), ("content-length", "\(body.readableBytes)")])
                    context.write(
                        wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: behaviour.status, headers: headers))), promise: nil)
                    context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                    let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                    // Closed without saying so (no `connection: close`): the client finds out
                    // when it next uses the connection, or as it sits idle.
                    let channel = context.channel
                    if behaviour.closeAfterEachAnswer { done.whenComplete { _ in channel.close(promise: nil) } }
                } else {
                    let headers = HTTPHeaders([("content-type", "text/event-stream"), ("transfer-encoding", "chunked")])
                    context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                    send(behaviour.streamChunks[...], context: context)
                }
            }
        }

        private func send(_ chunks: ArraySlice<String>, context: ChannelHandlerContext) {
            guard let chunk = chunks.first else {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: chunk)))), promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: behaviour.chunkGap) {
                self.send(chunks.dropFirst(), context: context)
            }
        }
    }
}
