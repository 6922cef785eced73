import EparaCore
import EparaPlan
import EparaServe
import EparaStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

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

    public init(host: String = "127.0.0.1", basePort: Int = 8080, engine: LiveOptions = LiveOptions(), clientToken: String? = nil,
                peerToken: String? = nil, syncIntervalS: Double = 2, statePath: String? = nil, planPath: String? = nil,
                watchIntervalS: Double = 1) {
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
/// over one live engine. Runs until SIGTERM or SIGINT, then drains: the servers stop taking
/// connections and finish the requests they hold; returns what was measured as a Run. On
/// SIGHUP, or when the plan file changes, `readPlan` gives the plan to put in force (a plan that
/// cannot be read keeps the current one).
public enum LiveServer {
    /// Structured logs on standard error (swift-log), one line per event with its metadata.
    public static func standardErrorLogger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "epara.live") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }

    public static func run(plan: Plan, options: LiveServerOptions, logger: Logger = standardErrorLogger(),
                           readPlan: (@Sendable (String) throws -> Plan)? = nil) async throws -> Run {
        let engine = LiveEngine(plan: plan, options: options.engine, logger: logger)
        let missing = engine.unreachableNodes
        if !missing.isEmpty {
            logger.warning("no gateway address for some nodes: requests for their instances go elsewhere",
                           metadata: ["nodes": "\(missing.joined(separator: ","))"])
        }
        let recording = try options.statePath.map { path in try LiveRecording(path: path, engine: engine, plan: plan) }
        let hosted = plan.cluster.nodes.map(\.name).filter { options.engine.hosted?.contains($0) ?? true }
        let metrics = GatewayMetrics()
        for node in hosted { metrics.prepare(node: node, services: plan.services.map(\.name)) }
        var background: [Task<Void, Never>] = []
        if options.syncIntervalS > 0 { engine.startSync(every: options.syncIntervalS) }
        if let recording {
            let every = engine.windowS
            background.append(Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .nanoseconds(boundedNanoseconds(every)))
                    await recording.flush(final: false, logger: logger)
                }
            })
        }
        if let path = options.planPath, let readPlan {
            let reloader = PlanReloader(path: path, engine: engine, recording: recording, logger: logger, read: readPlan)
            background.append(Task {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { await reloader.reload(because: "SIGHUP") }
            })
            background.append(Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .nanoseconds(boundedNanoseconds(options.watchIntervalS)))
                    await reloader.reloadIfChanged()
                }
            })
        }
        // The HTTP servers' own messages only when something is wrong; they tag every request's
        // logger with its id, which a stream handler would format at once, per request.
        var serverLogger = Logger(label: "epara.http") { label in QuietUntilWarning(label: label) }
        serverLogger.logLevel = .warning
        let apps: [any ServiceLifecycle.Service] = hosted.enumerated().map { k, node in
            Application(router: Gateway.router(engine: engine, node: node, metrics: metrics, clientToken: options.clientToken,
                                               peerToken: options.peerToken),
                        configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.basePort + k), serverName: "epara"),
                        onServerRunning: { _ in
                            logger.info("listening", metadata: ["node": "\(node)", "url": "http://\(options.host):\(options.basePort + k)"])
                        },
                        logger: serverLogger)
        }
        let group = ServiceGroup(configuration: .init(services: apps, gracefulShutdownSignals: [.sigterm, .sigint], logger: serverLogger))
        do {
            try await group.run()
        } catch {
            for task in background { task.cancel() }
            await engine.shutdown()
            if let io = error as? IOError {
                let last = options.basePort + hosted.count - 1
                let ports = hosted.count > 1 ? "ports \(options.basePort)–\(last)" : "port \(options.basePort)"
                throw LiveServerError.cannotListen("\(options.host), \(ports): \(io.errnoCode == EADDRINUSE ? "address already in use" : "\(io)")")
            }
            throw error
        }
        for task in background { task.cancel() }
        await recording?.flush(final: true, logger: logger)
        await engine.shutdown()
        logger.info("drained and stopped")
        return engine.run()
    }
}

