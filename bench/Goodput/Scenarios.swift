// The evaluation's scenarios, read from bench/scenarios/<name>/scenario.yaml: the Cluster and
// Services files it names (the workload at 1×), how long to run a load, and how production
// traces feed the services (bench/scenarios/README.md describes the format).
import EparaCore
import EparaPlan
import EparaServe
import Foundation

/// One scenario as its files describe it.
struct ScenarioFile: Sendable {
    /// Each service replays the whole LLM trace from its own phase (the k-th of n services
    /// starts k/n into it; each seed moves every phase by 0.37 of the trace), sped up.
    struct Replay: Sendable {
        var path: String
        var services: [String]
        var speedup: Double
        var rows: [AzureLLMTrace.Row] = []
    }

    /// ServeGen's per-client rates: client c arrives at service c mod k (or the hot service, for
    /// the busiest clients), from `fromS` of the trace's day, rates × `rateScale`.
    struct Clients: Sendable {
        var path: String
        var services: [String]
        var fromS: Double
        var rateScale: Double
        /// The busiest clients that together bring `share` of the requests over the replayed hour go to `service`.
        var hot: (share: Double, service: String)?
        /// Clients dealt to the services in turn by their volume over the replayed hour, busiest
        /// first, instead of by id (c mod k): the trace's ids leave some residues without traffic.
        var byVolume = false
        var windows: [Int: [ServeGenTrace.Window]] = [:]
        var hotClients: Set<Int> = []
        /// Client → its rank by volume (for `byVolume`).
        var rank: [Int: Int] = [:]

        /// Index into `services` of client c's service.
        func serviceIndex(of client: Int) -> Int {
            if let hot {
                let hotIndex = services.firstIndex(of: hot.service) ?? 0
                let others = services.indices.filter { $0 != hotIndex }
                return hotClients.contains(client) || others.isEmpty ? hotIndex : others[client % others.count]
            }
            return (byVolume ? rank[client] ?? client : client) % services.count
        }
    }

    var name: String
    var title: String
    var note: String
    var files: [String]
    var durationS: Double
    var warmupS: Double
    var memoryHeadroom: Double?
    /// Trace files as `epara capacity --trace` takes them (`SERVICE=FILE`), paths resolved.
    var traces: [TraceFile] = []
    var replays: [Replay] = []
    var clients: Clients?
    /// Scenarios outside `make eval`'s half hour run only with `make eval-large`.
    var large = false

    /// True when the bench builds the arrivals itself (replays, clients); otherwise `epara
    /// capacity`'s own trace reading and generators do.
    var hasOwnTraffic: Bool { !replays.isEmpty || clients != nil }
}

