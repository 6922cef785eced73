import EparaPlan
import EparaServe
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// Every node's gateway of a plan in one process, on consecutive ports from `basePort`, over one
/// live engine (single-machine deployments and tests). Runs until SIGTERM or SIGINT, then drains:
/// the servers stop taking connections and finish the requests they hold. On SIGHUP, `reload`
/// gives the plan to put in force (a plan that cannot be read keeps the current one).
public enum LiveServer {
    /// Structured logs on standard error (swift-log), one line per event with its metadata.
    public static func standardErrorLogger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "epara.live") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }

    public static func run(plan: Plan, host: String, basePort: Int, config: CoreConfig, syncIntervalS: Double, clientToken: String? = nil,
                           logger: Logger = standardErrorLogger(),
                           reload: (@Sendable () async throws -> Plan)? = nil) async throws {
        let engine = LiveEngine(plan: plan, config: config)
        if syncIntervalS > 0 { await engine.startSync(every: syncIntervalS) }
        let reloader: Task<Void, Never>? = reload.map { reload in
            Task {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    do {
                        let next = try await reload()
                        await engine.reload(next)
                        logger.info("reloaded the plan", metadata: ["policy": "\(next.policy)", "instances": "\(next.instances.count)"])
                    } catch {
                        logger.error("kept the current plan: the new one is refused", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
        defer { reloader?.cancel() }
        // The HTTP servers' own messages only when something is wrong.
        var serverLogger = logger
        serverLogger.logLevel = .warning
        let nodes = plan.cluster.nodes.map(\.name)
        let metrics = GatewayMetrics()
        let apps: [any Service] = nodes.enumerated().map { k, node in
            Application(router: Gateway.router(engine: engine, node: node, metrics: metrics, clientToken: clientToken),
                        configuration: ApplicationConfiguration(address: .hostname(host, port: basePort + k), serverName: "epara"),
                        logger: serverLogger)
        }
        for (k, node) in nodes.enumerated() {
            logger.info("listening", metadata: ["node": "\(node)", "url": "http://\(host):\(basePort + k)"])
        }
        let group = ServiceGroup(configuration: .init(services: apps, gracefulShutdownSignals: [.sigterm, .sigint], logger: serverLogger))
        try await group.run()
        await engine.stop()
        logger.info("drained and stopped")
    }
}
