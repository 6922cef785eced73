/// Gaps between consecutive arrivals, summed: enough to give their mean and coefficient of
/// variation over any set of windows — the burstiness `plan` reads, whether the sums come from
/// the state store's gapWindow rows, the gateways' Prometheus counters or a trace.
public struct ArrivalGaps: Hashable, Sendable {
    public var count = 0
    public var sumS = 0.0
    public var squaresS2 = 0.0

    public init(count: Int = 0, sumS: Double = 0, squaresS2: Double = 0) {
        self.count = count
        self.sumS = sumS
        self.squaresS2 = squaresS2
    }

    /// Coefficient of variation of the gaps, once there are enough of them to say (20).
    public var cv: Double? {
        guard count >= 20, sumS > 0 else { return nil }
        let mean = sumS / Double(count)
        return (max(0, squaresS2 / Double(count) - mean * mean).squareRoot() / mean).rounded(places: 3)
    }

    public mutating func add(_ gap: Double) {
        count += 1
        sumS += gap
        squaresS2 += gap * gap
    }
}
