import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1
import NIOSSL

/// A gateway connection's pipeline: Hummingbird's HTTP/1.1 channel behind the gateway's guards
/// — the per-client connection bound and read deadlines (ConnectionGuards.swift), TLS from a
/// context that SIGHUP can replace, the request head limit — and its idle timeout.
struct GatewayChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value

    let base: HTTP1Channel
    let limits: GatewayLimits
    let tls: ReloadableTLSContext?
    let counts: ClientConnectionCounts

    var responder: Responder { base.responder }

    init(responder: @escaping Responder, limits: GatewayLimits, tls: ReloadableTLSContext?) {
        var configuration = HTTP1Channel.Configuration(idleTimeout: .nanoseconds(boundedNanoseconds(limits.idleTimeoutS)))
        configuration.httpDecoder = .init(maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes)
        base = HTTP1Channel(responder: responder, configuration: configuration)
        self.limits = limits
        self.tls = tls
        counts = ClientConnectionCounts(limit: limits.maxConnectionsPerClient)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // The two guards share where the request is; both run on the channel's event loop.
        let deadlines = NIOLoopBound(
            RequestDeadlines(timeout: .nanoseconds(boundedNanoseconds(limits.readTimeoutS))), eventLoop: channel.eventLoop)
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(ConnectionGuard(counts: counts))
            if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls.current)) }
            try pipeline.addHandler(RequestStart(deadlines: deadlines.value))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }.flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            try pipeline.addHandler(RequestProgress(deadlines: deadlines.value, maxHeaderBytes: limits.maxHeaderBytes), position: .after(codec))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
