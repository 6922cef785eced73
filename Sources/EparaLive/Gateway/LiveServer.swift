import EparaCore
import EparaPlan
import EparaServe
import EparaStore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// How to run gateways: which nodes, where they listen, with what tokens, and what they record.
public struct LiveServerOptions: Sendable {
    public var host: String
    /// Port of the first hosted node's gateway; the others follow in the plan's node order.
    public var basePort: Int
    public var engine: LiveOptions
    public var clientToken: String?
    public var peerToken: String?
    public var syncIntervalS: Double
    /// SQLite state store the gateways write their windows and node health to.
    public var statePath: String?
    /// The plan file, watched for changes (SIGHUP also re-reads it).
    public var planPath: String?
    /// How often the plan file is checked for a change, seconds.
    public var watchIntervalS: Double
    /// What the listeners put up with from clients (sizes, timeouts, connections per address).
    public var limits: GatewayLimits
    /// TLS for the listeners and for calls to peers; plain HTTP when nil.
    public var tls: GatewayTLSFiles?
    /// The files `clientToken` and `peerToken` were read from, read again on SIGHUP.
    public var tokenFiles: TokenFiles

    public init(
        host: String = "127.0.0.1", basePort: Int = 8080, engine: LiveOptions = LiveOptions(), clientToken: String? = nil,
        peerToken: String? = nil, syncIntervalS: Double = 2, statePath: String? = nil, planPath: String? = nil,
        watchIntervalS: Double = 1, limits: GatewayLimits = GatewayLimits(), tls: GatewayTLSFiles? = nil,
        tokenFiles: TokenFiles = TokenFiles()
    ) {
        self.tokenFiles = tokenFiles
        self.limits = limits
        self.tls = tls
        self.host = host
        self.basePort = basePort
        self.engine = engine
        self.clientToken = clientToken
        self.peerToken = peerToken
        self.syncIntervalS = syncIntervalS
        self.statePath = statePath
        self.planPath = planPath
        self.watchIntervalS = watchIntervalS
    }
}

/// The gateways of the nodes this process hosts (every node, on consecutive ports, or one),
/// over one live engine, and their background work, built but not yet running (Hummingbird's
/// `buildApplication` shape): `LiveServer.run` runs them in a service group until SIGTERM or
/// SIGINT; tests run them in-process the same way and shut the group down themselves.
public struct LiveServices: Sendable {
    public let engine: LiveEngine
    /// Background services first, the gateways last: a service group shuts its services down in
    /// reverse order, so the gateways drain (finish the requests they hold) before the sync
    /// rounds, the state-store writes and the plan watch stop.
    public let services: [any ServiceLifecycle.Service]
    /// The nodes served, with the port of each one's gateway.
    public let gateways: [(node: String, port: Int)]
    let recording: StateStoreWriter?
    let logger: Logger

    /// After the group has run: the last windows to the state store, the engine's tasks
    /// cancelled and its HTTP client closed, and what was measured, as a Run.
    public func finish() async -> Run {
        await recording?.flush(final: true, logger: logger)
        await engine.shutdown()
        logger.info("drained and stopped")
        return engine.run()
    }
}

