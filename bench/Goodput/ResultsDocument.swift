// docs/results.md from a run's results: the goals and how each scenario met them, the setup,
// capacity by scenario and policy, the charts, overloads, ablations, faults. A job that failed
// shows as "failed" in its cells and with its reason under "Failures".
import EparaCapacity
import EparaCore
import EparaPlan
import Foundation

struct ResultsDocument {
    var studies: [Study]
    var results: EvaluationResults
    var settings: Settings
    var goals = Goals.current
    /// Where the charts go (`results/` beside the document).
    var chartDirectory: URL
    /// bench/Goodput/discussion.md, appended as it is.
    var discussion: String

    func n(_ x: Double) -> String { TextTable.number(x) }
    func x(_ scale: Double) -> String { scale > 0 ? n(scale) + "×" : "< 1/64×" }
    /// A fraction as a percentage without a trailing ".0" (99%, 50%), as the prose writes it.
    func percent(_ fraction: Double) -> String { String(format: "%g", fraction * 100) + "%" }
    func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? n(a / b) + "×" : (a > 0 ? "∞" : "-") }
    func spread(_ c: TargetCapacity) -> String {
        c.scaleBySeed.count > 1 ? "\(n(c.scaleBySeed.min()!))–\(n(c.scaleBySeed.max()!))" : "-"
    }
    func capacity(_ r: CapacityReport?, _ policy: Policy, _ target: Double) -> TargetCapacity? {
        r?.policies.first { $0.policy == policy }?.capacities.first { $0.target == target }
    }
    /// A cell for a job that has no result: "failed" (its reason is under Failures), else "-".
    func missing(_ study: Int, _ experiment: Experiment) -> String {
        results.capacity[study]?[experiment]?.failure == nil ? "-" : "failed"
    }

    /// The whole document; writes the charts and Capacity documents as it goes.
    func render() -> String {
        var md = header()
        md += goalTable()
        md += setup()
        md += capacityTable()
        md += charts()
        md += overloads()
        if !settings.quick {
            md += ablationTable()
            md += faultTable()
        }
        md += discussion.isEmpty ? "" : "\n" + discussion + "\n"
        md += failures()
        md += Self.reproduce
        return md
    }

    func header() -> String {
        let capacityGoals = settings.targets.enumerated().map { k, t in
            "≥ \(String(format: "%.1f", goals.capacityGoal(at: t)))×"
                + (k == 0 ? " the best baseline's at \(percent(t)) attainment" : " at \(percent(t))")
        }
        let fluid = percent(goals.fluidTarget)
        return """
            # Results: capacity at an SLO-attainment target

            Produced by `make eval` (\(settings.quick ? "**quick variant**: " : "")release build, on a two-core machine, in \(n(results.wallS / 60)) min;
            scenarios: \(studies.map(\.name).joined(separator: ", "))).
            **Capacity** is the highest load — a multiple of each scenario's demand, every request rate
            and camera count scaled — at which SLO attainment (requests and frames answered within
            their SLO, of all that arrived, the warm-up trimmed) stays at or above the target: 99% as
            AlpaServe and Nexus report it, 90% as DistServe does. Each load is planned for its own
            demand; the mean attainment over seeds \(settings.seeds.map(String.init).joined(separator: ", ")) decides; bisection stops within \(n(settings.tolerance * 100))%.
            "per seed" is each seed's own answer from the same loads. The simulator is deterministic:
            rerunning gives the same tables.

            ## The goal, and what was measured

            Goals (\(goals.source)): EPARA's capacity \(capacityGoals.joined(separator: " and "))
            on every scenario; ≥ \(percent(goals.shareOfFluidBound)) of the fluid bound's capacity at \(fluid) (the load up to which
            the plan's upper bound — capacity split freely — still covers \(fluid) of demand) on
            \(Self.list(Studies.order.filter(goals.fluidJudged.contains))); no "met again" in EPARA's rows (a load served worse than a higher one).
            The baselines are `local`, `round-robin` and `alpaserve`.


            """
    }

    static func list(_ names: [String]) -> String {
        names.count > 1 ? names.dropLast().joined(separator: ", ") + " and " + names.last! : names.joined()
    }

    func goalTable() -> String {
        let baselines = settings.policies.filter { $0 != .epara }
        var rows: [[String]] = []
        for (i, s) in studies.enumerated() {
            let r = results.report(i, .policies)
            var cells = [s.title]
            var metAgain = false
            for target in settings.targets {
                guard let e = capacity(r, .epara, target) else {
                    cells += [missing(i, .policies), missing(i, .policies)]
                    continue
                }
                metAgain = metAgain || e.metAbove != nil
                let best = baselines.compactMap { p in capacity(r, p, target).map { (p, $0) } }.max { $0.1.scale < $1.1.scale }
                cells.append(x(e.scale))
                cells.append(
                    best.map { p, c in
                        let ok = goals.meetsCapacityGoal(epara: e.scale, baseline: c.scale, at: target)
                        return "\(p.rawValue) \(x(c.scale)) → \(ratio(e.scale, c.scale)) \(ok ? "✓" : "✗")"
                    } ?? "-")
            }
            cells.append(fluidCell(i, s, epara: capacity(r, .epara, goals.fluidTarget)))
            cells.append(metAgain ? "✗ met again" : "✓ none")
            rows.append(cells)
        }
        return TextTable.markdown(
            header: ["scenario"]
                + settings.targets.flatMap { t -> [String] in
                    ["EPARA at \(n(t * 100))%", "best baseline (goal EPARA ≥ \(String(format: "%.1f", goals.capacityGoal(at: t)))×)"]
                } + ["fluid bound at \(percent(goals.fluidTarget)) (goal ≥ \(percent(goals.shareOfFluidBound)))", "met again"],
            rows: rows)
    }

    func fluidCell(_ i: Int, _ s: Study, epara: TargetCapacity?) -> String {
        switch results.fluid[i] {
        case nil: return "-"
        case .failed: return "failed"
        case let .measured(capacities):
            guard let f = capacities.first(where: { $0.target == goals.fluidTarget }) else { return "-" }
            let share = f.scale > 0 ? (epara?.scale ?? 0) / f.scale : 0
            let judged = goals.fluidJudged.contains(s.name)
            return "\(x(f.scale)) → \(n(share * 100))%" + (judged ? (goals.meetsFluidGoal(share: share) ? " ✓" : " ✗") : "")
        }
    }

    func setup() -> String {
        var md = "\n## Setup\n\n"
        md += TextTable.markdown(
            header: ["scenario", "nodes", "sites", "devices", "services", "simulated per load", "traffic at 1×", "arrivals"],
            rows: studies.map { s in
                let cluster = s.workload.cluster
                let devices = Dictionary(
                    grouping: cluster.nodes.flatMap { n in n.devices.flatMap { Array(repeating: $0.type, count: $0.count) } }, by: { $0 }
                )
                .mapValues(\.count).sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
                let offered = s.workload.services.reduce(0) { $0 + $1.spec.offeredRate }
                return [
                    s.title, String(cluster.nodes.count), String(cluster.sites.count), devices, String(s.workload.services.count),
                    "\(n(s.durationS)) s (first \(n(s.warmupS)) s trimmed)", "\(n(offered)) req/s", s.trafficNote,
                ]
            })
        md += Self.scenarioText
        return md
    }

    func capacityTable() -> String {
        var rows: [[String]] = []
        for (i, s) in studies.enumerated() {
            guard let r = results.report(i, .policies) else {
                if results.capacity[i]?[.policies]?.failure != nil { rows.append([s.name, "every policy"] + Array(repeating: "failed", count: 7)) }
                continue
            }
            for p in r.policies {
                var row = [s.name, p.policy.rawValue]
                for t in settings.targets {
                    guard let c = p.capacities.first(where: { $0.target == t }) else {
                        row += ["-", "-", "-"]
                        continue
                    }
                    let e = capacity(r, .epara, t)
                    row += [
                        x(c.scale) + (c.missedAt == nil ? " (none missed)" : "") + (c.metAbove.map { " (met again at \(x($0)))" } ?? ""),
                        spread(c), p.policy == .epara ? "-" : ratio(e?.scale ?? 0, c.scale),
                    ]
                }
                let c99 = p.capacities.first { $0.target == 0.99 }
                row.append(c99?.breaksFirst.map { "\($0) (\(n(c99?.breaksFirstAttainment ?? 0)) at \(x(c99?.missedAt ?? 0)))" } ?? "-")
                rows.append(row)
            }
        }
        return "## Capacity by scenario and policy\n\n"
            + TextTable.markdown(
                header: ["scenario", "policy", "at 99%", "per seed", "EPARA ÷ it", "at 90%", "per seed", "EPARA ÷ it", "breaks first (99%)"],
                rows: rows)
    }

    func charts() -> String {
        try? FileManager.default.createDirectory(at: chartDirectory, withIntermediateDirectories: true)
        var md = "\n## Attainment against load\n\n"
        for (i, s) in studies.enumerated() {
            guard let r = results.report(i, .policies) else { continue }
            let file = "\(s.name)-capacity.svg"
            try? Data(CapacityRender.chart(r).utf8).write(to: chartDirectory.appendingPathComponent(file))
            // The Capacity document itself, every load measured (what `epara capacity` prints).
            if let json = try? JSONOutput.document(r) { try? json.write(to: chartDirectory.appendingPathComponent("\(s.name)-capacity.json")) }
            md += "![\(s.title): SLO attainment against load](results/\(file))\n"
        }
        return md
    }

    func overloads() -> String {
        var md =
            "\n## Goodput at fixed overloads\n\nEvery policy at 1.5× and 2× the best baseline's capacity at 99% and at 90% (goodput in requests and frames within SLO per second; a baseline's 99% capacity can lie far below what the cluster holds, so the 90% rows are the overloads that load it).\n\n"
        var rows: [[String]] = []
        for (i, s) in studies.enumerated() {
            guard let r = results.report(i, .policies) else { continue }
            for o in r.overloads {
                let e = o.outcomes.first { $0.policy == .epara }
                for out in o.outcomes {
                    rows.append([
                        s.name, "\(n(o.factor))× the \(n(o.target * 100))% capacity = \(x(o.scale))", out.policy.rawValue, n(out.goodputPerS),
                        n(out.attainment), out.policy == .epara ? "-" : ratio(e?.goodputPerS ?? 0, out.goodputPerS),
                    ])
                }
            }
        }
        md += TextTable.markdown(header: ["scenario", "load", "policy", "goodput/s", "attainment", "EPARA ÷ it"], rows: rows)
        return md
    }

    func ablationTable() -> String {
        var md = "\n## What each part of EPARA is worth in capacity\n\n"
        var rows: [[String]] = []
        for (i, s) in studies.enumerated() {
            let full = results.report(i, .policies)
            for t in settings.targets {
                guard let e = capacity(full, .epara, t) else { continue }
                var row = [s.name, n(t * 100) + "%", x(e.scale)]
                for a in AblationRun.all {
                    let c = capacity(results.report(i, .ablation(a)), .epara, t)
                    row.append(c.map { "\(x($0.scale)) (\(ratio($0.scale, e.scale)))" } ?? missing(i, .ablation(a)))
                }
                rows.append(row)
            }
        }
        md += TextTable.markdown(header: ["scenario", "target", "EPARA"] + AblationRun.all.map(\.label), rows: rows)
        md += Self.ablationText
        return md
    }

    func faultTable() -> String {
        var rows: [[String]] = []
        for (i, s) in studies.enumerated() {
            guard let e = results.report(i, .policies)?.policies.first(where: { $0.policy == .epara })?.points.first(where: { $0.scale == 1 })
            else { continue }
            rows.append([s.name, "none", n(e.goodputPerS), n(e.attainment)])
            for fault in FaultExperiment.allCases {
                switch results.faults[i]?[fault] {
                case nil: continue
                case .failed: rows.append([s.name, fault.description, "failed", "failed"])
                case let .measured(p): rows.append([s.name, fault.description, n(p.goodputPerS), n(p.attainment)])
                }
            }
        }
        return TextTable.markdown(header: ["scenario", "fault", "goodput/s", "attainment"], rows: rows)
    }

    /// Every job that failed and why (nothing when none did).
    func failures() -> String {
        let list = results.failures(studies: studies)
        guard !list.isEmpty else { return "" }
        return "\n## Failures\n\n"
            + TextTable.markdown(header: ["job", "reason"], rows: list.map { [$0.job, $0.reason.replacingOccurrences(of: "\n", with: " ")] })
    }
}
