// The evaluation's scenarios: three heterogeneous clusters built from real device types (and a
// skewed variant of the medium one), services whose traffic comes from production traces
// (Azure LLM inference 2023, ServeGen), and the arrivals of a run at any load.
import EparaCore
import EparaPlan
import EparaServe
import Foundation

/// The traces the scenarios replay, read once.
struct TraceData: Sendable {
    var conversation: [AzureLLMTrace.Row]
    var code: [AzureLLMTrace.Row]
    var imageClients: [Int: [ServeGenTrace.Window]]

    init(directory: URL) throws {
        conversation = try AzureLLMTrace.rows(path: directory.appendingPathComponent("AzureLLMInferenceTrace_conv.csv").path)
        code = try AzureLLMTrace.rows(path: directory.appendingPathComponent("AzureLLMInferenceTrace_code.csv").path)
        imageClients = try ServeGenTrace.read(path: directory.appendingPathComponent("servegen_mm-image_clients_10min.csv").path)
    }

    /// The busiest ServeGen clients that together bring `share` of the image requests in
    /// `seconds` from `from` (the skew of real edge traffic, taken from the trace).
    func hottestClients(carrying share: Double, from: Double, seconds: Double) -> Set<Int> {
        let volume = imageClients.mapValues { windows in
            windows.filter { $0.startS >= from && $0.startS < from + seconds }.reduce(0) { $0 + $1.rate }
        }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        let total = volume.reduce(0) { $0 + $1.value }
        var hot = Set<Int>(), sum = 0.0
        for (client, v) in volume where sum < share * total {
            hot.insert(client)
            sum += v
        }
        return hot
    }
}

/// ServeGen's day is replayed from 10:00 (its busy hours); the plan's demand is the mean rate of
/// the windows a run replays.
let imageStartS = 36_000.0

struct SiteMix: Sendable {
    var gpuServers: [[String]]   // device types per GPU server
    var agx = 0, nx = 0, nano = 0, pi = 0
}

struct Scenario: Sendable {
    var name: String
    var title: String
    var cluster: Cluster
    var edgeSites: [String]
    /// Per edge site: camera streams of the detection and segmentation services.
    var detectStreams: Int
    var segmentStreams: Int
    /// Each site's LLM services replay the Azure traces this many times faster.
    var llmSpeedup: Double
    /// ServeGen mm-image rates multiplied by this (over all sites).
    var imageScale: Double
    /// The 70B model's requests per second (all sites).
    var bigChatRate: Double
    /// Seconds simulated per load level (the first `warmupS` trimmed).
    var durationS: Double
    var warmupS: Double
    /// Which edge site each ServeGen photo client's requests arrive at (index into edgeSites).
    var siteOfClient: @Sendable (Int) -> Int = { _ in 0 }
}

func node(_ name: String, _ site: String, _ devices: [(String, Int)]) -> ClusterNode {
    ClusterNode(name: name, site: site, devices: devices.map { DeviceGroup(type: $0.0, count: $0.1) })
}

func edgeSite(_ site: String, _ mix: SiteMix) -> [ClusterNode] {
    var nodes: [ClusterNode] = []
    for (i, gpus) in mix.gpuServers.enumerated() {
        nodes.append(node("\(site)-gpu\(i + 1)", site, Dictionary(grouping: gpus, by: { $0 }).map { ($0.key, $0.value.count) }.sorted { $0.0 < $1.0 }))
    }
    for (kind, count, type) in [("agx", mix.agx, "jetson-agx-orin-64gb"), ("nx", mix.nx, "jetson-orin-nx-16gb"),
                                ("nano", mix.nano, "jetson-orin-nano-8gb"), ("pi", mix.pi, "raspberry-pi-5")] {
        for i in 0..<count { nodes.append(node("\(site)-\(kind)\(i + 1)", site, [(type, 1)])) }
    }
    return nodes
}

func network(edge: [String], cloud: String?) -> Network {
    var links: [SiteLink] = []
    for (i, a) in edge.enumerated() {
        for b in edge.dropFirst(i + 1) { links.append(SiteLink(sites: [a, b], bandwidthMbps: 500, latencyMs: 5)) }
        if let cloud { links.append(SiteLink(sites: [a, cloud], bandwidthMbps: 200, latencyMs: 20)) }
    }
    return Network(default: Link(bandwidthMbps: 1000, latencyMs: 0.5), links: links)
}