/// Runs the gateways until SIGTERM or SIGINT, then drains: the servers stop taking connections
/// and finish the requests they hold; returns what was measured as a Run. On SIGHUP, or when
/// the plan file changes, `readPlan` gives the plan (and backends) to put in force (a plan that cannot be read
/// keeps the current one).
public enum LiveServer {
    /// Structured logs on standard error (swift-log), one line per event with its metadata.
    public static func standardErrorLogger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "epara.live") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }

    /// The HTTP servers' own messages only when something is wrong; they tag every request's
    /// logger with its id, which a stream handler would format at once, per request.
    static var serverLogger: Logger {
        var logger = Logger(label: "epara.http") { label in QuietUntilWarning(label: label) }
        logger.logLevel = .warning
        return logger
    }

    public static func buildServices(
        plan: Plan, options: LiveServerOptions, logger: Logger = standardErrorLogger(),
        readPlan: (@Sendable (String) throws -> PlanReload)? = nil
    ) throws -> LiveServices {
        // TLS files are read before anything starts: a certificate that cannot be read stops here.
        var engineOptions = options.engine
        let tls: ReloadableTLSContext?
        do {
            tls = try options.tls.map { try ReloadableTLSContext(files: $0) }
            if let tls, engineOptions.peerTLS == nil { engineOptions.peerTLS = tls.peerConfiguration }
        } catch {
            throw LiveServerError.unusableTLS("\(error)")
        }
        let metrics = GatewayMetrics()
        engineOptions.llmObserver = { service, ttft, tpot in metrics.recordLLM(service: service, ttftS: ttft, tpotS: tpot) }
        let engine = LiveEngine(plan: plan, options: engineOptions, logger: logger)
        if !ListenAddress.isLoopback(options.host), options.clientToken == nil || options.peerToken == nil {
            logger.warning(
                "--insecure: listening off loopback without a client token and a peer token; anyone who reaches the port can send work, also as a peer",
                metadata: ["listen": "\(options.host):\(options.basePort)"])
        }
        let missing = engine.unreachableNodes
        if !missing.isEmpty {
            logger.warning(
                "no gateway address for some nodes: requests for their instances go elsewhere",
                metadata: ["nodes": "\(missing.joined(separator: ","))"])
        }
        let recording = try options.statePath.map { path in try StateStoreWriter(path: path, engine: engine, plan: plan) }
        let hosted = plan.cluster.nodes.map(\.name).filter { options.engine.hosted?.contains($0) ?? true }
        let llms = Set(plan.services.filter { plan.catalog.model($0.spec.model)?.kind == .llm }.map(\.name))
        for node in hosted { metrics.prepare(node: node, services: plan.services.map(\.name), llmServices: llms) }
        var services: [any ServiceLifecycle.Service] = []
        if options.syncIntervalS > 0 {
            let every = options.syncIntervalS
            services.append(PeriodicService(everyS: every) { engine.syncRound(timeoutS: every) })
        }
        if let recording {
            services.append(PeriodicService(everyS: engine.windowS) { await recording.flush(final: false, logger: logger) })
        }
        let reloader = options.planPath.flatMap { path in
            readPlan.map { PlanReloader(path: path, engine: engine, recording: recording, logger: logger, read: $0) }
        }
        let tokens = GatewayTokens(client: options.clientToken, peer: options.peerToken)
        if reloader != nil || tls != nil || !options.tokenFiles.isEmpty {
            // SIGHUP re-reads the plan, the certificates and the token files.
            services.append(
                SignalService(signal: .sighup) {
                    await reloader?.reload(because: "SIGHUP")
                    if let tls { Self.reloadTLS(tls, engine: engine, peersFromFiles: options.engine.peerTLS == nil, logger: logger) }
                    if !options.tokenFiles.isEmpty { Self.reloadTokens(tokens, options: options, engine: engine, logger: logger) }
                })
        }
        if let reloader {
            services.append(PeriodicService(everyS: options.watchIntervalS) { await reloader.reloadIfChanged() })
        }
        let serverLogger = serverLogger
        let gateways = hosted.enumerated().map { k, node in (node: node, port: options.basePort + k) }
        let limits = options.limits
        let scheme = tls == nil ? "http" : "https"
        let shownHost = options.host.contains(":") ? "[\(options.host)]" : options.host
        for gateway in gateways {
            services.append(
                Application(
                    router: Gateway.router(
                        engine: engine, node: gateway.node, metrics: metrics,
                        tokens: tokens),
                    server: HTTPServerBuilder { responder in GatewayChannel(responder: responder, limits: limits, tls: tls) },
                    configuration: ApplicationConfiguration(
                        address: .hostname(options.host, port: gateway.port),
                        serverName: "epara"),
                    onServerRunning: { _ in
                        logger.info(
                            "listening",
                            metadata: [
                                "node": "\(gateway.node)",
                                "url": "\(scheme)://\(shownHost):\(gateway.port)",
                            ])
                    },
                    logger: serverLogger))
        }
        return LiveServices(engine: engine, services: services, gateways: gateways, recording: recording, logger: logger)
    }

    /// Reads the certificates again: new connections, and later calls to peers, use them; if
    /// they cannot be read, the ones in use stay and the reason is logged.
    static func reloadTLS(_ tls: ReloadableTLSContext, engine: LiveEngine, peersFromFiles: Bool, logger: Logger) {
        do {
            let peer = try tls.reload()
            if peersFromFiles { engine.replacePeerTLS(peer) }
            logger.info("certificates reloaded", metadata: ["certificate": "\(tls.files.certificate)"])
        } catch {
            logger.error("certificates not reloaded; the ones in use stay", metadata: ["error": "\(error)"])
        }
    }

    /// Reads the token files again: the next request is checked against the new tokens and the
    /// next call to a peer presents the new peer token. A token set from the environment stays;
    /// if a file cannot be read or is empty, every token in use stays and the reason is logged.
    static func reloadTokens(_ tokens: GatewayTokens, options: LiveServerOptions, engine: LiveEngine, logger: Logger) {
        do {
            let client = try options.tokenFiles.client.map(TokenFiles.read) ?? options.clientToken
            let peer = try options.tokenFiles.peer.map(TokenFiles.read) ?? options.peerToken
            tokens.replace(client: client, peer: peer)
            engine.replacePeerToken(peer)
            logger.info(
                "tokens reloaded",
                metadata: ["files": "\([options.tokenFiles.client, options.tokenFiles.peer].compactMap { $0 }.joined(separator: ","))"])
        } catch {
            logger.error("tokens not reloaded; the ones in use stay", metadata: ["error": "\(error)"])
        }
    }

    public static func run(
        plan: Plan, options: LiveServerOptions, logger: Logger = standardErrorLogger(),
        readPlan: (@Sendable (String) throws -> PlanReload)? = nil
    ) async throws -> Run {
        let built = try buildServices(plan: plan, options: options, logger: logger, readPlan: readPlan)
        let group = ServiceGroup(
            configuration: .init(
                services: built.services, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: serverLogger))
        do {
            try await group.run()
        } catch {
            await built.engine.shutdown()
            if let io = error as? IOError {
                let ports =
                    built.gateways.count > 1
                    ? "ports \(options.basePort)–\(options.basePort + built.gateways.count - 1)"
                    : "port \(options.basePort)"
                throw LiveServerError.cannotListen("\(options.host), \(ports): \(io.errnoCode == EADDRINUSE ? "address already in use" : "\(io)")")
            }
            throw error
        }
        return await built.finish()
    }
}

public enum LiveServerError: Error, CustomStringConvertible {
    case cannotListen(String)
    /// The certificate, key or a CA could not be read or do not go together.
    case unusableTLS(String)

    public var description: String {
        switch self {
        case let .cannotListen(what): "cannot listen on \(what)"
        case let .unusableTLS(why): "cannot use the TLS files (--tls-cert, --tls-key, --tls-client-ca, --tls-peer-ca): \(why)"
        }
    }

    /// sysexits: an I/O error for a port, unreadable input for the TLS files.
    public var exitCode: Int32 {
        switch self {
        case .cannotListen: 74
        case .unusableTLS: 66
        }
    }
}
