import ArgumentParser
import EparaServe

/// `serve`'s traffic: trace files, and how requests no trace covers are generated.
struct TrafficOptions: ParsableArguments {
    enum Process: String, ExpressibleByArgument, CaseIterable { case poisson, gamma, diurnal }

    @Option(
        name: .customLong("trace"),
        help: ArgumentHelp(
            "A trace file, or SERVICE=FILE to bind an Azure LLM or ServeGen trace to a service (repeatable).",
            valueName: "[service=]file"))
    var traces: [String] = []

    @Option(help: ArgumentHelp("Length of the run (default: the traces' span, at least 1s; else 60s).", valueName: "duration"))
    var duration: DurationArgument?

    @Option(
        help:
            "Arrival process of generated requests: poisson, gamma (with --cv), diurnal. Default: each service's own (Gamma with its demand.cv where the Services give one, else Poisson)."
    )
    var arrivals: Process?

    @Option(help: "Coefficient of variation of gamma inter-arrival gaps.")
    var cv: Double = 2

    @Option(help: "Multiply every rate (generated, ServeGen) and compress trace time by this factor.")
    var rateScale: Double = 1

    @Option(help: ArgumentHelp("Period of the diurnal rate curve.", valueName: "duration"))
    var diurnalPeriod = DurationArgument("24h")

    @Option(help: "Swing of the diurnal rate curve, a fraction of the mean rate.")
    var diurnalAmplitude: Double = 0.5

    func validate() throws {
        try diurnalPeriod.requirePositive("--diurnal-period")
        try duration?.requirePositive("--duration")
        guard rateScale > 0, rateScale.isFinite else { throw ValidationError("--rate-scale must be a positive number") }
        guard cv > 0 else { throw ValidationError("--cv must be positive") }
        guard (0...1).contains(diurnalAmplitude) else { throw ValidationError("--diurnal-amplitude must be from 0 to 1") }
    }

    /// What the trace builder reads; `seed` draws the generated arrivals.
    func traceOptions(seed: UInt64) -> TraceOptions {
        let process: ArrivalProcess? =
            switch arrivals {
            case nil: nil
            case .poisson: .poisson
            case .gamma: .gamma(cv: cv)
            case .diurnal: .diurnal(periodS: diurnalPeriod.seconds, amplitude: diurnalAmplitude)
            }
        return TraceOptions(
            files: traces.map(TraceFile.init(argument:)), process: process, durationS: duration?.seconds, rateScale: rateScale, seed: seed)
    }
}
