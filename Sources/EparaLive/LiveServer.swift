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
    public static func run(plan: Plan, host: String, basePort: Int, config: CoreConfig, syncIntervalS: Double, clientToken: String? = nil,
                           reload: (@Sendable () async throws -> Plan)? = nil,
                           onReload: @escaping @Sendable (Result<Plan, any Error>) -> Void = { _ in },
                           onListening: @escaping @Sendable ([(node: String, port: Int)]) -> Void) async throws {
        let engine = LiveEngine(plan: plan, config: config)
        if syncIntervalS > 0 { await engine.startSync(every: syncIntervalS) }
        let reloader: Task<Void, Never>? = reload.map { reload in
            Task {
                for await _ in await UnixSignalsSequence(trapping: .sighup) {
                    do {
                        let next = try await reload()
                        await engine.reload(next)
                        onReload(.success(next))
                    } catch {
                        onReload(.failure(error))
                    }
                }
            }
        }
        defer { reloader?.cancel() }
        var logger = Logger(label: "epara.live")
        logger.logLevel = .warning
        let nodes = plan.cluster.nodes.map(\.name)
        let metrics = GatewayMetrics()
        let apps: [any Service] = nodes.enumerated().map { k, node in
            Application(router: Gateway.router(engine: engine, node: node, metrics: metrics, clientToken: clientToken),
                        configuration: ApplicationConfiguration(address: .hostname(host, port: basePort + k), serverName: "epara"),
                        logger: logger)
        }
        onListening(nodes.enumerated().map { (node: $1, port: basePort + $0) })
        let group = ServiceGroup(configuration: .init(services: apps, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await engine.stop()
    }
}
