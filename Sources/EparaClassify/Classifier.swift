import EparaCore
import Foundation

public enum Classifier {
    /// Classifies every service of `workload`. Pure: the same workload and thresholds give the same value.
    public static func classify(_ workload: Workload, thresholds: Thresholds = Thresholds()) -> ClassifiedWorkload {
        let usedDevices = Set(workload.cluster.nodes.flatMap { $0.devices.map(\.type) })
        let usedModels = Set(workload.services.map(\.model))
        let catalog = workload.catalog.restricted(devices: usedDevices, models: usedModels)
        let model = LatencyModel(catalog: catalog)
        let services = workload.services.map { classify($0, cluster: workload.cluster, latency: model, thresholds: thresholds) }
        var summary: [String: Int] = [:]
        for label in CategoryLabel.all + [CategoryLabel.unservable] {
            summary[label] = services.filter { $0.servable ? $0.category.label == label : label == CategoryLabel.unservable }.count
        }
        let input = Workload(cluster: workload.cluster, services: workload.services, catalog: catalog)
        return ClassifiedWorkload(
            inputDigest: JSONOutput.digest(input), thresholds: thresholds, cluster: workload.cluster,
            catalog: catalog, services: services, summary: summary)
    }

    static func classify(_ service: Service, cluster: Cluster, latency: LatencyModel, thresholds: Thresholds) -> ClassifiedService {
        guard let spec = latency.catalog.model(service.model) else {
            preconditionFailure("DocumentReader guarantees every service's model is in the catalog")
        }
        let probe = ServiceProbe(service: service, model: spec, cluster: cluster, latency: latency, thresholds: thresholds)
        var evidence = probe.evidence()

        let requestRule: RequestCategory
        var reasons: [String] = []
        if let stream = service.stream, stream.fps >= thresholds.minStreamFps {
            requestRule = .frequency
            reasons.append("\(stream.streams) stream(s) at \(format(stream.fps)) fps: the objective is a sustained frame rate")
        } else if let stream = service.stream {
            requestRule = .latency
            reasons.append("streams at \(format(stream.fps)) fps (below \(format(thresholds.minStreamFps))) are handled frame by frame")
        } else {
            requestRule = .latency
            reasons.append("independent requests, each with its own deadline")
        }

        let singleOK = probe.singleDeviceMeetsSLO(evidence)
        var resourceRule: ResourceCategory? = nil
        var unservable: String? = nil
        if singleOK {
            resourceRule = .singleGPU
            evidence.minModelParallelDegree = 1
            reasons.append("one \(evidence.bestDevice ?? "device") holds it and meets the SLO with slack \(format(evidence.slackRatio ?? 0))")
        } else if let group = probe.smallestModelParallelGroup() {
            resourceRule = .multiGPU
            evidence.minModelParallelDegree = group.group.deviceCount
            evidence.modelParallelGroup = group.group
            evidence.modelParallelLatencyMs = group.timing.latencyMs.rounded(places: 3)
            evidence.modelParallelTpotMs = spec.kind == .llm ? group.timing.tpotMs.rounded(places: 3) : nil
            reasons.append(probe.whyNotSingle(evidence) + "; \(group.group.deviceCount) devices in model parallel do")
        } else {
            unservable = probe.whyNotSingle(evidence) + "; no model-parallel group of the cluster's devices does either"
            reasons.append(unservable!)
        }

        let declared = service.category
        let request = declared?.request ?? requestRule
        let resource = declared?.resource ?? resourceRule
        let isDeclared = declared?.request != nil || declared?.resource != nil
        if isDeclared { reasons.insert("declared in the Services document", at: 0) }
        let label = CategoryLabel.of(request, resource ?? .multiGPU)
        return ClassifiedService(
            name: service.name, spec: service, modelKind: spec.kind,
            category: Category(
                request: request, resource: resource, label: label, declared: isDeclared,
                reason: reasons.joined(separator: "; ")),
            evidence: evidence, servable: unservable == nil, unservableReason: unservable)
    }

    public static func format(_ x: Double) -> String {
        x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x)
    }
}
