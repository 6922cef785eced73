import EparaCore
import Foundation

/// Deals the rows of a recorded LLM trace to its target services by smooth weighted round-robin
/// on their demand (one service: every row), so a row's service depends only on its position.
struct RowDealer {
    let services: [(index: ServiceIndex, weight: Double)]
    var credit: [Double]

    init(_ services: [(index: ServiceIndex, weight: Double)]) {
        self.services = services
        credit = Array(repeating: 0, count: services.count)
    }

    mutating func next() -> ServiceIndex {
        var best = 0
        let total = services.reduce(0) { $0 + $1.weight }
        for k in services.indices {
            credit[k] += services[k].weight
            if credit[k] > credit[best] { best = k }
        }
        credit[best] -= total
        return services[best].index
    }
}

/// A reader of LLM request rows (Azure LLM, Mooncake, BurstGPT): made alike, for services that
/// share the rows by weight.
protocol LLMRequestTrace: ArrivalSource {
    init(path: String, services: [(index: ServiceIndex, weight: Double)], rateScale: Double, endS: Double) throws(InputError)
}

/// The format of an `LLMRequestTrace`: its rows are LLM requests, shared among the bound
/// services, or every LLM service, by their planned demand.
protocol LLMRequestFormat: TraceFormat {
    associatedtype Reader: LLMRequestTrace
}

extension LLMRequestFormat {
    var feeds: TraceFeed { .llmRequests }

    func sources(_ reading: TraceReading) throws(InputError) -> [any ArrivalSource] {
        [try Reader(path: reading.path, services: reading.weightedTargets, rateScale: reading.rateScale, endS: reading.endS)]
    }
}

/// What every LLM request trace does with a row once read: its time, in seconds after the
/// trace's start, scaled by the rate; rows kept in order; the trace cut at the run's end; the
/// row dealt to a service.
struct RequestRows {
    var dealer: RowDealer
    var last = -Double.infinity
    let timeScale: Double
    let endS: Double

    init(services: [(index: ServiceIndex, weight: Double)], rateScale: Double, endS: Double) {
        dealer = RowDealer(services)
        timeScale = 1 / rateScale
        self.endS = endS
    }

    /// The row's arrival, nil past the end; `decreasing` is the error for a row before the
    /// previous one, given the previous row's seconds.
    mutating func arrival(
        atS seconds: Double, inputTokens: Int32, outputTokens: Int32,
        decreasing: (Double) -> InputError
    ) throws(InputError) -> Arrival? {
        let time = seconds * timeScale
        guard time >= last else { throw decreasing(last / timeScale) }
        last = time
        guard time < endS else { return nil }
        return Arrival(time: time, service: dealer.next(), inputTokens: inputTokens, outputTokens: outputTokens)
    }
}
