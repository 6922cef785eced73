import EparaCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Keep-alive HTTP/1.1 connections to model servers, kept per server and shared by every
/// instance that calls it. A call takes an idle connection (one on the caller's own event loop
/// if there is one, so no thread hop), else opens one; the number open follows the calls in
/// flight, which the request-handling core bounds (an instance has at most one batch out).
final class BackendPool: Sendable {
    struct Origin: Hashable, Sendable {
        var tls: Bool
        var host: String
        var port: Int
    }

    private struct State {
        var idle: [Origin: [BackendConnection]] = [:]
        var open: [ObjectIdentifier: any Channel] = [:]
        var isShutDown = false
    }

    private let state = NIOLockedValueBox(State())
    private let group: any EventLoopGroup
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let tls: NIOSSLContext?

    init(
        group: any EventLoopGroup = NIOSingletons.posixEventLoopGroup, connectTimeout: TimeAmount = .seconds(2),
        idleTimeout: TimeAmount = .seconds(60)
    ) {
        self.group = group
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        // Servers behind https:// are verified against the system's trust roots.
        tls = try? NIOSSLContext(configuration: .makeClientConfiguration())
    }

    /// The answer to one request at `url`. A connection the server closed while it sat idle is
    /// replaced once; any other failure is the caller's.
    func call(_ url: BackendURL, _ request: BackendRequest) -> EventLoopFuture<Reply> {
        let origin = Origin(tls: url.tls, host: url.host, port: url.port)
        guard let connection = takeIdle(origin) else { return connect(origin).flatMap { $0.send(request) } }
        return connection.send(request).flatMapError { error in
            guard case ConnectionFailure.closedBeforeAnswer = error else { return connection.channel.eventLoop.makeFailedFuture(error) }
            return self.connect(origin).flatMap { $0.send(request) }
        }
    }

    /// The event loop a call made here would start on.
    var currentLoop: any EventLoop { MultiThreadedEventLoopGroup.currentEventLoop ?? group.next() }

    /// Closes every connection; calls after this fail.
    func shutdown() async {
        let channels = state.withLockedValue { state in
            state.isShutDown = true
            state.idle = [:]
            return Array(state.open.values)
        }
        for channel in channels { try? await channel.close() }
    }

    private func takeIdle(_ origin: Origin) -> BackendConnection? {
        let here = MultiThreadedEventLoopGroup.currentEventLoop
        return state.withLockedValue { state -> BackendConnection? in
            guard var idle = state.idle[origin], !idle.isEmpty else { return nil }
            state.idle[origin] = nil  // held uniquely while it changes
            defer { state.idle[origin] = idle }
            if let here, let k = idle.lastIndex(where: { $0.channel.eventLoop === here }) {
                return idle.remove(at: k)
            }
            return idle.removeLast()
        }
    }

    private func makeReusable(_ connection: BackendConnection, origin: Origin) {
        let keep = state.withLockedValue { state in
            guard !state.isShutDown else { return false }
            state.idle[origin, default: []].append(connection)
            return true
        }
        if !keep { connection.channel.close(promise: nil) }
    }

    private func forget(_ channel: any Channel, origin: Origin) {
        state.withLockedValue { state in
            state.open[ObjectIdentifier(channel)] = nil
            state.idle[origin]?.removeAll { $0.channel === channel }
        }
    }

    private func connect(_ origin: Origin) -> EventLoopFuture<BackendConnection> {
        let loop = currentLoop
        if state.withLockedValue({ $0.isShutDown }) { return loop.makeFailedFuture(ConnectionFailure.closedBeforeAnswer(nil)) }
        let tls = origin.tls ? self.tls : nil
        if origin.tls, tls == nil { return loop.makeFailedFuture(BackendFailure.unreachable("TLS is not available")) }
        let idleTimeout = idleTimeout
        return ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let isOpen = state.withLockedValue { state in
                        if !state.isShutDown { state.open[ObjectIdentifier(channel)] = channel }
                        return !state.isShutDown
                    }
                    guard isOpen else { throw ConnectionFailure.closedBeforeAnswer(nil) }
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        let isAddress = origin.host.contains(":") || origin.host.allSatisfy { $0.isNumber || $0 == "." }
                        try pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : origin.host))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(IdleStateHandler(allTimeout: idleTimeout))
                    try pipeline.addHandler(
                        BackendExchangeHandler(
                            reusable: { self.makeReusable($0, origin: origin) }, closed: { self.forget($0, origin: origin) }))
                }
            }
            .connect(host: origin.host, port: origin.port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: BackendExchangeHandler.self)
                return BackendConnection(channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
            }
    }
}
