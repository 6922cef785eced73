/// Several services time-sharing one device (EPARA's MT mode): each runs batches of its own,
/// one at a time, so a service's batch may wait for another's to finish.
public struct SharedWork: Hashable, Sendable {
    /// Latency of one batch of this service alone on the device.
    public var batchMs: Double
    /// Batches per second this service runs on the device.
    public var batchesPerS: Double

    public init(batchMs: Double, batchesPerS: Double) {
        self.batchMs = batchMs
        self.batchesPerS = batchesPerS
    }

    /// Fraction of the device's time the service keeps it busy.
    public var utilization: Double { batchMs * batchesPerS / 1000 }
}

extension LatencyModel {
    /// Fraction of the device busy with all the work together; above 1 the device cannot keep up.
    public static func utilization(_ works: [SharedWork]) -> Double {
        works.reduce(0) { $0 + $1.utilization }
    }

    /// Expected latency of each service's batch when sharing: its own time plus the residual of a
    /// batch of another service found running (busy fraction × half its length, the mean residual
    /// of a deterministic job). Nil when the device is over-committed.
    public static func sharedLatencyMs(_ works: [SharedWork]) -> [Double]? {
        guard utilization(works) < 1 else { return nil }
        return works.indices.map { i in
            works[i].batchMs + works.indices.filter { $0 != i }.reduce(0) { $0 + works[$1].utilization * works[$1].batchMs / 2 }
        }
    }
}