/// The three evaluation clusters and the skewed one, with their traffic; `quick` shortens runs.
func builtScenarios(quick: Bool, traces: TraceData) -> [Scenario] {
    // Small: one lab, six nodes.
    let small = Scenario(
        name: "small", title: "small: 6 nodes, 1 site",
        cluster: Cluster(name: "small", nodes: edgeSite("lab", SiteMix(gpuServers: [["rtx-4090", "rtx-4090"]], agx: 1, nx: 2, nano: 1, pi: 1)),
                         network: network(edge: ["lab"], cloud: nil)),
        edgeSites: ["lab"], detectStreams: 4, segmentStreams: 2, llmSpeedup: 1, imageScale: 2, bigChatRate: 0.1, durationS: 240,
        warmupS: 30)
    // Medium: two edge sites of 18 nodes and a cloud site of 4 A100 servers.
    let mediumEdge = ["site-a", "site-b"]
    let mediumMix = [SiteMix(gpuServers: [["rtx-4090", "rtx-4090"], ["l4", "l4"]], agx: 2, nx: 6, nano: 5, pi: 3),
                     SiteMix(gpuServers: [["l4", "l4"], ["l4", "l4"]], agx: 2, nx: 6, nano: 5, pi: 3)]
    let mediumNodes = zip(mediumEdge, mediumMix).flatMap { edgeSite($0, $1) }
        + (1...4).map { node("cloud-a100-\($0)", "cloud", [("a100-80gb", 2)]) }
    let medium = Scenario(name: "medium", title: "medium: \(mediumNodes.count) nodes, 3 sites",
                          cluster: Cluster(name: "medium", nodes: mediumNodes, network: network(edge: mediumEdge, cloud: "cloud")),
                          edgeSites: mediumEdge, detectStreams: 12, segmentStreams: 6, llmSpeedup: 2, imageScale: 10, bigChatRate: 0.4,
                          durationS: 240, warmupS: 30, siteOfClient: { $0 % 2 })
    // Large: nine edge sites of 42 nodes and a cloud site of 22 servers.
    let largeEdge = (1...9).map { "site-\($0)" }
    let largeNodes = largeEdge.enumerated().flatMap { i, site in
        edgeSite(site, SiteMix(gpuServers: [["l4", "l4"], i % 2 == 0 ? ["rtx-4090", "rtx-4090"] : ["l4", "l4"], ["rtx-4090", "rtx-4090"]],
                               agx: 6, nx: 14, nano: 12, pi: 7))
    } + (1...22).map { node("cloud-\($0)", "cloud", [($0 % 2 == 0 ? "h100" : "a100-80gb", 2)]) }
    let large = Scenario(name: "large", title: "large: \(largeNodes.count) nodes, 10 sites",
                         cluster: Cluster(name: "large", nodes: largeNodes, network: network(edge: largeEdge, cloud: "cloud")),
                         edgeSites: largeEdge, detectStreams: 24, segmentStreams: 12, llmSpeedup: 2, imageScale: 60, bigChatRate: 2,
                         durationS: 90, warmupS: 15, siteOfClient: { $0 % 9 })
    var skewed = medium
    skewed.name = "skewed"
    skewed.title = "skewed: medium, one hot site"
    // Edge traffic concentrates: ServeGen's busiest clients, those bringing 75% of its image
    // requests over the replayed hours, all arrive at site-a; the others at site-b.
    let hot = traces.hottestClients(carrying: 0.75, from: imageStartS, seconds: 3600)
    skewed.siteOfClient = { hot.contains($0) ? 0 : 1 }
    let all = [small, medium, large, skewed]
    return all.map { s in
        var s = s
        if quick { s.durationS = 60; s.warmupS = 10 }
        return s
    }
}

func meanRate(_ rows: [AzureLLMTrace.Row]) -> Double { Double(rows.count) / max(rows.last?.time ?? 1, 1) }
func meanTokens(_ rows: [AzureLLMTrace.Row], _ path: KeyPath<AzureLLMTrace.Row, Int32>) -> Double {
    Double(rows.reduce(0) { $0 + Int($1[keyPath: path]) }) / Double(max(rows.count, 1))
}

/// Each site's photo demand is its own clients' mean rate over the windows replayed.
func imageMeanRate(_ s: Scenario, _ traces: TraceData, over seconds: Double, site: Int) -> Double {
    let windows = traces.imageClients.filter { s.siteOfClient($0.key) == site }.values.flatMap { $0 }
        .filter { $0.startS >= imageStartS && $0.startS < imageStartS + max(seconds, 600) }
    let count = Set(traces.imageClients.values.flatMap { $0 }.map(\.startS).filter { $0 >= imageStartS && $0 < imageStartS + max(seconds, 600) }).count
    return windows.reduce(0) { $0 + $1.rate } / Double(max(count, 1))
}

