import EparaCore
import EparaDocuments

/// One gateway per node: a Deployment pinned to the node by its hostname label (and tolerating
/// KubeEdge's edge-node taint), and the Service its peers and its clients reach it by.
enum Gateways {
    static func name(_ node: String, _ options: ManifestOptions) -> String { KubeNames.object(options.name, "gateway", node) }

    static func selector(_ node: String, _ options: ManifestOptions) -> [String: String] {
        [
            "app.kubernetes.io/name": "epara",
            "app.kubernetes.io/instance": KubeNames.labelValue(options.name),
            "app.kubernetes.io/component": "gateway",
            "epara.io/node": KubeNames.labelValue(node),
        ]
    }

    /// The gateway's URL inside the cluster, as the Peers document gives it.
    static func url(_ node: String, _ options: ManifestOptions) -> String {
        "http://\(name(node, options)).\(options.namespace).svc:\(options.port)"
    }

    /// Every node's gateway by its Service (a gateway skips its own entry); with a host port, a
    /// node the Cluster document gives an `address` by that address instead (KubeEdge's edge
    /// nodes reach each other's Services only through EdgeMesh).
    static func peersDocument(_ plan: Plan, options: ManifestOptions) -> String {
        var text = "apiVersion: epara/v1\nkind: Peers\npeers:\n"
        for node in plan.cluster.nodes {
            let address = options.hostPort != nil ? node.address : nil
            text += "  \(JSONOutput.quoted(node.name)): \(JSONOutput.quoted(address ?? url(node.name, options)))\n"
        }
        return text
    }

    static func objects(node: String, configDigest: String, options: ManifestOptions) -> [KubeObject] {
        var labels = Manifests.labels(options, component: "gateway")
        labels["epara.io/node"] = KubeNames.labelValue(node)
        let name = name(node, options)
        let tokens = Manifests.tokenDirectory
        let container = Container(
            name: "gateway", image: options.image, command: ["epara"],
            args: [
                "serve", "\(Manifests.planDirectory)/plan.json", "--engine", "live", "--node", node,
                "--listen", "0.0.0.0:\(options.port)",
                "--peers", "\(Manifests.configDirectory)/peers.yaml",
                "--backends", "\(Manifests.planDirectory)/backends.yaml",
                "--client-token-file", "\(tokens)/client-token", "--peer-token-file", "\(tokens)/peer-token",
            ],
            ports: [ContainerPort(name: "http", containerPort: options.port, hostPort: options.hostPort)],
            resources: ResourceRequirements(requests: ["cpu": "100m", "memory": "64Mi"], limits: ["memory": "512Mi"]),
            volumeMounts: [
                VolumeMount(name: "plan", mountPath: Manifests.planDirectory, readOnly: true),
                VolumeMount(name: "config", mountPath: Manifests.configDirectory, readOnly: true),
                VolumeMount(name: "tokens", mountPath: tokens, readOnly: true),
            ],
            livenessProbe: Probe(httpGet: .init(path: "/healthz", port: "http"), periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3),
            readinessProbe: Probe(httpGet: .init(path: "/readyz", port: "http"), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2),
            securityContext: .locked)
        let pod = PodSpec(
            nodeSelector: [options.nodeLabel: node],
            tolerations: [Toleration(key: "node-role.kubernetes.io/edge", operator: "Exists", effect: "NoSchedule")],
            // Long enough to drain: the gateway finishes the requests it holds on SIGTERM.
            terminationGracePeriodSeconds: 60,
            securityContext: .nonRoot,
            containers: [container],
            volumes: [
                // The whole ConfigMap as a directory (not subPath): kubelet then swaps it in place
                // when it changes, and the gateway's plan watch sees the new plan.
                Volume(name: "plan", configMap: .init(name: "\(options.name)-plan")),
                Volume(name: "config", configMap: .init(name: "\(options.name)-config")),
                Volume(name: "tokens", secret: .init(secretName: options.tokenSecret, defaultMode: 0o440)),
            ])
        let annotations = [
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(options.port),
            "prometheus.io/path": "/metrics",
            "epara.io/config-digest": configDigest,
        ]
        let deployment = KubeObject(
            apiVersion: "apps/v1", kind: "Deployment", metadata: Manifests.meta(name, options, labels: labels),
            spec: .deployment(
                DeploymentSpec(
                    replicas: 1, selector: LabelSelector(matchLabels: selector(node, options)), strategy: .init(type: "Recreate"),
                    template: PodTemplate(metadata: .init(labels: Manifests.podLabels(labels), annotations: annotations), spec: pod))))
        let service = KubeObject(
            apiVersion: "v1", kind: "Service", metadata: Manifests.meta(name, options, labels: labels),
            spec: .service(
                ServiceSpec(selector: selector(node, options), ports: [ServicePort(name: "http", port: options.port, targetPort: "http")])))
        return [service, deployment]
    }
}
