// Fidelity of the live engine to the simulator: the example's plan and the same arrivals (the
// Azure conversation trace for chat, the other services generated, cameras at their fps) run
// through the discrete-event simulator and, in real time, through every node's live gateway
// over HTTP on the emulated backend. Prints goodput per service for both and their ratio.
//
//   swift build -c release --product live-bench && .build/release/live-bench [seconds] [base port]

import AsyncHTTPClient
import EparaClassify
import EparaCore
import EparaLive
import EparaPlan
import EparaServe
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

@main
struct LiveBench {
    static func main() async throws {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        let arguments = CommandLine.arguments.dropFirst()
        let seconds = arguments.first.flatMap(Double.init) ?? 30
        let basePort = arguments.dropFirst().first.flatMap(Int.init) ?? 18_400
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let inputs = ["cluster.yaml", "services.yaml", "catalog.yaml"].map { root.appendingPathComponent("examples/edge-lab/\($0)").path }
        let workload = try DocumentReader.workload(try inputs.map { try SourceText.load($0) }, builtin: BuiltinCatalog.load())
        let plan = try Planner.plan(Classifier.classify(workload))
        let deployment = Deployment(plan: plan)
        let trace = root.appendingPathComponent("examples/traces/AzureLLMInferenceTrace_conv.csv").path
        var set = try TraceBuilder.build(
            TraceOptions(files: [TraceFile(path: trace, service: "chat")], durationS: seconds, seed: 1),
            deployment: deployment)
        // The same arrivals for both engines, each with its origin node decided.
        var random = SeededRandom(seed: 7)
        var arrivals: [Arrival] = []
        for k in set.sources.indices {
            while var arrival = try set.sources[k].next() {
                if arrival.origin == nil {
                    let origins = deployment.services[arrival.service].origins
                    arrival.origin = origins[Int(random.next() % UInt64(origins.count))]
                }
                arrivals.append(arrival)
            }
        }
        arrivals.sort { $0.time < $1.time }
        let core = CoreConfig(syncIntervalS: 0.5)
        let sim = try SimEngine(
            plan: plan,
            trace: TraceSet(
                sources: [ListedArrivals(arrivals)], digest: set.digest, durationS: seconds,
                description: set.description),
            options: SimOptions(core: core, replanEveryS: 0, seed: 1)
        ).run()
        FileHandle.standardError.write(Data("simulated \(arrivals.count) requests; replaying them live for \(Int(seconds)) s…\n".utf8))

        // Every node's gateway in this process, as `serve --engine live --all-nodes` runs them.
        let engine = LiveEngine(plan: plan, options: LiveOptions(core: core))
        engine.startSync(every: core.syncIntervalS)
        var quiet = Logger(label: "live-bench") { QuietUntilWarning(label: $0) }
        quiet.logLevel = .warning
        let apps: [any ServiceLifecycle.Service] = plan.cluster.nodes.enumerated().map { k, node in
            Application(
                router: Gateway.router(engine: engine, node: node.name),
                configuration: .init(address: .hostname("127.0.0.1", port: basePort + k)), logger: quiet)
        }
        let group = ServiceGroup(configuration: .init(services: apps, logger: quiet))
        let serving = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(300))

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let names = deployment.services.map(\.name)
        let clock = ContinuousClock()
        let start = clock.now
        let statuses = await withTaskGroup(of: (ServiceIndex, Int).self) { group in
            for arrival in arrivals {
                group.addTask {
                    try? await clock.sleep(until: start + .nanoseconds(Int64(arrival.time * 1e9)))
                    var request = HTTPClientRequest(
                        url: "http://127.0.0.1:\(basePort + (arrival.origin?.offset ?? 0))/v1/services/\(names[arrival.service.offset])/infer")
                    request.method = .POST
                    var fields = "\"input_tokens\":\(arrival.inputTokens),\"output_tokens\":\(arrival.outputTokens)"
                    if let stream = arrival.stream { fields += ",\"stream_id\":\(stream)" }
                    request.body = .bytes(ByteBuffer(string: "{\(fields)}"))
                    guard let response = try? await client.execute(request, timeout: .seconds(60)) else { return (arrival.service, -1) }
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    return (arrival.service, Int(response.status.code))
                }
            }
            var all: [(ServiceIndex, Int)] = []
            for await status in group { all.append(status) }
            return all
        }
        try await client.shutdown()
        let live = engine.run()
        await group.triggerGracefulShutdown()
        _ = try? await serving.value

        // Goodput per service: requests answered within their SLO per second of the run.
        print("service                arrivals   sim in SLO  live in SLO   live/sim")
        var simTotal = 0, liveTotal = 0
        for (s, name) in names.enumerated() {
            let simInSLO = sim.services.first { $0.name == name }?.counts.completedInSlo ?? 0
            let liveInSLO = statuses.filter { $0.0 == ServiceIndex(s) && $0.1 == 200 }.count
            let count = arrivals.filter { $0.service == ServiceIndex(s) }.count
            simTotal += simInSLO
            liveTotal += liveInSLO
            print(
                name.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + String(format: " %10d %12d %12d %10.3f", count, simInSLO, liveInSLO, simInSLO > 0 ? Double(liveInSLO) / Double(simInSLO) : .nan)
            )
        }
        let unanswered = statuses.filter { $0.1 < 0 }.count
        print(
            "all".padding(toLength: 20, withPad: " ", startingAt: 0)
                + String(format: " %10d %12d %12d %10.3f", arrivals.count, simTotal, liveTotal, Double(liveTotal) / Double(max(simTotal, 1))))
        print(
            String(
                format: "goodput over the %.0f s of arrivals: sim %.1f/s, live %.1f/s; unanswered: %d; the live Run counts %d in SLO of %d",
                seconds, Double(simTotal) / seconds, Double(liveTotal) / seconds, unanswered, live.summary.counts.completedInSlo,
                live.summary.counts.arrivals))
        let ratio = Double(liveTotal) / Double(max(simTotal, 1))
        print(abs(ratio - 1) <= 0.1 ? "within 10%: yes" : "within 10%: NO")
    }
}