/// The scenario's services at a load level: the plan is made for the demand the traces will bring.
func services(_ s: Scenario, _ traces: TraceData, load: Double) -> [Service] {
    var list: [Service] = []
    for (k, site) in s.edgeSites.enumerated() {
        list.append(Service(name: "chat@\(site)", model: "llama-3-8b-q4", slo: SLO(ttftMs: 1000, tpotMs: 100),
                            demand: Demand(ratePerS: meanRate(traces.conversation) * s.llmSpeedup * load,
                                           inputTokens: meanTokens(traces.conversation, \.inputTokens), outputTokens: meanTokens(traces.conversation, \.outputTokens)),
                            origin: [site]))
        list.append(Service(name: "code@\(site)", model: "qwen2.5-1.5b", slo: SLO(ttftMs: 500, tpotMs: 50),
                            demand: Demand(ratePerS: meanRate(traces.code) * s.llmSpeedup * load,
                                           inputTokens: meanTokens(traces.code, \.inputTokens), outputTokens: meanTokens(traces.code, \.outputTokens)),
                            origin: [site]))
        list.append(Service(name: "detect@\(site)", model: "yolo11s", slo: SLO(latencyMs: 66),
                            stream: StreamDemand(streams: max(1, Int((Double(s.detectStreams) * load).rounded())), fps: 15), origin: [site]))
        list.append(Service(name: "segment@\(site)", model: "deeplabv3plus-mobilenetv2", slo: SLO(latencyMs: 100),
                            stream: StreamDemand(streams: max(1, Int((Double(s.segmentStreams) * load).rounded())), fps: 10), origin: [site]))
        list.append(Service(name: "photo@\(site)", model: "resnet-50", slo: SLO(latencyMs: 100),
                            demand: Demand(ratePerS: imageMeanRate(s, traces, over: s.durationS, site: k) * s.imageScale * load),
                            origin: [site]))
    }
    list.append(Service(name: "big-chat", model: "llama-3.3-70b-q4", slo: SLO(ttftMs: 3000, tpotMs: 150),
                        demand: Demand(ratePerS: s.bigChatRate * load, inputTokens: 1024, outputTokens: 256), origin: s.edgeSites, priority: 2))
    return list
}

/// The traffic: each site's chat and code services replay the Azure traces from their own
/// phase; photo services share ServeGen's mm-image clients; cameras at their fps; the 70B
/// model's requests are Poisson.
func trace(_ s: Scenario, _ traces: TraceData, load: Double, seed: UInt64, plan: Plan, durationS: Double) -> TraceSet {
    let d = Deployment(plan: plan)
    let random = SeededRandom(seed: seed)
    var sources: [any ArrivalSource] = []
    let sites = s.edgeSites
    func index(_ name: String) -> Int32 { Int32(d.serviceIndex[name]!) }
    for (k, site) in sites.enumerated() {
        let origins = d.services[Int(index("chat@\(site)"))].origins
        // Seeds move every site's starting point in the trace.
        let phase = (Double(k) / Double(sites.count) + Double(seed - 1) * 0.37).truncatingRemainder(dividingBy: 1)
        sources.append(PhasedReplay(rows: traces.conversation, service: index("chat@\(site)"), origins: origins, phase: phase,
                                    speedup: s.llmSpeedup * load, endS: durationS, random: random.derived(UInt64(10 + k))))
        sources.append(PhasedReplay(rows: traces.code, service: index("code@\(site)"), origins: origins, phase: phase,
                                    speedup: s.llmSpeedup * load, endS: durationS, random: random.derived(UInt64(100 + k))))
        // Cameras as the plan's services have them (LoadScale's count and rate at this load).
        for name in ["detect", "segment"] {
            let service = index("\(name)@\(site)")
            let fps = d.services[Int(service)].fps
            var phases = random.derived(UInt64(1000 + k * 7 + (name == "detect" ? 0 : 3)))
            for stream in 0..<d.services[Int(service)].streams {
                sources.append(StreamFrames(service: service, stream: Int32(stream), origin: origins[stream % origins.count], fps: fps,
                                            phaseS: phases.unit() / fps, endS: durationS))
            }
        }
    }
    // ServeGen's day starts at midnight; start where the day is busiest so that a short run sees load.
    for (client, windows) in traces.imageClients.sorted(by: { $0.key < $1.key }) {
        let site = sites[s.siteOfClient(client)]
        let service = index("photo@\(site)")
        let origins = d.services[Int(service)].origins
        let shifted = windows.map { ServeGenTrace.Window(startS: $0.startS - imageStartS, rate: $0.rate, cv: $0.cv) }.filter { $0.startS >= 0 }
        sources.append(ServeGenTrace.Client(service: service, origin: origins[client / sites.count % origins.count], windows: shifted,
                                            rateScale: s.imageScale * load, endS: durationS,
                                            random: random.derived(UInt64(5000 + client))))
    }
    sources.append(GeneratedArrivals(service: index("big-chat"), ratePerS: s.bigChatRate * load, process: .poisson, endS: durationS,
                                     inputTokens: 1024, outputTokens: 256, random: random.derived(9)))
    let digest = JSONOutput.digest(["scenario": s.name, "load": "\(load)", "seed": "\(seed)", "duration": "\(durationS)",
                                    "conv": "\(traces.conversation.count)", "code": "\(traces.code.count)", "image": "\(traces.imageClients.count)"])
    return TraceSet(sources: sources, digest: digest, durationS: durationS, description: [:])
}

