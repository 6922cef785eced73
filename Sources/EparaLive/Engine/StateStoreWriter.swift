import EparaCore
import EparaPlan
import EparaStore
import Foundation
import Logging

/// What the live gateways leave in the SQLite state store, as the simulator does: windows by
/// service and origin node as each one completes, node health as it changes, and every plan put
/// in force — so `plan --state` and `report --state` work on live data.
actor StateStoreWriter {
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
            try store.append(
                runId: runId, engine: "live", planDigest: JSONOutput.digest(plan), traceDigest: "live",
                summaryJSON: rows.summaryJSON, windows: windows, health: rows.health, gaps: rows.gaps)
            written = max(written, windows.map(\.windowStartS).max() ?? written)
        } catch {
            logger.error("cannot write the state store", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