enum ScenarioReader {
    static func read(directory: URL) throws -> ScenarioFile {
        let path = directory.appendingPathComponent("scenario.yaml").path
        let source = try SourceText.load(path)
        let parsed = try YAMLSource.parse(source)
        let sink = DiagnosticSink()
        let reader = NodeReader(file: source.name, sink: sink)
        func resolve(_ relative: String) -> String {
            relative.hasPrefix("/") ? relative : directory.appendingPathComponent(relative).standardizedFileURL.path
        }
        var scenario = ScenarioFile(
            name: directory.lastPathComponent, title: directory.lastPathComponent, note: "", files: [],
            durationS: 240, warmupS: 30)
        guard let root = parsed.documents.first.map({ reader.value($0, path: "") }),
            let m = root.mapping(keys: [
                "title", "note", "files", "duration_s", "warmup_s", "memory_headroom", "large", "traces",
                "replays", "clients",
            ])
        else {
            try sink.check()
            throw InputError(.badData, at: SourceLocation(file: source.name, line: 1, column: 1), "expected a scenario mapping")
        }
        scenario.title = m.required("title", "the scenario's title")?.string() ?? scenario.title
        scenario.note = m.optional("note")?.string() ?? ""
        scenario.files = (m.required("files", "the Cluster, Services (and Catalog) files")?.list() ?? []).compactMap { $0.string() }.map(resolve)
        scenario.durationS = m.optional("duration_s")?.number(above: 0) ?? scenario.durationS
        scenario.warmupS = m.optional("warmup_s")?.number() ?? scenario.warmupS
        scenario.memoryHeadroom = m.optional("memory_headroom")?.number(above: 0)
        scenario.large = m.optional("large")?.bool() ?? false
        for item in m.optional("traces")?.list() ?? [] {
            guard let t = item.mapping(keys: ["service", "file"]) else { continue }
            if let file = t.required("file", "a trace file")?.string() {
                scenario.traces.append(TraceFile(path: resolve(file), service: t.optional("service")?.string()))
            }
        }
        for item in m.optional("replays")?.list() ?? [] {
            guard let r = item.mapping(keys: ["trace", "services", "speedup"]) else { continue }
            if let trace = r.required("trace", "an Azure LLM trace file")?.string(),
                let services = r.required("services", "the services replaying it")?.list()?.compactMap({ $0.string() })
            {
                scenario.replays.append(
                    ScenarioFile.Replay(
                        path: resolve(trace), services: services,
                        speedup: r.optional("speedup")?.number(above: 0) ?? 1))
            }
        }
        if let c = m.optional("clients")?.mapping(keys: ["trace", "services", "from_s", "rate_scale", "hot", "deal"]),
            let trace = c.required("trace", "a ServeGen per-client file")?.string(),
            let services = c.required("services", "the services its clients arrive at")?.list()?.compactMap({ $0.string() })
        {
            var clients = ScenarioFile.Clients(
                path: resolve(trace), services: services, fromS: c.optional("from_s")?.number() ?? 0,
                rateScale: c.optional("rate_scale")?.number(above: 0) ?? 1)
            if let h = c.optional("hot")?.mapping(keys: ["share", "service"]),
                let share = h.required("share", "a fraction of the requests")?.number(above: 0),
                let service = h.required("service", "the hot service")?.string()
            {
                if !services.contains(service) { h.error("hot service '\(service)' is not one of the clients' services") }
                clients.hot = (min(share, 1), service)
            }
            clients.byVolume = c.optional("deal")?.oneOf(["by-id", "by-volume"]) == "by-volume"
            scenario.clients = clients
        }
        try sink.check()
        // The traces are read once per scenario.
        for i in scenario.replays.indices { scenario.replays[i].rows = try AzureLLMTrace.rows(path: scenario.replays[i].path) }
        if var clients = scenario.clients {
            clients.windows = try ServeGenTrace.read(path: clients.path)
            let ranked = volumes(clients.windows, from: clients.fromS, seconds: 3600)
            if let hot = clients.hot { clients.hotClients = hottestClients(ranked, carrying: hot.share) }
            if clients.byVolume { for (k, entry) in ranked.enumerated() { clients.rank[entry.key] = k } }
            scenario.clients = clients
        }
        return scenario
    }

    /// Clients by their requests in `seconds` from `from`, busiest first (ties by id).
    static func volumes(_ windows: [Int: [ServeGenTrace.Window]], from: Double, seconds: Double) -> [(key: Int, value: Double)] {
        windows.mapValues { windows in
            windows.filter { $0.startS >= from && $0.startS < from + seconds }.reduce(0) { $0 + $1.rate }
        }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
    }

    /// The busiest ServeGen clients (`volume`, busiest first) that together bring `share` of the
    /// requests (the skew of real edge traffic, taken from the trace).
    static func hottestClients(_ volume: [(key: Int, value: Double)], carrying share: Double) -> Set<Int> {
        let total = volume.reduce(0) { $0 + $1.value }
        var hot = Set<Int>(), sum = 0.0
        for (client, v) in volume where sum < share * total {
            hot.insert(client)
            sum += v
        }
        return hot
    }
}

extension ScenarioFile {
    func meanRate(_ rows: [AzureLLMTrace.Row]) -> Double { Double(rows.count) / max(rows.last?.time ?? 1, 1) }

