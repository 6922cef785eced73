extension Duration {
    /// The duration in seconds, as a `Double` (wall-clock measurements: timings, benchmarks).
    @inlinable public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
