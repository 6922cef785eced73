import EparaClassify
import EparaCore
import Foundation

@testable import EparaPlan

enum PlanFixtures {
    static let catalog = BuiltinCatalog.load()

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func example() throws -> ClassifiedWorkload {
        let sources = try ["cluster", "services", "catalog"].map {
            try SourceText.load(root.appendingPathComponent("examples/edge-lab/\($0).yaml").path)
        }
        return Classifier.classify(try DocumentReader.workload(sources, builtin: catalog))
    }

    static let deviceTypes = ["rtx-4090", "l4", "jetson-agx-orin-64gb", "jetson-orin-nx-16gb", "jetson-orin-nano-8gb", "raspberry-pi-5", "a100-80gb"]
    static let visionModels = ["yolo11n", "yolo11s", "resnet-50", "deeplabv3plus-mobilenetv2", "segformer-b0", "mobile-sam"]
    static let llms = ["qwen2.5-1.5b", "llama-3-8b-q4", "llama-3.2-3b-q4", "llama-3.3-70b-q4"]

    /// A random heterogeneous cluster and workload, classified with unservable services allowed.
    static func random(seed: UInt64, nodes: Int, services: Int) -> ClassifiedWorkload {
        var rng = SeededRandom(state: seed)
        let sites = (0..<max(1, nodes / 4)).map { "site\($0)" }
        let clusterNodes = (0..<nodes).map { i in
            ClusterNode(
                name: "n\(i)", site: sites[i % sites.count],
                devices: [DeviceGroup(type: deviceTypes.randomElement(using: &rng)!, count: Int.random(in: 1...2, using: &rng))])
        }
        let links = sites.count > 1 ? [SiteLink(sites: [sites[0], sites[1]], bandwidthMbps: 200, latencyMs: 5)] : []
        let cluster = Cluster(name: "random", nodes: clusterNodes, network: Network(default: Link(bandwidthMbps: 1000, latencyMs: 0.5), links: links))
        var list: [Service] = []
        for i in 0..<services {
            let origin = [sites.randomElement(using: &rng)!]
            if Bool.random(using: &rng) {
                let model = llms.randomElement(using: &rng)!
                list.append(
                    Service(
                        name: "llm\(i)", model: model,
                        slo: SLO(ttftMs: Double.random(in: 800...4000, using: &rng), tpotMs: Double.random(in: 60...250, using: &rng)),
                        demand: Demand(ratePerS: Double.random(in: 0.1...3, using: &rng), inputTokens: 512, outputTokens: 128),
                        origin: origin, priority: Bool.random(using: &rng) ? 1 : 2))
            } else {
                let model = visionModels.randomElement(using: &rng)!
                let stream = Bool.random(using: &rng)
                list.append(
                    Service(
                        name: "vis\(i)", model: model, slo: SLO(latencyMs: Double.random(in: 30...300, using: &rng)),
                        demand: stream ? nil : Demand(ratePerS: Double.random(in: 1...100, using: &rng)),
                        stream: stream
                            ? StreamDemand(streams: Int.random(in: 1...8, using: &rng), fps: [5, 10, 15, 30].randomElement(using: &rng)!) : nil,
                        origin: origin))
            }
        }
        return Classifier.classify(Workload(cluster: cluster, services: list, catalog: catalog))
    }
}
