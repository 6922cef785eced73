import EparaCore
import EparaPlan
import EparaStore
import Foundation

/// What a simulated run reads and writes besides the plan: the traffic, the engine's settings,
/// and the files named on the command line (each optional).
public struct SimulationInputs {
    public var traffic: TraceOptions
    public var options: SimOptions
    /// A Faults document, read against the plan's cluster.
    public var faultsPath: String?
    /// One JSON line per request goes here.
    public var requestLogPath: String?
    /// The SQLite state store the run's windows, node health and plans are recorded in.
    public var statePath: String?

    public init(traffic: TraceOptions, options: SimOptions, faultsPath: String? = nil, requestLogPath: String? = nil, statePath: String? = nil) {
        self.traffic = traffic
        self.options = options
        self.faultsPath = faultsPath
        self.requestLogPath = requestLogPath
        self.statePath = statePath
    }
}

/// `epara serve`'s embedded simulator as one call, beside `LiveServer.run`: builds the trace,
/// reads the faults, runs the plan, and records the Run in the state store. Every file that
/// cannot be read or written is an `InputError` located at it.
public enum Simulation {
    /// Runs `plan` on `inputs`; `progress` hears (simulated seconds, horizon) now and then.
    public static func run(plan: Plan, inputs: SimulationInputs, progress: ((Double, Double) -> Void)? = nil) throws -> Run {
        let trace = try TraceBuilder.build(inputs.traffic, deployment: Deployment(plan: plan))
        var options = inputs.options
        if let path = inputs.faultsPath { options.faults = try FaultPlan.read(try SourceText.load(path), cluster: plan.cluster) }
        options.keepOriginWindows = options.keepOriginWindows || inputs.statePath != nil
        let log = try inputs.requestLogPath.map { path in try RequestLog(path: path) }
        // The store opens before the run, so a path it cannot use is refused before minutes of simulation.
        let store = try inputs.statePath.map { path in
            try storeIO(path, "cannot open the state store") { try StateStore(path: path) }
        }
        let engine = SimEngine(plan: plan, trace: trace, options: options, requestLog: log)
        engine.progress = progress
        let run = try engine.run()
        log?.flush()
        if let store, let path = inputs.statePath {
            try storeIO(path, "cannot write the state store") { try store.record(run, of: engine) }
        }
        return run
    }

    private static func storeIO<T>(_ path: String, _ what: String, _ body: () throws -> T) throws(InputError) -> T {
        do { return try body() } catch {
            throw InputError(.io, at: SourceLocation(file: path, line: 1, column: 1), "\(what): \(error)")
        }
    }
}
