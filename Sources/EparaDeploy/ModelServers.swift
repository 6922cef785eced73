import EparaCore
import EparaDocuments
import Foundation

/// One instance of a real backend, as Kubernetes runs it: a model-server Deployment per node the
/// instance spans (one for a single node; for a model-parallel group across nodes, the head on
/// its first stage's node and a worker on each other), each pinned to its node with the GPUs and
/// memory the plan gives it there, and a Service in front of the head, which its gateway calls.
struct ModelServer {
    struct Part {
        var node: String
        var gpus: Int
        /// Memory is the node's own (Jetsons' unified memory, CPUs): what the plan gives the
        /// model is then host memory the pod must be granted, not only allowed.
        var unifiedMemory: Bool
        var memoryGib: Double
        /// Largest fraction of one device's memory the plan gives the instance on this node.
        var memoryFraction: Double
    }

    var instance: Instance
    var category: Category
    var target: BackendTarget
    var server: ModelServerSpec
    var parts: [Part]
    /// Another instance shares one of its GPUs (EPARA's GPU sharing).
    var sharesGPU: Bool

    /// Its objects' name (distinct from every other instance's, `ModelServers.resolve` sees to it).
    var objectName: String

    func deploymentName(_ rank: Int) -> String {
        rank == 0 ? objectName : KubeNames.object(objectName, "worker", String(rank))
    }
    /// The headless Service that names the head's pod, ready or not, for a group's workers to
    /// join it (its head is ready only once they have).
    var headName: String { KubeNames.object(objectName, "head") }
    func headHost(_ options: ManifestOptions) -> String {
        "\(parts.count > 1 ? headName : objectName).\(options.namespace).svc"
    }

    /// Where the gateway sends the instance's requests.
    func url(_ options: ManifestOptions) -> String { "http://\(objectName).\(options.namespace).svc:\(server.port)" }

    func selector(_ rank: Int, _ options: ManifestOptions) -> [String: String] {
        [
            "app.kubernetes.io/instance": KubeNames.labelValue(options.name),
            "app.kubernetes.io/component": "model-server",
            "epara.io/instance": KubeNames.labelValue(instance.id),
            "epara.io/rank": String(rank),
        ]
    }

    func objects(_ options: ManifestOptions) -> [KubeObject] {
        var objects: [KubeObject] = []
        for (rank, part) in parts.enumerated() {
            var labels = Manifests.labels(options, name: instance.service, component: "model-server")
            labels[Manifests.replannedLabel] = "true"
            labels["epara.io/service"] = KubeNames.labelValue(instance.service)
            labels["epara.io/instance"] = KubeNames.labelValue(instance.id)
            labels["epara.io/node"] = KubeNames.labelValue(part.node)
            labels["epara.io/request-category"] = category.request.rawValue
            if let resource = category.resource { labels["epara.io/resource-category"] = resource.rawValue }
            labels["epara.io/rank"] = String(rank)
            var annotations = ["epara.io/instance-id": instance.id, "epara.io/modes": instance.modes.joined(separator: ",")]
            if sharesGPU { annotations["epara.io/shares-gpu"] = "true" }
            let values = placeholderValues(rank: rank, part: part, options: options)
            // The limit is what the plan gives the model plus a GiB for the server itself. With
            // unified memory the request is the same, so the node's inference memory is never
            // overcommitted; on a discrete GPU the weights live in GPU memory, and the request is
            // the server's own GiB.
            var limits = ["memory": Self.mebibytes(part.memoryGib + 1)]
            var requests = ["cpu": "250m", "memory": part.unifiedMemory ? limits["memory"]! : Self.mebibytes(1)]
            if part.gpus > 0 {
                limits["nvidia.com/gpu"] = String(part.gpus)
                requests["nvidia.com/gpu"] = String(part.gpus)
            }
            let probe: Probe =
                server.healthPath.map { Probe(httpGet: .init(path: $0, port: "http"), periodSeconds: 10, failureThreshold: 3) }
                ?? Probe(tcpSocket: .init(port: "http"), periodSeconds: 10, failureThreshold: 3)
            let container = Container(
                name: "model-server", image: server.image,
                args: server.args.isEmpty ? nil : server.args.map { Self.fill($0, values) },
                env: [
                    EnvVar(name: "EPARA_INSTANCE", value: instance.id), EnvVar(name: "EPARA_GROUP_RANK", value: String(rank)),
                    EnvVar(name: "EPARA_GROUP_SIZE", value: String(parts.count)),
                    EnvVar(name: "EPARA_GROUP_HEAD", value: headHost(options)),
                ],
                ports: [ContainerPort(name: "http", containerPort: server.port)],
                resources: ResourceRequirements(requests: requests, limits: limits),
                readinessProbe: rank == 0 ? probe : nil)
            let pod = PodSpec(
                nodeSelector: [options.nodeLabel: part.node],
                tolerations: [Toleration(key: "node-role.kubernetes.io/edge", operator: "Exists", effect: "NoSchedule")],
                containers: [container])
            objects.append(
                KubeObject(
                    apiVersion: "apps/v1", kind: "Deployment",
                    metadata: Manifests.meta(deploymentName(rank), options, labels: labels, annotations: annotations),
                    spec: .deployment(
                        DeploymentSpec(
                            replicas: 1, selector: LabelSelector(matchLabels: selector(rank, options)),
                            strategy: .init(type: "Recreate"),
                            template: PodTemplate(metadata: .init(labels: Manifests.podLabels(labels), annotations: annotations), spec: pod)))))
            if rank == 0 {
                objects.insert(
                    KubeObject(
                        apiVersion: "v1", kind: "Service",
                        metadata: Manifests.meta(objectName, options, labels: labels, annotations: ["epara.io/instance-id": instance.id]),
                        spec: .service(
                            ServiceSpec(
                                selector: selector(0, options), ports: [ServicePort(name: "http", port: server.port, targetPort: "http")]))),
                    at: 0)
                if parts.count > 1 {
                    objects.insert(
                        KubeObject(
                            apiVersion: "v1", kind: "Service",
                            metadata: Manifests.meta(headName, options, labels: labels, annotations: ["epara.io/instance-id": instance.id]),
                            spec: .service(
                                ServiceSpec(type: nil, clusterIP: "None", publishNotReadyAddresses: true, selector: selector(0, options), ports: nil))
                        ),
                        at: 1)
                }
            }
        }
        return objects
    }

