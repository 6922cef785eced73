import ArgumentParser
import EparaCapacity
import EparaClassify
import EparaCore
import EparaPlan
import EparaServe
import Foundation

struct CapacityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Find the highest load each policy sustains at an SLO-attainment target, and what breaks first.",
        discussion: """
            Reads a ClassifiedWorkload (the output of `epara classify`) and answers "how much \
            more load can this fleet take at 99% SLO attainment, and which service breaks \
            first?". For each policy it scales every rate and camera count by k, plans for that \
            demand (each load planned for its own demand, as an operator would), simulates it \
            with each seed, trims the warm-up, and measures SLO attainment (requests and frames \
            within their SLO, of all that arrived). Doubling or halving from 1× brackets the \
            highest k that meets each target; bisection narrows it. The goodput of every policy \
            is then measured at fixed overloads: 1.5× and 2× the best baseline's capacity at each \
            target. Every figure is printed with the targets, SLOs, traces, loads and \
            seeds it was measured with.

            Traces (--trace, as `serve --trace` takes them) are sped up with the load; services \
            they do not feed get arrivals generated from their demand (Gamma with demand.cv, \
            else Poisson).

            Progress goes to standard error on a terminal; the result is a Capacity document \
            (JSON), or tables with --format table; --html writes a page with the chart of \
            attainment against load per policy.

            Examples:
              epara classify examples/edge-lab/*.yaml | epara capacity - \\
                --trace chat=examples/traces/AzureLLMInferenceTrace_conv.csv --format table
              epara capacity classified.json --policy epara --policy local \\
                --target 0.99 --seeds 1 --duration 1m --html capacity.html
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case json, table }

    @Argument(help: ArgumentHelp("A ClassifiedWorkload (JSON); - or nothing reads standard input.", valueName: "file"))
    var file: String?

    @OptionGroup
    var destination: OutputOptions

    @Option(
        help: ArgumentHelp(
            "A policy to measure (repeatable; default: all of \(Policy.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "policy"))
    var policy: [Policy] = []

    @Option(help: ArgumentHelp("An SLO-attainment target (repeatable; default 0.99 and 0.9).", valueName: "fraction"))
    var target: [Double] = []

    @Option(
        name: .customLong("trace"), help: ArgumentHelp("A trace to replay ([SERVICE=]FILE; repeatable), sped up with the load.", valueName: "trace"))
    var traces: [String] = []

    @Option(help: ArgumentHelp("Simulated time per load and seed.", valueName: "duration"))
    var duration = DurationArgument("2m")

    @Option(help: ArgumentHelp("Start of each run left out of the measurement.", valueName: "duration"))
    var warmup = DurationArgument("20s")

    @Option(help: "Number of seeds per load (1, 2, …).")
    var seeds: Int = 3

    @Option(help: "Bisection stops when the load that missed is within this fraction above the one that met the target.")
    var tolerance: Double = 0.03

    @Option(help: "Highest load scale tried.")
    var maxScale: Double = 64

    @Option(help: ArgumentHelp("In-run replanning period (0: each load's plan holds the whole run).", valueName: "duration"))
    var replanEvery = DurationArgument("0")

    @Option(
        help: ArgumentHelp(
            "How much each load's EPARA plan is checked in the simulator and improved (as `plan --search-budget`; default: $EPARA_SEARCH_BUDGET, else \(LoadEvaluation.searchBudget.evaluations)).",
            valueName: "budget"))
    var searchBudget: String?

    @Option(help: "Fraction of each device's memory instances may use.")
    var memoryHeadroom: Double = 0.9

    @Option(help: ArgumentHelp("Also write an HTML page with the chart and tables.", valueName: "file"))
    var html: String?

    @Option(help: "Output format (default: table on a terminal, json otherwise).")
    var format: Format?

    func validate() throws {
        for t in target where !(t > 0 && t < 1) { throw ValidationError("--target must be between 0 and 1 (exclusive), found \(t)") }
        guard (1...32).contains(seeds) else { throw ValidationError("--seeds must be from 1 to 32") }
        guard tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance must be between 0 and 1") }
        guard maxScale >= 1, maxScale <= 4096 else { throw ValidationError("--max-scale must be from 1 to 4096") }
        guard memoryHeadroom > 0, memoryHeadroom <= 1 else { throw ValidationError("--memory-headroom must be in (0, 1]") }
        try duration.requirePositive("--duration")
        guard warmup.seconds < duration.seconds else { throw ValidationError("--warmup (\(warmup)) must be shorter than --duration (\(duration))") }
    }

    func run() throws {
        try StageIO.run {
            let source = try StageIO.load(file.map { [$0] } ?? [])[0]
            let input = try StageDocument<ClassifiedWorkload>.read(source, kind: "ClassifiedWorkload", producedBy: "epara classify")
            var planOptions = PlanOptions()
            planOptions.memoryHeadroom = memoryHeadroom
            // Without a budget, each load's plan is searched with LoadEvaluation's own.
            if let budget = try PlanCommand.searchBudget(searchBudget) {
                planOptions.simulator = LoadEvaluation.simulation
                planOptions.searchBudget = budget
            }
            let options = CapacityStudy.Options(
                policies: policy.isEmpty ? Policy.allCases : policy,
                search: CapacitySearchOptions(targets: target.isEmpty ? [0.99, 0.9] : target, tolerance: tolerance, maxScale: maxScale),
                traces: traces.map(TraceFile.init(argument:)),
                durationS: duration.seconds,
                warmupS: warmup.seconds,
                seeds: (1...seeds).map(UInt64.init),
                replanEveryS: replanEvery.seconds,
                planOptions: planOptions)
            let onTerminal = isatty(STDERR_FILENO) == 1
            let report = try CapacityStudy.run(input.value, options: options) { policy, point in
                guard onTerminal else { return }
                let worst = point.services.min { ($0.value, $0.key) < ($1.value, $1.key) }
                StageIO.printError(
                    "epara capacity: \(policy.rawValue) at \(TextTable.number(point.scale))×: attainment "
                        + "\(String(format: "%.3f", point.attainment))"
                        + (worst.map { " (lowest: \($0.key) \(String(format: "%.3f", $0.value)))" } ?? ""))
            }
            if let html {
                do {
                    try Data(CapacityRender.html(report).utf8).write(to: URL(fileURLWithPath: html))
                } catch {
                    throw InputError(.io, at: SourceLocation(file: html, line: 1, column: 1), "cannot write the page: \(error.localizedDescription)")
                }
            }
            switch format ?? (destination.isTerminal ? .table : .json) {
            case .json: try destination.write(try JSONOutput.document(report))
            case .table: try destination.write(CapacityRender.text(report))
            }
        }
    }
}
