/// Generated fleets for benchmarks and scale tests: clusters that mix RTX 4090 and L4 servers
/// (one to four GPUs), A100s, Jetson AGX Orin, Orin NX and Orin Nano boards and Raspberry Pis in
/// sites of 40 nodes, and services of which a quarter are LLMs (some 70B, which need model
/// parallelism) and the rest vision requests and camera streams, each arriving at one site.
/// The same seed gives the same fleet.
public enum SyntheticFleet {
    static let deviceMix: [(String, Int)] = [
        ("rtx-4090", 2), ("l4", 2), ("a100-80gb", 1), ("jetson-agx-orin-64gb", 3), ("jetson-orin-nx-16gb", 5),
        ("jetson-orin-nano-8gb", 5), ("raspberry-pi-5", 4),
    ]
    static let vision = ["yolo11n", "yolo11s", "resnet-50", "deeplabv3plus-mobilenetv2", "segformer-b0", "mobile-sam", "unet"]
    static let llms = ["qwen2.5-1.5b", "llama-3-8b-q4", "llama-3.2-3b-q4", "llama-3.3-70b-q4"]

    public static func workload(nodes: Int, services: Int, seed: UInt64, catalog: Catalog = BuiltinCatalog.load()) -> Workload {
        // SplitMix64 from the raw seed, so every run generates the same fleet.
        var rng = SeededRandom(state: seed)
        let sites = (0..<max(1, nodes / 40)).map { "site\($0)" }
        let weighted = deviceMix.flatMap { Array(repeating: $0.0, count: $0.1) }
        let clusterNodes = (0..<nodes).map { i in
            let type = weighted.randomElement(using: &rng)!
            let count = type.hasPrefix("jetson") || type.hasPrefix("raspberry") ? 1 : Int.random(in: 1...4, using: &rng)
            return ClusterNode(name: "node\(i)", site: sites[i % sites.count], devices: [DeviceGroup(type: type, count: count)])
        }
        var links: [SiteLink] = []
        for (i, a) in sites.enumerated() {
            for b in sites.dropFirst(i + 1) { links.append(SiteLink(sites: [a, b], bandwidthMbps: 1000, latencyMs: 5)) }
        }
        let list = (0..<services).map { i -> Service in
            let origin = [sites.randomElement(using: &rng)!]
            if i % 4 == 0 {
                return Service(
                    name: "llm\(i)", model: llms.randomElement(using: &rng)!, slo: SLO(ttftMs: 2000, tpotMs: 150),
                    demand: Demand(ratePerS: Double.random(in: 0.2...4, using: &rng), inputTokens: 1024, outputTokens: 200),
                    origin: origin, priority: i % 8 == 0 ? 2 : 1)
            }
            let stream = i % 2 == 1
            return Service(
                name: "vision\(i)", model: vision.randomElement(using: &rng)!, slo: SLO(latencyMs: Double.random(in: 50...300, using: &rng)),
                demand: stream ? nil : Demand(ratePerS: Double.random(in: 5...200, using: &rng)),
                stream: stream ? StreamDemand(streams: Int.random(in: 1...16, using: &rng), fps: 15) : nil, origin: origin)
        }
        return Workload(
            cluster: Cluster(
                name: "synthetic", nodes: clusterNodes,
                network: Network(default: Link(bandwidthMbps: 10_000, latencyMs: 0.3), links: links)),
            services: list, catalog: catalog)
    }
}
