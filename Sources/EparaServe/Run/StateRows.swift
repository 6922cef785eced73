import EparaCore
import EparaStore

/// What a run leaves in the state store for `plan --state`, either engine's: windows by
/// service and origin node, gaps between arrivals, node health and the summary so far.
public struct StateRows: Sendable {
    public var windows: [WindowStats]
    public var health: [NodeHealth]
    public var gaps: [GapWindow]
    public var summaryJSON: String
}

extension Recorder {
    /// The rows of what was recorded over `durationS` seconds. `from`: only windows starting then
    /// or later (a live store's latest); `completeAt`: only windows ended by then (nil: all of
    /// them, at the end of a run).
    public func stateRows(
        runId: String, deployment: Deployment, health: [(timeS: Double, node: NodeIndex, up: Bool)], durationS: Double,
        from: Double = -.infinity, completeAt: Double? = nil
    ) -> StateRows {
        let complete = { (startS: Double) in completeAt.map { startS + self.windowS <= $0 } ?? true }
        let windows = originWindows(from: from).filter { complete($0.startS) }.map { w in
            WindowStats(
                runId: runId, windowStartS: w.startS, windowLengthS: windowS, service: deployment.services[w.service].name,
                node: deployment.nodes[w.node].name, arrivals: w.counts.arrivals, completedInSLO: w.counts.completedInSlo,
                completedLate: w.counts.completedLate, dropped: w.counts.dropped, failed: w.counts.failed)
        }
        let gaps = gapWindows(from: from).filter { complete($0.startS) }.map { g in
            GapWindow(
                runId: runId, windowStartS: g.startS, service: deployment.services[g.service].name, gaps: g.gaps.count,
                sumS: g.gaps.sumS, squaresS2: g.gaps.squaresS2)
        }
        let nodeHealth = health.map { NodeHealth(runId: runId, timeS: $0.timeS, node: deployment.nodes[$0.node].name, up: $0.up) }
        let summary = (try? JSONOutput.encoder(pretty: false).encode(totals(durationS: durationS))).map { String(decoding: $0, as: UTF8.self) }
        return StateRows(windows: windows, health: nodeHealth, gaps: gaps, summaryJSON: summary ?? "{}")
    }
}

extension StateStore {
    /// Keeps a plan that was in force, under its digest (what `report --state` reads back).
    public func record(_ plan: Plan) throws {
        try record(
            planDigest: JSONOutput.digest(plan), policy: plan.policyName, document: String(decoding: try JSONOutput.document(plan), as: UTF8.self))
    }

    /// A finished simulation: its rows under a run id from the Run's digest, the plan it started
    /// from and every plan in-run replanning put in force.
    public func record(_ run: Run, of engine: SimEngine) throws {
        let runId = "run-" + JSONOutput.digest(run).dropFirst("sha256:".count).prefix(16)
        let rows = engine.recorder.stateRows(runId: runId, deployment: engine.core.deployment, health: engine.health, durationS: run.durationS)
        try record(
            runId: runId, engine: run.engine, planDigest: run.planDigest, traceDigest: run.traceDigest,
            summaryJSON: rows.summaryJSON, windows: rows.windows, health: rows.health, gaps: rows.gaps)
        for plan in [engine.startingPlan] + engine.replannedPlans { try record(plan) }
    }
}