public enum LiveServerError: Error, CustomStringConvertible {
    case cannotListen(String)

    public var description: String {
        switch self {
        case let .cannotListen(what): "cannot listen on \(what)"
        }
    }
}

/// Puts a new plan file in force on SIGHUP or when the file changes (its modification time or
/// size); one it cannot read, or one for other nodes or services, is refused and the current
/// plan kept.
actor PlanReloader {
    let path: String
    let engine: LiveEngine
    let recording: LiveRecording?
    let logger: Logger
    let read: @Sendable (String) throws -> Plan
    var seen: (Date?, Int?)

    init(path: String, engine: LiveEngine, recording: LiveRecording?, logger: Logger, read: @escaping @Sendable (String) throws -> Plan) {
        self.path = path
        self.engine = engine
        self.recording = recording
        self.logger = logger
        self.read = read
        seen = Self.stamp(path)
    }

    static func stamp(_ path: String) -> (Date?, Int?) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.modificationDate] as? Date, (attributes?[.size] as? NSNumber)?.intValue)
    }

    func reloadIfChanged() async {
        let now = Self.stamp(path)
        guard now.0 != nil, now.0 != seen.0 || now.1 != seen.1 else { return }
        await reload(because: "the plan file changed")
    }

    func reload(because trigger: String) async {
        seen = Self.stamp(path)
        do {
            let next = try read(path)
            if engine.plan == next { return }
            try engine.reload(next)
            await recording?.record(plan: next, logger: logger)
            logger.info("reloaded the plan", metadata: ["trigger": "\(trigger)", "policy": "\(next.policy)", "instances": "\(next.instances.count)"])
        } catch {
            logger.error("kept the current plan: the new one is refused", metadata: ["trigger": "\(trigger)", "error": "\(error)"])
        }
    }
}

/// What the live gateways leave in the SQLite state store, as the simulator does: windows by
/// service and origin node as each one completes, node health as it changes, and every plan put
/// in force — so `plan --state` and `report --state` work on live data.
actor LiveRecording {
    let store: StateStore
    let engine: LiveEngine
    let runId: String
    let path: String
    /// Start of the latest window written: windows from a few before it are written again, as
    /// requests that arrived in them may have ended since.
    var written = -Double.infinity

    init(path: String, engine: LiveEngine, plan: Plan) throws {
        do {
            store = try StateStore(path: path)
        } catch {
            throw InputError(.io, at: SourceLocation(file: path, line: 1, column: 1), "cannot open the state store: \(error)")
        }
        self.engine = engine
        self.path = path
        runId = "live-\(Int(Date().timeIntervalSince1970))-\(ProcessInfo.processInfo.processIdentifier)"
        try? store.record(plan)
    }

    func record(plan: Plan, logger: Logger) {
        do {
            try store.record(plan)
        } catch {
            logger.error("cannot write the state store", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    func flush(final: Bool, logger: Logger) async {
        let rows = engine.stateRows(runId: runId, from: written - 3 * engine.windowS, final: final)
        let plan = engine.plan
        let windows = rows.windows
        do {
            try store.append(runId: runId, engine: "live", planDigest: JSONOutput.digest(plan), traceDigest: "live",
                             summaryJSON: rows.summaryJSON, windows: windows, health: rows.health, gaps: rows.gaps)
            written = max(written, windows.map(\.windowStartS).max() ?? written)
        } catch {
            logger.error("cannot write the state store", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}

/// A log handler for the HTTP servers: metadata is kept as given and formatted only when a
/// warning or worse is written (to standard error, like every other log line).
public struct QuietUntilWarning: LogHandler {
    let label: String
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .warning

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = logLevel
        var event = event
        event.metadata = metadata.merging(event.metadata ?? [:]) { $1 }
        handler.log(event: event)
    }
}