    func placeholderValues(rank: Int, part: Part, options: ManifestOptions) -> [String: String] {
        [
            "model": target.model, "port": String(server.port), "instance": instance.id, "gpus": String(part.gpus),
            "tensor_parallel": String(instance.stages.first?.tensorParallel ?? 1),
            "pipeline_parallel": String(max(instance.stages.count, 1)),
            "memory_fraction": String(format: "%.2f", part.memoryFraction), "rank": String(rank), "group_size": String(parts.count),
            "head": headHost(options),
        ]
    }

    static func fill(_ argument: String, _ values: [String: String]) -> String {
        var text = argument
        for (name, value) in values { text = text.replacingOccurrences(of: "{\(name)}", with: value) }
        return text
    }

    static func mebibytes(_ gib: Double) -> String { "\(Int((gib * 1024).rounded(.up)))Mi" }
}

enum ModelServers {
    /// Every instance of a service with a real backend, with its server's image; a real backend
    /// with no image to run it is an error, located where the backend was given.
    static func resolve(_ input: ManifestInput, options: ManifestOptions) throws(InputError) -> [ModelServer] {
        let plan = input.plan
        let table = BackendTable(plan: plan, document: input.backends)
        let deviceTypes = Dictionary(plan.catalog.devices.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let services = Dictionary(plan.services.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var servers: [ModelServer] = []
        var diagnostics: [Diagnostic] = []
        var reported: Set<String> = []
        let occupants = Dictionary(plan.devices.map { ($0.device, $0.instances.count) }, uniquingKeysWith: max)
        for instance in plan.instances {
            guard let service = services[instance.service], let head = instance.devices.first?.node else { continue }
            let target = table.target(service: instance.service, node: head, instance: instance.id)
            guard target.isReal else { continue }
            guard let server = table.server(service: instance.service, node: head, instance: instance.id) else {
                if reported.insert(instance.service).inserted {
                    let index = plan.services.firstIndex { $0.name == instance.service } ?? 0
                    let path = "services[\(index)].spec.backend"
                    diagnostics.append(
                        Diagnostic(
                            at: input.planLocation(path), path: path,
                            "service '\(instance.service)' has a real backend (\(target.kind.rawValue)) with no image to run its server: give one in the Backends document (--backends), such as {service: \(instance.service), type: \(target.kind.rawValue), url: \(target.url ?? "http://…"), image: vllm/vllm-openai:v0.6.3}"
                        ))
                }
                continue
            }
            var parts: [ModelServer.Part] = []
            for (k, device) in instance.devices.enumerated() {
                let type = deviceTypes[device.device]
                let memory = k < instance.memoryGibPerDevice.count ? instance.memoryGibPerDevice[k] : 0
                let isGPU = type.map { $0.deviceClass != .cpu } ?? false
                let fraction = type.map { $0.memoryGib > 0 ? memory / $0.memoryGib : 0 } ?? 0
                let unified = type.map { $0.deviceClass != .gpu } ?? false
                if let i = parts.firstIndex(where: { $0.node == device.node }) {
                    parts[i].gpus += isGPU ? 1 : 0
                    parts[i].unifiedMemory = parts[i].unifiedMemory || unified
                    parts[i].memoryGib += memory
                    parts[i].memoryFraction = max(parts[i].memoryFraction, fraction)
                } else {
                    parts.append(
                        .init(node: device.node, gpus: isGPU ? 1 : 0, unifiedMemory: unified, memoryGib: memory, memoryFraction: fraction))
                }
            }
            // Rounded up to the hundredth, so the server never gets less than the plan gave it.
            for i in parts.indices { parts[i].memoryFraction = min(1, (parts[i].memoryFraction * 100).rounded(.up) / 100) }
            let shares = instance.devices.contains { (occupants[$0] ?? 0) > 1 }
            servers.append(
                ModelServer(
                    instance: instance, category: service.category, target: target, server: server, parts: parts, sharesGPU: shares,
                    objectName: KubeNames.object(options.name, instance.id)))
        }
        if !diagnostics.isEmpty { throw InputError(.badData, diagnostics) }
        // Two ids that differ only in what a DNS label cannot hold (`chat-a@x`, `chat@a-x`) would
        // share a name: each of those then carries its id's digest.
        let counts = Dictionary(servers.map { ($0.objectName, 1) }, uniquingKeysWith: +)
        for i in servers.indices where counts[servers[i].objectName, default: 0] > 1 {
            servers[i].objectName = KubeNames.object([options.name, servers[i].instance.id], distinct: true)
        }
        return servers
    }

    /// The Backends document the gateways read: each real instance's server by its Service, and
    /// the operator's emulated entries as they were.
    static func gatewayBackends(_ servers: [ModelServer], input: ManifestInput, options: ManifestOptions) -> String {
        var text = "apiVersion: epara/v1\nkind: Backends\nbackends:\n"
        if servers.isEmpty && !(input.backends?.entries.contains { !$0.target.isReal } ?? false) { return text + "  []\n" }
        for server in servers {
            let timeout = Int((server.target.timeoutS * 1000).rounded())
            text +=
                "  - {service: \(JSONOutput.quoted(server.instance.service)), instance: \(JSONOutput.quoted(server.instance.id)), "
                + "type: \(server.target.kind.rawValue), url: \(JSONOutput.quoted(server.url(options))), "
                + "model: \(JSONOutput.quoted(server.target.model)), timeout: \(timeout)ms}\n"
        }
        for entry in input.backends?.entries ?? [] where !entry.target.isReal {
            var fields = ["service: \(JSONOutput.quoted(entry.service))"]
            if let node = entry.node { fields.append("node: \(JSONOutput.quoted(node))") }
            if let instance = entry.instance { fields.append("instance: \(JSONOutput.quoted(instance))") }
            fields.append("type: emulated")
            if entry.target.timeScale != 1 { fields.append("time_scale: \(entry.target.timeScale)") }
            text += "  - {\(fields.joined(separator: ", "))}\n"
        }
        return text
    }

    /// What the operator must know: GPUs shared between instances, groups across nodes.
    static func notes(_ servers: [ModelServer], plan: Plan) -> [String] {
        var notes: [String] = []
        let shared = Set(servers.filter { $0.sharesGPU && $0.parts.contains { $0.gpus > 0 } }.flatMap { $0.parts.map(\.node) })
        if !shared.isEmpty {
            notes.append(
                "instances share GPUs on \(shared.sorted().joined(separator: ", ")): each asks for a whole nvidia.com/gpu, so the NVIDIA device plugin there must offer time-slicing with at least as many replicas per GPU as instances share one (docs/deploy.md)"
            )
        }
        for server in servers where server.parts.count > 1 {
            notes.append(
                "instance \(server.instance.id) spans \(server.parts.map(\.node).joined(separator: ", ")): one Deployment per node (rank 0 the head); the server image must join them itself (EPARA_GROUP_* variables, {rank} and {head} in args)"
            )
        }
        return notes
    }
}
