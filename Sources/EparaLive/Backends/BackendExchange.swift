import NIOCore
import NIOHTTP1

/// One call to a model server as it goes on the wire: head, whole body, and how long to wait for
/// the answer.
struct BackendRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    /// Hand the answer back at its first chunk and stream the rest (server-sent events).
    var streaming: Bool
    var timeout: TimeAmount
}

/// Why a connection gave no answer. `closedBeforeAnswer` on a connection that sat idle in the
/// pool means the server had closed it meanwhile: the call is made again on a new one.
enum ConnectionFailure: Error, CustomStringConvertible {
    /// With what the connection reported, if anything.
    case closedBeforeAnswer((any Error)?)
    case closedMidAnswer
    case timedOut(TimeAmount)
    case bodyTooLarge(Int)
    case unexpectedAnswer

    var description: String {
        switch self {
        case let .closedBeforeAnswer(cause): "the connection closed before an answer" + (cause.map { ": \($0)" } ?? "")
        case .closedMidAnswer: "the connection closed in the middle of the answer"
        case let .timedOut(amount): "no answer within \(Double(amount.nanoseconds) / 1e9) s"
        case let .bodyTooLarge(limit): "the answer is larger than \(limit >> 20) MiB"
        case .unexpectedAnswer: "the server answered without being asked"
        }
    }
}

/// The last handler of a pooled connection to a model server: sends one request at a time and
/// turns the response parts into a `Reply`. Head, body and end go out in one flush, so a small
/// request is one write and one TCP segment (AsyncHTTPClient flushes its head and body
/// separately: swift-server/async-http-client#203).
final class BackendExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    static let maximumBodyBytes = 64 << 20

    private struct Waiting {
        var promise: EventLoopPromise<Reply>
        var streaming: Bool
        var timeout: Scheduled<Void>?
    }

    private enum State {
        case idle
        /// Sent, nothing back yet.
        case waiting(Waiting)
        /// The whole body is wanted: collecting it.
        case collecting(Waiting, HTTPResponseHead, ByteBuffer)
        /// A stream is wanted: its head is in, its first chunk not yet.
        case streamHead(Waiting, HTTPResponseHead)
        /// The caller has its first chunk; the rest goes to the stream.
        case streaming(AsyncThrowingStream<ByteBuffer, any Error>.Continuation, keepAlive: Bool)
        case closed
    }

    private var state = State.idle
    private var context: ChannelHandlerContext?
    /// Called with this connection when it can take another request.
    private let reusable: (BackendConnection) -> Void
    /// Called once when the connection closes.
    private let closed: (any Channel) -> Void

    init(reusable: @escaping (BackendConnection) -> Void, closed: @escaping (any Channel) -> Void) {
        self.reusable = reusable
        self.closed = closed
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Sends a request; the promise gets the answer or the failure.
    func send(_ request: BackendRequest, _ promise: EventLoopPromise<Reply>) {
        guard case .idle = state, let context else {
            promise.fail(ConnectionFailure.closedBeforeAnswer(nil))
            return
        }
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(in: request.timeout) {
            self.fail(ConnectionFailure.timedOut(request.timeout))
            context.close(promise: nil)
        }
        state = .waiting(Waiting(promise: promise, streaming: request.streaming, timeout: timeout))
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if request.body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(request.body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            guard case let .waiting(waiting) = state else { return protocolError(context) }
            state =
                waiting.streaming && head.status.code < 300
                ? .streamHead(waiting, head) : .collecting(waiting, head, context.channel.allocator.buffer(capacity: 0))
        case var .body(chunk):
            switch state {
            case .collecting(let waiting, let head, var body):
                state = .idle  // the buffer is uniquely held while it grows
                guard body.readableBytes + chunk.readableBytes <= Self.maximumBodyBytes else {
                    state = .collecting(waiting, head, body)
                    fail(ConnectionFailure.bodyTooLarge(Self.maximumBodyBytes))
                    return context.close(promise: nil)
                }
                if body.readableBytes == 0 { body = chunk } else { body.writeBuffer(&chunk) }
                state = .collecting(waiting, head, body)
            case let .streamHead(waiting, head):
                let (rest, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
                let channel = context.channel
                continuation.onTermination = { reason in
                    // The client went away mid-stream: the server's answer has no one to go to.
                    if case .cancelled = reason { channel.close(promise: nil) }
                }
                state = .streaming(continuation, keepAlive: head.isKeepAlive)
                waiting.timeout?.cancel()
                waiting.promise.succeed(Self.reply(head, chunk, rest: rest))
            case let .streaming(continuation, _):
                continuation.yield(chunk)
            default:
                protocolError(context)
            }
        case .end:
            let keepAlive: Bool
            let answer: () -> Void
            switch state {
            case let .collecting(waiting, head, body):
                keepAlive = head.isKeepAlive
                waiting.timeout?.cancel()
                answer = { waiting.promise.succeed(Self.reply(head, body, rest: nil)) }
            case let .streamHead(waiting, head):
                keepAlive = head.isKeepAlive
                waiting.timeout?.cancel()
                answer = { waiting.promise.succeed(Self.reply(head, ByteBuffer(), rest: nil)) }
            case let .streaming(continuation, alive):
                keepAlive = alive
                answer = { continuation.finish() }
            default:
                return protocolError(context)
            }
            state = .idle
            // Back in the pool before the caller hears: its next call finds this connection.
            if keepAlive {
                reusable(BackendConnection(channel: context.channel, handler: NIOLoopBound(self, eventLoop: context.eventLoop)))
            } else {
                context.close(promise: nil)
            }
            answer()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(nil)
        state = .closed
        closed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Nothing back yet (a reset on a connection the server had given up, say): the pool
        // may try again on a new connection.
        if case .waiting = state { fail(ConnectionFailure.closedBeforeAnswer(error)) } else { fail(error) }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Idle in the pool for too long: close it (the server would, sooner or later).
        if event is IdleStateHandler.IdleStateEvent, case .idle = state { return context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    /// Ends the exchange in progress, if any, with `error` (nil: the connection closed).
    private func fail(_ error: (any Error)?) {
        switch state {
        case let .waiting(waiting):
            waiting.timeout?.cancel()
            waiting.promise.fail(error ?? ConnectionFailure.closedBeforeAnswer(nil))
        case let .collecting(waiting, _, _), let .streamHead(waiting, _):
            waiting.timeout?.cancel()
            waiting.promise.fail(error ?? ConnectionFailure.closedMidAnswer)
        case let .streaming(continuation, _):
            continuation.finish(throwing: error ?? ConnectionFailure.closedMidAnswer)
        case .idle, .closed:
            return
        }
        state = .idle
    }

    private func protocolError(_ context: ChannelHandlerContext) {
        fail(ConnectionFailure.unexpectedAnswer)
        context.close(promise: nil)
    }

    private static func reply(_ head: HTTPResponseHead, _ body: ByteBuffer, rest: AsyncThrowingStream<ByteBuffer, any Error>?) -> Reply {
        Reply(
            status: Int(head.status.code), contentType: head.headers.first(name: "content-type") ?? "application/json",
            first: body, rest: rest)
    }
}

/// A pooled connection: its channel and, on the channel's event loop, its handler.
struct BackendConnection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<BackendExchangeHandler>

    /// One request's answer on this connection, on the connection's event loop.
    func send(_ request: BackendRequest) -> EventLoopFuture<Reply> {
        let handler = handler
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: Reply.self)
        if loop.inEventLoop {
            handler.value.send(request, promise)
        } else {
            loop.execute { handler.value.send(request, promise) }
        }
        return promise.futureResult
    }
}
