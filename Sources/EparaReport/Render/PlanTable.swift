import EparaCore
import EparaPlan

/// A Plan as text tables: placement per device, allocation per service, the prediction.
public enum PlanTable {
    public static func render(_ plan: Plan) -> String {
        var out = "PLACEMENT (policy \(plan.policyName))\n"
        var rows: [[String]] = []
        for use in plan.devices {
            let instances =
                use.instances.isEmpty
                ? "-"
                : use.instances.map { id in
                    let instance = plan.instances.first { $0.id == id }
                    return "\(instance?.service ?? id)(\(instance?.modes.joined(separator: "+") ?? ""), b=\(instance?.batch ?? 0))"
                }.joined(separator: ", ")
            rows.append([
                use.device.node, "\(use.device.device)#\(use.device.index)",
                "\(fmt(use.memoryUsedGib))/\(fmt(use.memoryGib))", fmt(use.shareUsed), instances,
            ])
        }
        out += TextTable.render(header: ["node", "device", "memory GiB", "time", "instances"], rows: rows)
        out += "\nSERVICES\n"
        out += TextTable.render(
            header: ["service", "category", "modes", "replicas", "demand/s", "supply/s", "goodput/s", "attainment"],
            rows: plan.allocations.map {
                [
                    $0.service, $0.category, $0.modes.joined(separator: ","), String($0.replicas), fmt($0.demandPerS), fmt($0.supplyPerS),
                    fmt($0.predictedGoodputPerS), fmt($0.predictedAttainment),
                ]
            })
        let p = plan.predicted
        out += "\npredicted goodput \(fmt(p.goodputPerS))/s of \(fmt(p.demandPerS))/s demand (attainment \(fmt(p.attainment))); "
        out += "fluid upper bound \(fmt(p.upperBoundGoodputPerS))/s (\(fmt(p.fractionOfUpperBound * 100))%)\n"
        if let simulated = p.simulated, let search = plan.solver.search {
            let spread = simulated.attainmentBySeed.map(fmt).joined(separator: ", ")
            out += "simulated: attainment by seed \(spread) over \(fmt(simulated.horizonS)) s of \(simulated.arrivals) arrivals; "
            out += "search: \(search.evaluations) plans simulated, started from \(search.start)'s, \(search.kept.count) moves kept\n"
        }
        if !plan.moves.isEmpty {
            out += "moves: " + plan.moves.map { "\($0.kind.rawValue) \($0.instance)" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    static func fmt(_ x: Double) -> String { TextTable.number(x) }
}
