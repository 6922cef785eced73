import ArgumentParser
import EparaCore

/// A duration on the command line — `500ms`, `2s`, `10m`, `1h`, or `0` — parsed once, when the
/// arguments are: a bad one is a usage error that names the option, and commands read seconds.
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let seconds: Double
    /// As written, for `--help`'s defaults and for the scripts `epara manifests` writes.
    let description: String

    init?(argument: String) {
        if argument == "0" {
            (seconds, description) = (0, argument)
            return
        }
        guard let ms = Quantity.duration.parse(argument), ms.isFinite, ms >= 0 else { return nil }
        (seconds, description) = (ms / 1000, argument)
    }

    /// A default, written as a user would write it.
    init(_ text: String) {
        guard let parsed = DurationArgument(argument: text) else { preconditionFailure("not a duration: \(text)") }
        self = parsed
    }

    /// For an option that cannot be zero (a run's length, a timeout).
    func requirePositive(_ option: String) throws {
        if seconds <= 0 { throw ValidationError("\(option) must be longer than 0, found '\(description)'") }
    }
}
