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
            var downS = Table<NodeIndex, Double>(repeating: 0, count: deployment.nodes.count)
            var since: [NodeIndex: Double] = [:]
            for h in s.health {
                if !h.up { since[h.node] = h.timeS } else if let start = since.removeValue(forKey: h.node) { downS[h.node] += h.timeS - start }
            }
            for (n, start) in since { downS[n] += horizon - start }
            let settings = RunSettings(core: options.core, windowS: options.windowS)
            let hostedNames = deployment.nodes.indices.filter { hosted[$0] }.map { deployment.nodes[$0].name }
            return s.recorder.run(
                engine: "live", plan: plan, planDigest: JSONOutput.digest(plan), traceDigest: "live",
                trace: ["source": "live traffic", "gateways": hostedNames.joined(separator: ",")], settings: settings,
                horizon: horizon, nodes: s.recorder.nodeRuns(core: s.core, horizon: horizon, downS: downS), replans: [],
                faults: [], predicted: plan.predicted)
        }
    }

    /// Rows for the state store: windows by service and origin node starting at `from` (only
    /// those complete unless `final`), every health change, the summary so far.
    public func stateRows(runId: String, from: Double, final: Bool) -> StateRows {
        enter { s in
            let now = s.outbox.now
            return s.recorder.stateRows(
                runId: runId, deployment: s.deployment, health: s.health,
                durationS: now, from: from, completeAt: final ? nil : now)
        }
    }

    /// Gaps between each service's consecutive arrivals at this process's gateways since it
    /// started, by service name: what the Prometheus gap counters export.
    public var arrivalGaps: [(service: String, gaps: ArrivalGaps)] {
        enter { s in s.deployment.services.indices.map { (s.deployment.services[$0].name, s.recorder.gaps[$0]) } }
    }
}
