import EparaCore

/// What the manifests are made with, apart from the plan: names, images, ports, where the
/// tokens are, how gateways are reached and how (whether) a CronJob replans.
public struct ManifestOptions: Sendable, Equatable {
    /// The release: prefix of every object's name and its `app.kubernetes.io/instance` label.
    public var name: String
    public var namespace: String
    /// The epara image the gateways and the replanning job run.
    public var image: String
    /// The port every gateway listens on inside its pod.
    public var port: Int
    /// Also publish each gateway on its node's address at this port (clients at a site reach
    /// their node directly; KubeEdge edge nodes without EdgeMesh need it).
    public var hostPort: Int?
    /// The Secret holding the `client-token` and `peer-token` keys.
    public var tokenSecret: String
    /// The tokens themselves, when the operator asked for the Secret to be written out.
    public var inlineTokens: Tokens?
    /// A `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`, and `ca.crt` as cert-manager writes
    /// it): the gateways serve HTTPS with it and call their peers by https, trusting `ca.crt`;
    /// nil: plain HTTP inside the cluster.
    public var tlsSecret: String?
    /// With `tlsSecret`: every connection must present a certificate `ca.crt` signed (mutual TLS).
    public var mutualTLS: Bool
    /// The node label each node's pods are pinned by (its value: the plan's node name).
    public var nodeLabel: String
    /// Replanning: the Prometheus server the CronJob reads demand from; nil writes no CronJob.
    public var prometheusURL: String?
    public var prometheusWindow: String
    public var schedule: String
    /// An image with `kubectl` and `/bin/sh`, which applies what the replanning job rendered.
    public var kubectlImage: String
    /// Which objects: all of them, or only those a replanning changes.
    public var only: ObjectSet

    public struct Tokens: Sendable, Equatable {
        public var client: String
        public var peer: String

        public init(client: String, peer: String) {
            self.client = client
            self.peer = peer
        }
    }

    /// What the replanning job renders, one set at a time.
    public enum ObjectSet: String, Sendable, CaseIterable {
        case all
        /// The plan's ConfigMap (the plan and the gateways' Backends document).
        case plan
        /// The model servers' Deployments and Services.
        case servers
        /// The model servers' objects by name, one a line, as `kubectl get -o name` prints them.
        case names
    }

    public init(
        name: String = "epara", namespace: String = "epara", image: String = "epara:\(EparaBuild.version)",
        port: Int = 8080, hostPort: Int? = nil, tokenSecret: String? = nil, inlineTokens: Tokens? = nil,
        tlsSecret: String? = nil, mutualTLS: Bool = false, nodeLabel: String = "kubernetes.io/hostname", prometheusURL: String? = nil,
        prometheusWindow: String = "5m",
        schedule: String = "*/10 * * * *", kubectlImage: String = "docker.io/alpine/k8s:1.31.0", only: ObjectSet = .all
    ) {
        self.name = name
        self.namespace = namespace
        self.image = image
        self.port = port
        self.hostPort = hostPort
        self.tokenSecret = tokenSecret ?? "\(name)-tokens"
        self.inlineTokens = inlineTokens
        self.tlsSecret = tlsSecret
        self.mutualTLS = mutualTLS
        self.nodeLabel = nodeLabel
        self.prometheusURL = prometheusURL
        self.prometheusWindow = prometheusWindow
        self.schedule = schedule
        self.kubectlImage = kubectlImage
        self.only = only
    }
}
