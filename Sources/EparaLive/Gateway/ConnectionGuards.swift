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
/// cannot hold it). Deadlines run only while no earlier response is still owed on the
/// connection: while the gateway answers (a long generation, a pipelined request waiting its
/// turn) the client is not the one keeping it, and the time between requests is the idle
/// timeout's (Hummingbird's). Shared by a connection's guards, on its event loop.
final class RequestDeadlines {
    enum Reading { case between, head, body }

    private(set) var reading = Reading.between
    /// Requests whose head arrived and whose response has not ended.
    private(set) var owed = 0
    private var timer: Scheduled<Void>?
    let timeout: TimeAmount

    init(timeout: TimeAmount) { self.timeout = timeout }

    /// Bytes of a request arrived (decrypted): the first of a new one starts its head's clock.
    func bytesArrived(on channel: any Channel) {
        guard reading == .between else { return }
        reading = .head
        if owed == 0 { arm(channel) }
    }

    func headArrived(on channel: any Channel) {
        reading = .body
        owed += 1
        if owed == 1 { arm(channel) } else { cancel() }
    }

    func bodyEnded() {
        reading = .between
        cancel()
    }

    /// A response ended; with none owed any more, the request being read (a pipelined one, or
    /// the rest of a body answered early) gets its clock.
    func answered(on channel: any Channel) {
        owed = max(owed - 1, 0)
        // A body being read is its own request's: it counts among those owed.
        let earlier = reading == .body ? owed - 1 : owed
        if earlier <= 0, reading != .between, timer == nil { arm(channel) }
    }

    func cancel() {
        timer?.cancel()
        timer = nil
    }

    private func arm(_ channel: any Channel) {
        timer?.cancel()
        timer = channel.eventLoop.assumeIsolated().scheduleTask(in: timeout) { channel.close(promise: nil) }
    }
}

/// First in a gateway connection's pipeline, before TLS (so it bounds handshakes too): counts
/// the connection against its client's address and closes it at once over the bound.
final class ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let counts: ClientConnectionCounts
    private var address: String?

    init(counts: ClientConnectionCounts) { self.counts = counts }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        guard counts.open(address) else { return context.close(promise: nil) }
        self.address = address
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let address { counts.close(address) }
        address = nil
        context.fireChannelInactive()
    }
}

/// After TLS, before the HTTP decoder: a request's first bytes start its read deadline.
final class RequestStart: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let deadlines: RequestDeadlines

    init(deadlines: RequestDeadlines) { self.deadlines = deadlines }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived(on: context.channel)
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadlines.cancel()
        context.fireChannelInactive()
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
        if case .end = unwrapOutboundIn(data) { deadlines.answered(on: context.channel) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError, parse == .headerOverflow else { return context.fireErrorCaught(error) }
        deadlines.cancel()
        // With a response still on the wire, a 431 would land inside it: just close.
        guard deadlines.owed == 0 else { return context.close(promise: nil) }
        let body = ByteBuffer(string: Gateway.errorJSON("the request head is over \(maxHeaderBytes) bytes"))
        let head = HTTPResponse(
            status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
            headerFields: [.contentType: "application/json", .contentLength: "\(body.readableBytes)", .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
    }
}