    /// The demand the traces bring at 1× to each service they feed (a scenario's Services must
    /// say the same, within 2%: the plan is made for the traffic that will arrive).
    func tracedDemand() -> [String: Double] {
        var demand: [String: Double] = [:]
        for r in replays { for s in r.services { demand[s] = meanRate(r.rows) * r.speedup } }
        if let c = clients {
            // Mean over the windows of the replayed stretch (at least ten minutes).
            let span = max(durationS, 600)
            let starts = Set(c.windows.values.flatMap { $0 }.map(\.startS).filter { $0 >= c.fromS && $0 < c.fromS + span })
            for (client, windows) in c.windows {
                let rate = windows.filter { $0.startS >= c.fromS && $0.startS < c.fromS + span }.reduce(0) { $0 + $1.rate }
                demand[c.services[c.serviceIndex(of: client)], default: 0] += rate * c.rateScale / Double(max(starts.count, 1))
            }
        }
        return demand
    }

    /// The arrivals of a run at `load`× for the plan made for it: replays and clients as the
    /// file says; cameras at the plan's streams and fps (each from a random phase); every other
    /// service Poisson at its planned demand, token counts around the Services' means.
    func traffic(plan: Plan, load: Double, seed: UInt64, durationS: Double) throws -> TraceSet {
        let d = Deployment(plan: plan)
        let random = SeededRandom(seed: seed)
        var sources: [any ArrivalSource] = []
        var covered = Set<String>()
        func index(_ name: String) throws -> ServiceIndex {
            guard let i = d.serviceIndex[name] else { throw ScenarioError("\(self.name): no service '\(name)' in the plan") }
            return i
        }
        for (r, replay) in replays.enumerated() {
            for (k, name) in replay.services.enumerated() {
                let service = try index(name)
                // Seeds move every service's starting point in the trace.
                let phase = (Double(k) / Double(replay.services.count) + Double(seed - 1) * 0.37).truncatingRemainder(dividingBy: 1)
                sources.append(
                    PhasedReplay(
                        rows: replay.rows, service: service, origins: d.services[service].origins, phase: phase,
                        speedup: replay.speedup * load, endS: durationS,
                        random: random.derived(UInt64(10 + 90 * r + k))))
                covered.insert(name)
            }
        }
        if let c = clients {
            for (client, windows) in c.windows.sorted(by: { $0.key < $1.key }) {
                let name = c.services[c.serviceIndex(of: client)]
                let service = try index(name)
                let origins = d.services[service].origins
                let shifted = windows.map { ServeGenTrace.Window(startS: $0.startS - c.fromS, rate: $0.rate, cv: $0.cv) }.filter { $0.startS >= 0 }
                sources.append(
                    ServeGenTrace.Client(
                        service: service, origin: origins[client / c.services.count % origins.count],
                        windows: shifted, rateScale: c.rateScale * load, endS: durationS,
                        random: random.derived(UInt64(5000 + client))))
            }
            covered.formUnion(c.services)
        }
        for (s, service) in d.services.indexed() where !covered.contains(service.name) {
            if service.streams > 0 {
                var phases = random.derived(UInt64(1000 + 7 * s.offset))
                for stream in 0..<service.streams {
                    sources.append(
                        StreamFrames(
                            service: s, stream: Int32(stream), origin: service.origins[stream % service.origins.count],
                            fps: service.fps, phaseS: phases.unit() / service.fps, endS: durationS))
                }
            } else if let spec = plan.services.first(where: { $0.name == service.name })?.spec, let demand = spec.demand {
                sources.append(
                    GeneratedArrivals(
                        service: s, ratePerS: demand.ratePerS, process: .poisson, endS: durationS,
                        inputTokens: demand.inputTokens ?? 0, outputTokens: demand.outputTokens ?? 0,
                        random: random.derived(UInt64(9 + 100_000 + s.offset))))
            }
        }
        let digest = JSONOutput.digest([
            "scenario": name, "load": "\(load)", "seed": "\(seed)", "duration": "\(durationS)",
            "replays": replays.map { "\($0.rows.count)" }.joined(separator: ","),
            "clients": "\(clients?.windows.count ?? 0)",
        ])
        return TraceSet(sources: sources, digest: digest, durationS: durationS, description: [:])
    }
}

struct ScenarioError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
