import EparaCore
import EparaPlan
import EparaServe
import EparaStore

// What the live engine measured: the Run document at the end, and the state-store rows the
// gateways write as windows complete.
extension LiveEngine {
    /// What this process measured, as a Run document (engine "live"): requests that arrived at
    /// its gateways, by how they ended, per service, category, node and window.
    public func run() -> Run {
        enter { s in
            let plan = s.plan
            let horizon = s.outbox.now
            let deployment = s.deployment
            var downS = Array(repeating: 0.0, count: deployment.nodes.count)
            var since: [NodeIndex: Double] = [:]
            for h in s.health {
                if !h.up { since[h.node] = h.timeS } else if let start = since.removeValue(forKey: h.node) { downS[h.node.offset] += h.timeS - start }
            }
            for (n, start) in since { downS[n.offset] += horizon - start }
            let settings = RunSettings(seed: 0, dispatch: options.core.syncIntervalS > 0 ? options.core.dispatch.rawValue : DispatchMode.planWeights.rawValue,
                                       syncIntervalS: options.core.syncIntervalS, syncLoss: 0, replanEveryS: 0, maxOffload: options.core.maxOffload,
                                       earlyDrop: options.core.earlyDrop, windowS: options.windowS, serviceTimeCv: 0)
            let hostedNames = deployment.nodes.indices.filter { hosted[$0] }.map { deployment.nodes[$0].name }
            return s.recorder.run(engine: "live", plan: plan, planDigest: JSONOutput.digest(plan), traceDigest: "live",
                                  trace: ["source": "live traffic", "gateways": hostedNames.joined(separator: ",")], settings: settings,
                                  horizon: horizon, nodes: s.recorder.nodeRuns(core: s.core, horizon: horizon, downS: downS), replans: [],
                                  faults: [], predicted: plan.predicted)
        }
    }

    /// Rows for the state store: windows by service and origin node starting at `from` (only
    /// those complete unless `final`), every health change, the summary so far.
    public func stateRows(runId: String, from: Double, final: Bool)
        -> (windows: [WindowStats], health: [NodeHealth], gaps: [GapWindow], summaryJSON: String) {
        enter { s in
            let now = s.outbox.now
            let deployment = s.deployment
            let recorder = s.recorder
            let windows = recorder.originWindows(from: from).filter { final || $0.startS + recorder.windowS <= now }.map { w in
                WindowStats(runId: runId, windowStartS: w.startS, windowLengthS: recorder.windowS, service: deployment.services[w.service].name,
                            node: deployment.nodes[w.node].name, arrivals: w.counts.arrivals, completedInSLO: w.counts.completedInSlo,
                            completedLate: w.counts.completedLate, dropped: w.counts.dropped, failed: w.counts.failed)
            }
            let gaps = recorder.gapWindows(from: from).filter { final || $0.startS + recorder.windowS <= now }.map { g in
                GapWindow(runId: runId, windowStartS: g.startS, service: deployment.services[g.service].name, gaps: g.gaps.count,
                          sumS: g.gaps.sumS, squaresS2: g.gaps.squaresS2)
            }
            let health = s.health.map { NodeHealth(runId: runId, timeS: $0.timeS, node: deployment.nodes[$0.node.offset].name, up: $0.up) }
            let summary = (try? JSONOutput.encoder(pretty: false).encode(recorder.totals(durationS: now))).map { String(decoding: $0, as: UTF8.self) }
            return (windows, health, gaps, summary ?? "{}")
        }
    }
}
