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
        "\(options.tlsSecret == nil ? "http" : "https")://\(name(node, options)).\(options.namespace).svc:\(options.port)"
    }

    /// Where a gateway pod finds its certificate Secret.
    static let tlsDirectory = "/var/run/secrets/epara-tls"

    /// The TLS options of `epara serve` for the certificate Secret's files.
    static func tlsArguments(_ options: ManifestOptions) -> [String] {
        guard options.tlsSecret != nil else { return [] }
        let files = tlsDirectory
        var arguments = ["--tls-cert", "\(files)/tls.crt", "--tls-key", "\(files)/tls.key", "--tls-peer-ca", "\(files)/ca.crt"]
        if options.mutualTLS { arguments += ["--tls-client-ca", "\(files)/ca.crt"] }
        return arguments
    }

    /// kubelet's probes: HTTP(S) GETs of the health routes; under mutual TLS kubelet has no client
    /// certificate to present, so the probes only open a TCP connection.
    static func probe(_ path: String, periodSeconds: Int, failureThreshold: Int, _ options: ManifestOptions) -> Probe {
        if options.tlsSecret != nil && options.mutualTLS {
            return Probe(tcpSocket: .init(port: "http"), periodSeconds: periodSeconds, timeoutSeconds: 2, failureThreshold: failureThreshold)
        }
        return Probe(
            httpGet: .init(path: path, port: "http", scheme: options.tlsSecret == nil ? nil : "HTTPS"), periodSeconds: periodSeconds,
            timeoutSeconds: 2, failureThreshold: failureThreshold)
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
            ] + tlsArguments(options),
            ports: [ContainerPort(name: "http", containerPort: options.port, hostPort: options.hostPort)],
            resources: ResourceRequirements(requests: ["cpu": "100m", "memory": "64Mi"], limits: ["memory": "512Mi"]),
            volumeMounts: [
                VolumeMount(name: "plan", mountPath: Manifests.planDirectory, readOnly: true),
                VolumeMount(name: "config", mountPath: Manifests.configDirectory, readOnly: true),
                VolumeMount(name: "tokens", mountPath: tokens, readOnly: true),
            ] + (options.tlsSecret == nil ? [] : [VolumeMount(name: "tls", mountPath: tlsDirectory, readOnly: true)]),
            livenessProbe: probe("/healthz", periodSeconds: 10, failureThreshold: 3, options),
            readinessProbe: probe("/readyz", periodSeconds: 5, failureThreshold: 2, options),
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
            ] + (options.tlsSecret.map { [Volume(name: "tls", secret: .init(secretName: $0, defaultMode: 0o440))] } ?? []))
        var annotations = [
            "prometheus.io/scrape": "true",
            "prometheus.io/port": String(options.port),
            "prometheus.io/path": "/metrics",
            "epara.io/config-digest": configDigest,
        ]
        if options.tlsSecret != nil { annotations["prometheus.io/scheme"] = "https" }
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
