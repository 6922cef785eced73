/// Physical quantities as written in YAML (`250ms`, `1Gbps`, `24GiB`, `30/s`) and the single
/// unit each is held in once read, which is also the unit named by its JSON key.
public enum Quantity: String, Sendable, CaseIterable {
    /// Held in milliseconds.
    case duration
    /// Held in megabits per second.
    case bandwidth
    /// Held in GiB.
    case memory
    /// Held in bytes (request payloads).
    case dataSize
    /// Held in events per second.
    case rate
    /// Held in TFLOPS (or TOPS for integer math).
    case compute
    /// A plain count that may carry a K/M/B/T suffix (`8.03B` parameters).
    case count

    /// Unit suffixes and the factor that converts to the held unit. Longest first, so that
    /// `ms` is not read as `s` after a stray `m`.
    var units: [(String, Double)] {
        switch self {
        case .duration:
            [("us", 1e-3), ("µs", 1e-3), ("ms", 1), ("s", 1000), ("min", 60_000), ("m", 60_000), ("h", 3_600_000)]
        case .bandwidth:
            [
                ("Kbps", 1e-3), ("Mbps", 1), ("Gbps", 1000), ("Tbps", 1e6), ("bps", 1e-6),
                ("KB/s", 8e-3), ("MB/s", 8), ("GB/s", 8000), ("TB/s", 8e6),
            ]
        case .memory:
            Quantity.byteUnits.map { ($0.0, $0.1 / 1_073_741_824) }
        case .dataSize:
            Quantity.byteUnits
        case .rate:
            [("/s", 1), ("/min", 1.0 / 60), ("/h", 1.0 / 3600), ("rps", 1), ("fps", 1)]
        case .compute:
            [("GFLOPS", 1e-3), ("TFLOPS", 1), ("PFLOPS", 1000), ("GOPS", 1e-3), ("TOPS", 1), ("POPS", 1000)]
        case .count:
            [("K", 1e3), ("M", 1e6), ("B", 1e9), ("T", 1e12), ("", 1)]
        }
    }

    private static let byteUnits: [(String, Double)] = [
        ("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
        ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1),
    ]

    /// What to show when a value is not understood.
    public var expectation: String {
        switch self {
        case .duration: "a duration with a unit, such as 250ms or 2s"
        case .bandwidth: "a bandwidth with a unit, such as 100Mbps, 1Gbps or 25GB/s"
        case .memory: "a memory size with a unit, such as 512MiB, 8GB or 24GiB"
        case .dataSize: "a size with a unit, such as 300KB or 2MiB"
        case .rate: "a rate with a unit, such as 30/s or 600/min"
        case .compute: "a compute rate with a unit, such as 65TFLOPS or 275TOPS"
        case .count: "a count, such as 8030000000 or 8.03B"
        }
    }

    /// Parses `text` into the held unit; nil when it is not a finite, non-negative quantity of this kind.
    public func parse(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
            guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-" }),
                let value = Double(number), value.isFinite, value >= 0
            else { continue }
            let held = value * factor
            return held.isFinite ? held : nil
        }
        return nil
    }
}
