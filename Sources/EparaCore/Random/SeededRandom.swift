import Foundation

/// A small, fast, seedable generator (SplitMix64): the simulator's and the planner's only
/// source of randomness, so the same seed gives the same run on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// SplitMix64's increment, the golden ratio in 64 bits.
    private static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15

    public init(seed: UInt64) { state = seed &+ Self.gamma }

    /// Started the way SplitMix64's reference code is: its first value mixes `state` + γ, one
    /// step before `init(seed:)`'s. The generated benchmark clusters and the planner's property
    /// tests were drawn this way, so they keep their workloads.
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    public mutating func unit() -> Double { (Double(next() >> 11) + 1) * 0x1.0p-53 }

    public mutating func exponential(mean: Double) -> Double { -mean * Self.log(unit()) }

    /// Gamma(shape k, scale θ) by Marsaglia and Tsang.
    public mutating func gamma(shape: Double, scale: Double) -> Double {
        if shape < 1 {
            return gamma(shape: shape + 1, scale: scale) * Self.pow(unit(), 1 / shape)
        }
        let d = shape - 1.0 / 3, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat {
                x = normal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = unit()
            if u < 1 - 0.0331 * x * x * x * x || Self.log(u) < 0.5 * x * x + d * (1 - v + Self.log(v)) {
                return d * v * scale
            }
        }
    }

    public mutating func normal() -> Double {
        let u1 = unit(), u2 = unit()
        return (-2 * Self.log(u1)).squareRoot() * Self.cos(2 * .pi * u2)
    }

    /// Derives an independent generator for a sub-stream (one service, one stream).
    public func derived(_ salt: UInt64) -> SeededRandom {
        var copy = SeededRandom(seed: state ^ (salt &* 0xD6E8_FEB8_6659_FD93))
        _ = copy.next()
        return copy
    }

    static func log(_ x: Double) -> Double { Foundation.log(x) }
    static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    static func cos(_ x: Double) -> Double { Foundation.cos(x) }
}
