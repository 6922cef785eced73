/// An upper bound on goodput: demand routed to device time with no integrality, no memory
/// sharing limits and no network — the fluid relaxation of placement. Devices of a type are
/// pooled, so the linear program has one variable per (service, device type):
///
///     maximise Σ x[s,d]  subject to  Σ_d x[s,d] ≤ D_s,  Σ_s x[s,d] / c[s,d] ≤ K_d,  x ≥ 0
///
/// where c[s,d] is the best rate one device of type d gives service s within its SLO (for
/// model-parallel groups, the group's rate per device) and K_d the number of such devices.
enum FluidBound {
    static func solve(demand: [Double], capacity: [[Double]], devices: [Double]) -> Double {
        var columns: [(s: Int, d: Int)] = []
        for s in demand.indices {
            for d in devices.indices where capacity[s][d] > 0 && devices[d] > 0 && demand[s] > 0 {
                columns.append((s, d))
            }
        }
        guard !columns.isEmpty else { return 0 }
        var rows: [[Double]] = []
        var bounds: [Double] = []
        for s in demand.indices {
            rows.append(columns.map { $0.s == s ? 1 : 0 })
            bounds.append(demand[s])
        }
        for d in devices.indices {
            rows.append(columns.map { $0.d == d ? 1 / capacity[$0.s][d] : 0 })
            bounds.append(devices[d])
        }
        return Simplex.maximize(objective: Array(repeating: 1, count: columns.count), rows: rows, bounds: bounds)
    }
}

/// Dense tableau simplex for max c·x, A·x ≤ b, x ≥ 0 with b ≥ 0 (the origin is feasible).
/// Dantzig's rule, with Bland's rule after many pivots to rule out cycling.
enum Simplex {
    static func maximize(objective c: [Double], rows a: [[Double]], bounds b: [Double]) -> Double {
        let m = a.count, n = c.count
        let width = n + m + 1
        var t = [Double](repeating: 0, count: (m + 1) * width)
        for i in 0..<m {
            for j in 0..<n { t[i * width + j] = a[i][j] }
            t[i * width + n + i] = 1
            t[i * width + width - 1] = b[i]
        }
        for j in 0..<n { t[m * width + j] = -c[j] }
        var basis = Array(n..<(n + m))
        let epsilon = 1e-12
        var pivots = 0
        while true {
            pivots += 1
            var entering = -1
            if pivots < 50 * (m + n) {
                var most = -epsilon
                for j in 0..<(n + m) where t[m * width + j] < most { most = t[m * width + j]; entering = j }
            } else {
                entering = (0..<(n + m)).first { t[m * width + $0] < -epsilon } ?? -1
            }
            guard entering >= 0 else { break }
            var leaving = -1
            var ratio = Double.infinity
            for i in 0..<m where t[i * width + entering] > epsilon {
                let r = t[i * width + width - 1] / t[i * width + entering]
                if r < ratio - epsilon || (abs(r - ratio) <= epsilon && leaving >= 0 && basis[i] < basis[leaving]) {
                    ratio = r
                    leaving = i
                }
            }
            guard leaving >= 0 else { return .infinity }  // unbounded: cannot happen with demand caps
            let pivot = t[leaving * width + entering]
            for j in 0..<width { t[leaving * width + j] /= pivot }
            for i in 0...m where i != leaving {
                let factor = t[i * width + entering]
                guard factor != 0 else { continue }
                for j in 0..<width { t[i * width + j] -= factor * t[leaving * width + j] }
            }
            basis[leaving] = entering
        }
        return t[m * width + width - 1]
    }
}
