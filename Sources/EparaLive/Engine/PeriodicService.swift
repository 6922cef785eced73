import ServiceLifecycle
import UnixSignals

/// Background work of the gateways' process as a lifecycle service: `body` every `everyS`
/// seconds until the service group shuts down (a graceful shutdown cancels the wait).
struct PeriodicService: ServiceLifecycle.Service {
    let everyS: Double
    let body: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .nanoseconds(boundedNanoseconds(everyS)))
                if Task.isCancelled { return }
                await body()
            }
        }
    }
}

/// A signal's handler as a lifecycle service: `body` each time the process gets `signal`, until
/// the service group shuts down.
struct SignalService: ServiceLifecycle.Service {
    let signal: UnixSignal
    let body: @Sendable () async -> Void

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: signal).cancelOnGracefulShutdown() { await body() }
    }
}
