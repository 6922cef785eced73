import EparaCore
import EparaServe

/// A generated fleet's traffic built from the production traces in examples/traces: LLM
/// services replay the Azure LLM 2023 traces (conversation and code in turn), each from its own
/// phase and at its planned rate; vision request services follow one ServeGen `mm-image` client
/// each (its 10-minute rates and inter-arrival CVs from 10 h into the day), scaled to their
/// planned rate; cameras send frames at their fps from random phases.
struct FleetTraffic {
    var conversation: [AzureLLMTrace.Row]
    var code: [AzureLLMTrace.Row]
    /// Clients with requests in the replayed hour, their windows from its start.
    var clients: [[ServeGenTrace.Window]]
    static let clientsFromS = 36_000.0

    init(root: String) throws {
        conversation = try AzureLLMTrace.rows(path: "\(root)/AzureLLMInferenceTrace_conv.csv")
        code = try AzureLLMTrace.rows(path: "\(root)/AzureLLMInferenceTrace_code.csv")
        let windows = try ServeGenTrace.read(path: "\(root)/servegen_mm-image_clients_10min.csv")
        clients = windows.keys.sorted().compactMap { client in
            let hour = windows[client]!.filter { $0.startS >= Self.clientsFromS && $0.startS < Self.clientsFromS + 3600 }
                .map { ServeGenTrace.Window(startS: $0.startS - Self.clientsFromS, rate: $0.rate, cv: $0.cv) }
            return hour.contains { $0.rate > 0 } ? hour : nil
        }
    }

    func replayed(_ k: Int) -> [AzureLLMTrace.Row] { k % 2 == 0 ? conversation : code }

    static func meanRate(_ rows: [AzureLLMTrace.Row]) -> Double { Double(rows.count) / max(rows.last?.time ?? 1, 1e-9) }

    /// The workload with each LLM service's token counts those of the trace it replays: the
    /// plan must be made for the traffic that arrives.
    func adjusted(_ workload: Workload) -> Workload {
        var w = workload
        var k = 0
        for i in w.services.indices where w.catalog.model(w.services[i].model)?.kind == .llm {
            let rows = replayed(k)
            let n = Double(max(rows.count, 1))
            w.services[i].demand?.inputTokens = rows.reduce(0) { $0 + Double($1.inputTokens) } / n
            w.services[i].demand?.outputTokens = rows.reduce(0) { $0 + Double($1.outputTokens) } / n
            k += 1
        }
        return w
    }

    func trace(plan: Plan, durationS: Double, seed: UInt64) -> TraceSet {
        let d = Deployment(plan: plan)
        let random = SeededRandom(seed: seed)
        var sources: [any ArrivalSource] = []
        let llms = plan.services.filter { plan.catalog.model($0.spec.model)?.kind == .llm }.map(\.name)
        var visionRequests = 0
        for (s, service) in d.services.indexed() {
            guard let spec = plan.services.first(where: { $0.name == service.name })?.spec else { continue }
            if let k = llms.firstIndex(of: service.name) {
                let rows = replayed(k)
                let rate = spec.demand?.ratePerS ?? 0
                sources.append(
                    PhasedReplay(
                        rows: rows, service: s, origins: service.origins, phase: Double(k) / Double(llms.count),
                        speedup: rate / Self.meanRate(rows), endS: durationS, random: random.derived(UInt64(10 + s.offset))))
            } else if service.streams > 0 {
                var phases = random.derived(UInt64(1_000_000 + s.offset))
                for stream in 0..<service.streams {
                    sources.append(
                        StreamFrames(
                            service: s, stream: Int32(stream), origin: service.origins[stream % service.origins.count],
                            fps: service.fps, phaseS: phases.unit() / service.fps, endS: durationS))
                }
            } else if let demand = spec.demand, !clients.isEmpty {
                let windows = clients[visionRequests % clients.count]
                visionRequests += 1
                let mean = windows.reduce(0) { $0 + $1.rate } / Double(windows.count)
                sources.append(
                    ServeGenTrace.Client(
                        service: s, origin: service.origins[0], windows: windows, rateScale: demand.ratePerS / mean,
                        endS: durationS, random: random.derived(UInt64(2_000_000 + s.offset))))
            }
        }
        return TraceSet(sources: sources, digest: "fleet-\(seed)-\(durationS)", durationS: durationS, description: [:])
    }
}
