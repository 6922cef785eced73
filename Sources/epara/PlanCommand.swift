import ArgumentParser
import EparaClassify
import EparaCore
import EparaPlan
import EparaReport
import EparaServe
import EparaStore
import Foundation

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Choose each service's parallel modes and place instances on devices.",
        discussion: """
            Reads a ClassifiedWorkload (the output of `epara classify`) and writes a Plan: \
            candidate instances per service (batch sizes bounded by deadlines, device shares, \
            frame packing for streams, data-parallel replicas, tensor- and pipeline-parallel \
            groups), the placement that maximises weighted goodput under memory and device-time \
            limits (EPARA's staged submodular greedy with lazy evaluation), routing from each \
            origin node, predicted goodput and its fluid upper bound.

            --policy picks a baseline for comparison: local (serve requests only where they \
            arrive), round-robin (round-robin placement and dispatch), alpaserve \
            (category-unaware placement by predicted SLO attainment).

            For cron-driven replanning: --state DB reads the demand and node health that \
            `epara serve` recorded (give each gateway machine's store to add them up); --trace \
            SERVICE=FILE measures the burstiness (the CV of the gaps between arrivals) of the \
            traffic a trace will bring, in any format `serve --trace` reads, and plans for it; \
            --previous PLAN keeps the current placement unless the new \
            one is clearly better, and lists the moves; --detailed-exitcode exits 2 when the \
            plan changed, 0 when it did not.

            --prometheus URL reads the same observations from a Prometheus server that scrapes \
            the gateways' /metrics (honor_labels: true), so a replanning job needs no state \
            store copied to it: each service's and origin node's request rate over \
            --prometheus-window (default 5m, ending now; give it at least four scrape \
            intervals), the CV of the gaps between arrivals over the same window, and as down \
            every node of the cluster whose gateway's series are missing (its process is not \
            answering scrapes) or that a gateway routes around. With --state as well, the two \
            add up like two stores. Prometheus unreachable exits 74; an error or a page that is \
            not its API's answer exits 65 with what it said.

            Examples:
              epara classify examples/edge-lab/*.yaml | epara plan > plan.json
              epara plan classified.json --policy alpaserve --format table
              epara plan classified.json --state state.db --previous plan.json \\
                --detailed-exitcode > next.json
              epara plan classified.json --prometheus http://prometheus:9090 \\
                --prometheus-window 10m --previous plan.json > next.json
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, table }

    @Argument(help: ArgumentHelp("A ClassifiedWorkload (JSON); - or nothing reads standard input.", valueName: "file"))
    var file: String?

    @OptionGroup
    var destination: OutputOptions

    @Option(help: "Placement policy: \(Policy.allCases.map(\.rawValue).joined(separator: ", ")).")
    var policy: Policy = .epara

    @Option(
        help: ArgumentHelp(
            "SQLite state store written by `epara serve`: observed demand and node health (repeatable: the stores of gateways on separate machines add up).",
            valueName: "db"))
    var state: [String] = []

    @Option(
        help: ArgumentHelp(
            "Prometheus server scraping the gateways (base URL, e.g. http://prometheus:9090): observed demand, burstiness and node health from their metrics.",
            valueName: "url"))
    var prometheus: String?

    @Option(
        help: ArgumentHelp(
            "How far back from now --prometheus reads rates and gaps (e.g. 30s, 5m; default 5m).", valueName: "duration"))
    var prometheusWindow: DurationArgument?

    @Option(
        name: .customLong("trace"),
        help: ArgumentHelp(
            "A trace the plan will serve ([SERVICE=]FILE, as `serve --trace` takes it; repeatable): each traced service is planned for the burstiness measured in it (its demand.cv).",
            valueName: "trace"))
    var traces: [String] = []

    @Option(help: ArgumentHelp("The plan in force: placement becomes migration-aware and moves are listed.", valueName: "plan"))
    var previous: String?

    @Option(
        help: ArgumentHelp(
            "Turn off a part of EPARA to measure it (repeatable): \(Ablation.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "part"))
    var without: [Ablation] = []

    @Flag(help: "Exit 2 when the plan differs from --previous (or there is none), 0 when unchanged.")
    var detailedExitcode = false

    @Flag(
        help:
            "Plan what fits and list the shortfalls instead of failing when the cluster is too small (with --previous: also when the previous plan was made so)."
    )
    var allowPartial = false

    @Option(help: "Fraction of each device's memory instances may use (default: the --previous plan's, else 0.9).")
    var memoryHeadroom: Double?

    @Option(help: "Largest batch size considered (default: the --previous plan's, else 64).")
    var maxBatch: Int?

    @Option(help: "Number of most recent windows of --state to average demand over.")
    var stateWindows: Int = 5

    @Option(
        help: ArgumentHelp(
            "How much the plan is checked in the simulator and improved: plans simulated (default: $EPARA_SEARCH_BUDGET, else the --previous plan's, else \(SearchBudget.standard.evaluations); 0: none), a wall-time limit (30s, 2m), or both (\(SearchBudget.standard.evaluations),30s).",
            valueName: "budget"))
    var searchBudget: String?

    @Flag(help: "Evaluate every candidate at every step instead of lazily (same plan, slower; for comparison).")
    var plainGreedy = false

    @Flag(help: "Add the solver's wall time to the output (which then differs run to run).")
    var timing = false

    @Option(help: "Output format (default: table on a terminal, json otherwise).")
    var format: Format?

    func validate() throws {
        if let memoryHeadroom, !(memoryHeadroom > 0 && memoryHeadroom <= 1) { throw ValidationError("--memory-headroom must be in (0, 1]") }
        if let maxBatch, !(1...4096).contains(maxBatch) { throw ValidationError("--max-batch must be from 1 to 4096") }
        guard stateWindows >= 1 else { throw ValidationError("--state-windows must be at least 1") }
        _ = try Self.searchBudget(searchBudget)
        if let prometheus, !PrometheusReader.isHTTPURL(prometheus) {
            throw ValidationError("--prometheus expects the server's http:// or https:// URL, such as http://prometheus:9090, found '\(prometheus)'")
        }
        if prometheusWindow != nil, prometheus == nil { throw ValidationError("--prometheus-window goes with --prometheus URL") }
        try prometheusWindow?.requirePositive("--prometheus-window")
        if !Set(without).isSubset(of: policy.ablations) {
            throw ValidationError(
                "--without turns off parts of EPARA; with --policy \(policy.rawValue) it does not apply (alpaserve takes --without model-parallel: single-device groups only, AlpaServe's sr-greedy)"
            )
        }
    }

    /// --search-budget, else $EPARA_SEARCH_BUDGET (a Makefile's or a crontab's default), else nil.
    static func searchBudget(_ option: String?) throws -> SearchBudget? {
        let (text, source) =
            option.map { ($0, "--search-budget") }
            ?? ProcessInfo.processInfo.environment["EPARA_SEARCH_BUDGET"].map { ($0, "EPARA_SEARCH_BUDGET") } ?? (nil, "")
        guard let text else { return nil }
        guard let budget = SearchBudget(argument: text) else {
            throw ValidationError("\(source) expects a number of plans (24), a time (30s, 2m) or both (24,30s), found '\(text)'")
        }
        return budget
    }

    /// --prometheus-window in milliseconds (5m unless given).
    var prometheusWindowMs: Double { (prometheusWindow ?? DurationArgument("5m")).seconds * 1000 }

    func run() async throws {
        var exitCode: Int32 = 0
        try await StageIO.runAsync {
            let source = try StageIO.load(file.map { [$0] } ?? [])[0]
            let input = try StageDocument<ClassifiedWorkload>.read(source, kind: "ClassifiedWorkload", producedBy: "epara classify")
            var workload = input.value
            var observed: ObservedDemand? = nil
            var parts = try state.map { path in
                let store = try StateStore.open(existing: path)
                do {
                    return try store.observedDemand(lastWindows: stateWindows)
                } catch {
                    throw InputError(.badData, at: SourceLocation(file: path, line: 1, column: 1), "cannot read the state store: \(error)")
                }
            }
            if let prometheus {
                let reader = PrometheusReader(url: prometheus, windowMs: prometheusWindowMs)
                do throws(PrometheusError) {
                    parts.append(try await reader.observedDemand(nodes: workload.cluster.nodes.map(\.name)))
                } catch {
                    StageIO.printError("epara plan: \(error)")
                    throw ExitCode(error.exitCode)
                }
            }
            if !parts.isEmpty { observed = .combined(parts) }
            let previousPlan = try previous.map { path in
                try Plan.read(try SourceText.load(path))
            }
            // Replanning from a previous plan keeps the settings it was made with, unless told otherwise.
            var options =
                previousPlan?.settings?.options(policy: policy, without: Set(without))
                ?? PlanOptions(policy: policy)
            options.without = Set(without)
            options.observed = observed
            options.previous = previousPlan
            options.lazy = !plainGreedy
            options.allowPartial = options.allowPartial || allowPartial
            if let memoryHeadroom { options.memoryHeadroom = memoryHeadroom }
            if let maxBatch { options.maxBatch = maxBatch }
            if !traces.isEmpty {
                workload = try Self.withTraceBurstiness(workload, traces: traces)
            }
            // The plan is served in the simulator on the traces given, else on generated arrivals.
            options.simulator = PlanSimulation(traces: traces.map(TraceFile.init(argument:)))
            options.searchBudget =
                try Self.searchBudget(searchBudget)
                ?? previousPlan?.settings?.searchBudget.map { SearchBudget(evaluations: $0) } ?? .standard
            options.progress = ProgressBar(label: "plan: simulating")
            let clock = ContinuousClock()
            let start = clock.now
            var plan: Plan
            do {
                plan = try Planner.plan(workload, options: options)
            } catch let error as PlanShortfallError {
                throw InputError(
                    .badData,
                    error.shortfalls.map { shortfall in
                        let index = input.value.services.firstIndex { $0.name == shortfall.service } ?? 0
                        return Diagnostic(
                            at: input.location(of: "services[\(index)]"), path: "services[\(index)]",
                            "cluster too small for service '\(shortfall.service)': \(shortfall.reason) (--allow-partial plans what fits)")
                    })
            }
            if timing {
                let elapsed = clock.now - start
                plan.solver.timeMs = (Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15).rounded(places: 3)
            }
            for shortfall in plan.shortfalls {
                StageIO.printError("epara plan: warning: \(shortfall.service): \(shortfall.reason)")
            }
            switch format ?? (destination.isTerminal ? .table : .json) {
            case .json: try destination.write(try JSONOutput.document(plan))
            case .table: try destination.write(PlanTable.render(plan))
            }
            if detailedExitcode {
                exitCode = previousPlan.map { $0.deployment == plan.deployment ? 0 : 2 } ?? 2
            }
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// The workload with each traced service's demand.cv measured from its trace.
    static func withTraceBurstiness(_ workload: ClassifiedWorkload, traces: [String]) throws -> ClassifiedWorkload {
        let names = Deployment(plan: .unplaced(workload))
        let measured = try TraceBurstiness.measure(TraceOptions(files: traces.map(TraceFile.init(argument:))), deployment: names)
        var result = workload
        for i in result.services.indices {
            guard let cv = measured[result.services[i].name], result.services[i].spec.demand != nil else { continue }
            result.services[i].spec.demand?.cv = cv
            StageIO.printError("epara plan: \(result.services[i].name): arrivals in the trace have CV \(cv); planned for it")
        }
        return result
    }
}

extension Policy: ExpressibleByArgument {}
extension Ablation: ExpressibleByArgument {}
