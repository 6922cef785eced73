import ArgumentParser
import EparaCore
import EparaPlan
import EparaReport
import EparaServe
import EparaStore
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Analyse runs: goodput, SLO attainment, drops, latency percentiles; compare policies.",
        discussion: """
            Reads one or more Runs (the output of `epara serve`) and writes a Report: goodput \
            (requests completed within their SLO per second), SLO attainment, throughput, drops \
            and failures by reason, and latency p50/p90/p99/p99.9 (HdrHistogram, merged from \
            the runs' histograms) per service, per EPARA category, per node and per time window; \
            TTFT and TPOT for LLM services, delivered frames per second for streams.

            With several runs of one workload, a comparison: each run's goodput, attainment and \
            p99 with their ratio to --baseline (a run's file name or policy; default the first). \
            Runs of different workloads (their workload or trace digests differ) are refused \
            unless --force. With --sweep, runs of one policy at increasing load give the highest \
            rate sustained at --target-attainment (DistServe's goodput).

            --state DB reports a run recorded in the state store instead (counts only: the \
            store keeps no latencies), optionally over [--from, --to) seconds.

            Examples:
              epara classify examples/edge-lab/*.yaml | epara plan | epara serve \\
                | epara report
              epara report epara.json local.json round-robin.json alpaserve.json \\
                --baseline alpaserve
              epara report run-*.json --sweep --target-attainment 0.99
              epara report run.json --html report.html --format markdown > report.md
              epara report --state state.db --from 600 --to 1200
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, table, markdown }

    @Argument(help: ArgumentHelp("Run documents; - or nothing reads standard input.", valueName: "run"))
    var files: [String] = []

    @OptionGroup
    var destination: OutputOptions

    @Option(help: ArgumentHelp("The run the others are compared with: its file name (without .json) or its policy.", valueName: "name"))
    var baseline: String?

    @Flag(help: "Compare runs even when they replayed different workloads.")
    var force = false

    @Flag(help: "Treat the runs as one policy at increasing load and find the highest rate sustained at the target.")
    var sweep = false

    @Option(help: "SLO attainment a sweep's rate must sustain.")
    var targetAttainment: Double = 0.99

    @Option(help: ArgumentHelp("Report a run from this SQLite state store instead of Run files.", valueName: "db"))
    var state: String?

    @Option(name: .customLong("run"), help: ArgumentHelp("With --state: the run's id (default: the latest).", valueName: "id"))
    var runId: String?

    @Option(help: ArgumentHelp("With --state: first window, seconds from the run's start.", valueName: "seconds"))
    var from: Double?

    @Option(help: ArgumentHelp("With --state: end of the last window, seconds from the run's start.", valueName: "seconds"))
    var to: Double?

    @Option(help: ArgumentHelp("Also write a self-contained HTML page with SVG charts to this file.", valueName: "file"))
    var html: String?

    @Option(help: "Output format (default: table on a terminal, json otherwise).")
    var format: Format?

    func validate() throws {
        guard targetAttainment > 0, targetAttainment <= 1 else { throw ValidationError("--target-attainment must be in (0, 1]") }
        if state != nil, !files.isEmpty { throw ValidationError("give Run files or --state, not both") }
        if state == nil, runId != nil || from != nil || to != nil { throw ValidationError("--run, --from and --to go with --state") }
        if sweep, baseline != nil { throw ValidationError("--sweep compares loads, not policies: drop --baseline") }
    }

    func run() throws {
        try StageIO.run {
            var runs: [RunReport]
            var locations: [String: SourceLocation] = [:]
            if let state {
                runs = [try Self.fromStore(state, runId: runId, from: from, to: to)]
            } else {
                let sources = try StageIO.load(files)
                var loaded: [(Run, String, SourceLocation)] = []
                for source in sources {
                    let document = try StageDocument<Run>.read(source, kind: "Run", producedBy: "epara serve")
                    loaded.append((document.value, source.name, document.location(of: "trace_digest")))
                }
                let wanted = loaded.map { run, name, _ in
                    name == "-" || name == "<stdin>" ? run.policy : URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent
                }
                let labels = Compare.uniqueLabels(wanted)
                runs = zip(loaded, labels).map { Analysis.analyse($0.0, label: $1, source: $0.1) }
                for (r, l) in zip(loaded, labels) { locations[l] = r.2 }
            }
            var report = Report(runs: runs)
            if runs.count > 1 {
                do {
                    try Compare.checkComparable(runs, sameTrace: !sweep)
                } catch let mismatch as MismatchError {
                    if force {
                        StageIO.printError("epara report: warning: \(mismatch.message); compared because of --force")
                    } else {
                        throw InputError(
                            .badData, at: locations[mismatch.label] ?? SourceLocation(file: mismatch.label, line: 1, column: 1),
                            path: "trace_digest", "\(mismatch.message); refusing to compare them (--force compares anyway)")
                    }
                }
                if sweep {
                    report.sweep = Compare.sweep(runs, target: targetAttainment)
                } else {
                    let base: RunReport
                    if let baseline {
                        guard let match = runs.first(where: { $0.label == baseline }) ?? runs.first(where: { $0.policy == baseline }) else {
                            throw ValidationError("--baseline \(baseline) names no run; the runs are \(runs.map(\.label).joined(separator: ", "))")
                        }
                        base = match
                    } else {
                        base = runs[0]
                    }
                    var forced = false
                    if force { forced = (try? Compare.checkComparable(runs, sameTrace: true)) == nil }
                    report.comparison = Compare.comparison(runs, baseline: base, forced: forced)
                }
            }
            if let html {
                do {
                    try Data(HTMLReport.render(report).utf8).write(to: URL(fileURLWithPath: html))
                } catch {
                    throw InputError(.io, at: SourceLocation(file: html, line: 1, column: 1), "cannot write the HTML report: \(error)")
                }
            }
            switch format ?? (destination.isTerminal ? .table : .json) {
            case .json: try destination.write(try JSONOutput.document(report))
            case .table: try destination.write(TextReport.render(report, style: .text))
            case .markdown: try destination.write(TextReport.render(report, style: .markdown))
            }
        }
    }

    static func fromStore(_ path: String, runId: String?, from: Double?, to: Double?) throws -> RunReport {
        let store = try StateStore.open(existing: path)
        let at = SourceLocation(file: path, line: 1, column: 1)
        do {
            let runs = try store.runs()
            guard let row = runId.map({ id in runs.first { $0.id == id } }) ?? runs.last else {
                throw InputError(
                    .badData, at: at,
                    runId.map { "no run '\($0)' in the state store (it has \(runs.map(\.id).joined(separator: ", ")))" }
                        ?? "the state store has no run yet (`epara serve --state` records one)")
            }
            let plan = try store.planDocument(digest: row.planDigest).flatMap { text in
                try? JSONOutput.decoder().decode(Plan.self, from: Data(text.utf8))
            }
            let windows = try store.windows(runId: row.id, from: from ?? -.infinity, to: to ?? .infinity).map { w in
                var c = Counts()
                c.arrivals = w.arrivals
                c.completedInSlo = w.completedInSLO
                c.completedLate = w.completedLate
                c.dropped = w.dropped
                c.failed = w.failed
                return WindowCounts(startS: w.windowStartS, lengthS: w.windowLengthS, service: w.service, node: w.node, counts: c)
            }
            let health = try store.health(runId: row.id).map { (timeS: $0.timeS, node: $0.node, up: $0.up) }
            // The run's totals (latency percentiles, drop reasons) hold for the whole run only.
            let totals =
                from == nil && to == nil ? try? JSONOutput.decoder().decode(ServiceTotals.self, from: Data(row.summary.utf8)) : nil
            return Analysis.analyse(
                windows: windows, plan: plan, label: row.id, source: path, engine: row.engine,
                planDigest: row.planDigest, traceDigest: row.traceDigest, health: health, totals: totals)
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(.badData, at: at, "cannot read the state store: \(error)")
        }
    }
}
