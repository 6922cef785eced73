import EparaCore

/// Why two runs cannot be compared.
public struct MismatchError: Error, Sendable {
    public var message: String
    public var label: String
}

public enum Compare {
    static func ratio(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b, b > 0 else { return nil }
        return (a / b).rounded(places: 4)
    }

    /// Runs compared side by side must have replayed the same workload: the same workload
    /// digest (the plan's input) and the same trace digest (files, generators and seed).
    public static func checkComparable(_ runs: [RunReport], sameTrace: Bool) throws(MismatchError) {
        guard let first = runs.first else { return }
        for run in runs.dropFirst() {
            if run.workloadDigest != first.workloadDigest {
                throw MismatchError(
                    message:
                        "'\(run.label)' ran another workload than '\(first.label)' (workload digest \(run.workloadDigest.prefix(19))… vs \(first.workloadDigest.prefix(19))…)",
                    label: run.label)
            }
            if sameTrace, run.traceDigest != first.traceDigest {
                throw MismatchError(
                    message:
                        "'\(run.label)' replayed another trace than '\(first.label)' (trace digest \(run.traceDigest.prefix(19))… vs \(first.traceDigest.prefix(19))…)",
                    label: run.label)
            }
        }
    }

    /// Every run against `baseline`: goodput, attainment and p99 with their ratios, overall and per category.
    public static func comparison(_ runs: [RunReport], baseline: RunReport, forced: Bool) -> Comparison {
        func byCategory(_ r: RunReport) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: r.categories.map { ($0.category, $0.metrics.goodputPerS) })
        }
        let base = byCategory(baseline)
        let rows = runs.map { r in
            let mine = byCategory(r)
            var ratios: [String: Double] = [:]
            for (category, value) in mine { if let q = ratio(value, base[category]) { ratios[category] = q } }
            return ComparisonRow(
                label: r.label, policy: r.policy, goodputPerS: r.summary.goodputPerS,
                goodputRatio: ratio(r.summary.goodputPerS, baseline.summary.goodputPerS),
                attainment: r.summary.attainment, attainmentRatio: ratio(r.summary.attainment, baseline.summary.attainment),
                p99Ms: r.summary.latencyMs?.p99, p99Ratio: ratio(r.summary.latencyMs?.p99, baseline.summary.latencyMs?.p99),
                goodputByCategory: mine, goodputRatioByCategory: ratios)
        }
        return Comparison(baseline: baseline.label, forced: forced, rows: rows)
    }

    /// Runs at increasing load: the highest rate sustained at `target` attainment.
    public static func sweep(_ runs: [RunReport], target: Double) -> Sweep {
        let points = runs.sorted { ($0.offeredPerS, $0.label) < ($1.offeredPerS, $1.label) }.map {
            SweepPoint(label: $0.label, offeredPerS: $0.offeredPerS, goodputPerS: $0.summary.goodputPerS, attainment: $0.summary.attainment)
        }
        let passing = points.filter { $0.attainment >= target }
        var interpolated: Double? = nil
        // The crossing after the last passing point, if a failing point follows it.
        if let last = passing.last, let next = points.first(where: { $0.offeredPerS > last.offeredPerS && $0.attainment < target }) {
            let t = (last.attainment - target) / (last.attainment - next.attainment)
            interpolated = (last.offeredPerS + t * (next.offeredPerS - last.offeredPerS)).rounded(places: 4)
        }
        return Sweep(
            policy: runs.first?.policy ?? "", targetAttainment: target, points: points,
            maxSustainedPerS: passing.map(\.offeredPerS).max(), interpolatedPerS: interpolated)
    }

    /// Labels that are unique: a file's base name, else the policy; repeated ones get #2, #3…
    public static func uniqueLabels(_ wanted: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return wanted.map { name in
            seen[name, default: 0] += 1
            return seen[name]! == 1 ? name : "\(name)#\(seen[name]!)"
        }
    }
}
