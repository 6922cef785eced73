import EparaCore

/// A recorded LLM trace replayed for one service from a phase: it starts `phase` (0–1) of the
/// way into the trace and wraps around at the end, so that several sites can each replay the
/// whole trace without their bursts lining up. Times are divided by `speedup`.
public struct PhasedReplay: ArrivalSource {
    let rows: [AzureLLMTrace.Row]
    let service: ServiceIndex
    let origins: [NodeIndex]
    let speedup: Double
    let endS: Double
    let span: Double
    var index: Int
    var lap = 0.0
    let start: Double
    var random: SeededRandom

    public init(
        rows: [AzureLLMTrace.Row], service: ServiceIndex, origins: [NodeIndex], phase: Double, speedup: Double, endS: Double,
        random: SeededRandom
    ) {
        self.rows = rows
        self.service = service
        self.origins = origins
        self.speedup = speedup
        self.endS = endS
        // One mean gap after the last row before the first comes round again.
        span = (rows.last?.time ?? 0) + (rows.last?.time ?? 0) / Double(max(rows.count - 1, 1))
        index = min(Int(phase * Double(rows.count)), max(rows.count - 1, 0))
        start = rows.isEmpty ? 0 : rows[index].time
        self.random = random
    }

    public mutating func next() -> Arrival? {
        guard !rows.isEmpty else { return nil }
        if index == rows.count {
            index = 0
            lap += span
        }
        let row = rows[index]
        index += 1
        let time = (row.time - start + lap) / speedup
        guard time < endS else { return nil }
        let origin = origins.count == 1 ? origins[0] : origins[Int(random.next() % UInt64(origins.count))]
        return Arrival(time: time, service: service, origin: origin, inputTokens: row.inputTokens, outputTokens: row.outputTokens)
    }
}
