import ArgumentParser

/// `serve`'s commonest choices: the engine, the seed, and where the Run and its records go.
struct ServeRunOptions: ParsableArguments {
    enum Engine: String, ExpressibleByArgument, CaseIterable { case sim, live }
    enum Format: String, ExpressibleByArgument, CaseIterable { case json, table }

    @Option(help: "Engine: sim (deterministic discrete-event simulation) or live (HTTP gateways; with --all-nodes or --node).")
    var engine: Engine = .sim

    @Option(help: "Seed of every random choice of the run.")
    var seed: UInt64 = 1

    @Option(help: "Output format (default: table on a terminal, json otherwise).")
    var format: Format?

    @OptionGroup
    var destination: OutputOptions

    @Option(
        help: ArgumentHelp(
            "Record windows, node health and plans in this SQLite state store (for `plan --state`).",
            valueName: "db"))
    var state: String?

    @Option(help: ArgumentHelp("Sim: write one JSON line per request to this file.", valueName: "file"))
    var requests: String?

    @Option(help: ArgumentHelp("Sim: a Faults document: nodes down and up, link degradation, lost sync messages.", valueName: "file"))
    var faults: String?
}
