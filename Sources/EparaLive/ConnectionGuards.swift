import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Open connections per client address, for one listener.
final class ClientConnectionCounts: Sendable {
    let limit: Int
    private let counts = NIOLockedValueBox<[String: Int]>([:])

    init(limit: Int) { self.limit = limit }

    /// Counts a new connection from `address`; false when it already holds `limit`.
    func open(_ address: String) -> Bool {
        counts.withLockedValue { counts in
            let open = counts[address, default: 0]
            guard open < limit else { return false }
            counts[address] = open + 1
            return true
        }
    }

    func close(_ address: String) {
        counts.withLockedValue { counts in
            if let open = counts[address] { counts[address] = open > 1 ? open - 1 : nil }
        }
    }
}

/// Where a connection's current request is, and the deadline of the part being read: a
/// request's head must arrive within the read timeout of its first byte, and its body within
/// the read timeout of its head, or the connection closes (a client sending a byte a second
/// cannot hold it). While the gateway answers, or between requests, no deadline runs (the idle
/// timeout is Hummingbird's). Shared by a connection's two guards, on its event loop.
final class RequestDeadlines {
    enum Phase { case idle, head, body, answering }

    private(set) var phase = Phase.idle
    private var timer: Scheduled<Void>?
    let timeout: TimeAmount

    init(timeout: TimeAmount) { self.timeout = timeout }

    func bytesArrived(on channel: any Channel) {
        if phase == .idle { start(.head, on: channel) }
    }

    func headArrived(on channel: any Channel) { start(.body, on: channel) }

    func bodyEnded() {
        phase = .answering
        timer?.cancel()
        timer = nil
    }

    func answered() { phase = .idle }

    func cancel() {
        timer?.cancel()
        timer = nil
    }

    private func start(_ next: Phase, on channel: any Channel) {
        phase = next
        timer?.cancel()
        timer = channel.eventLoop.assumeIsolated().scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

/// First in a gateway connection's pipeline, before TLS: counts the connection against its
/// client's address (closing it at once over the bound) and starts a request's read deadline at
/// its first bytes.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let counts: ClientConnectionCounts
    let deadlines: RequestDeadlines
    private var address: String?

    init(counts: ClientConnectionCounts, deadlines: RequestDeadlines) {
        self.counts = counts
        self.deadlines = deadlines
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        guard counts.open(address) else { return context.close(promise: nil) }
        self.address = address
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let address { counts.close(address) }
        address = nil
        deadlines.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived(on: context.channel)
        context.fireChannelRead(data)
    }
}

/// After the HTTP codec: moves a request's deadline from head to body to answered, and answers
/// a request head over the limit with 431 (NIO's decoder stops at it; Hummingbird would close
/// the connection without a word).
final class RequestProgress: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let deadlines: RequestDeadlines
    let maxHeaderBytes: Int

    init(deadlines: RequestDeadlines, maxHeaderBytes: Int) {
        self.deadlines = deadlines
        self.maxHeaderBytes = maxHeaderBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines.headArrived(on: context.channel)
        case .body: break
        case .end: deadlines.bodyEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { deadlines.answered() }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, parse == .headerOverflow else { return context.fireErrorCaught(error) }
        deadlines.cancel()
        let body = ByteBuffer(string: Gateway.errorJSON("the request head is over \(maxHeaderBytes) bytes"))
        let head = HTTPResponse(
            status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
            headerFields: [.contentType: "application/json", .contentLength: "\(body.readableBytes)", .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }
}
