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
    public var inlineTokens: (client: String, peer: String)?
    /// The node label each node's pods are pinned by (its value: the plan's node name).
    public var nodeLabel: String
    /// Replanning: the Prometheus server the CronJob reads demand from; nil writes no CronJob.
    public var prometheusURL: String?
    public var prometheusWindow: String
    public var schedule: String
    /// An image with `kubectl`, which applies what the replanning job wrote.
    public var kubectlImage: String
    /// Which objects: all of them, or only those a replanning changes.
    public var only: ObjectSet

    public enum ObjectSet: String, Sendable, CaseIterable {
        case all
        /// The plan's ConfigMap and the model servers: what the CronJob applies.
        case plan
    }

    public init(
        name: String = "epara", namespace: String = "epara", image: String = "epara:\(EparaBuild.version)",
        port: Int = 8080, hostPort: Int? = nil, tokenSecret: String? = nil, inlineTokens: (client: String, peer: String)? = nil,
        nodeLabel: String = "kubernetes.io/hostname", prometheusURL: String? = nil, prometheusWindow: String = "5m",
        schedule: String = "*/10 * * * *", kubectlImage: String = "registry.k8s.io/kubectl:v1.31.0", only: ObjectSet = .all
    ) {
        self.name = name
        self.namespace = namespace
        self.image = image
        self.port = port
        self.hostPort = hostPort
        self.tokenSecret = tokenSecret ?? "\(name)-tokens"
        self.inlineTokens = inlineTokens
        self.nodeLabel = nodeLabel
        self.prometheusURL = prometheusURL
        self.prometheusWindow = prometheusWindow
        self.schedule = schedule
        self.kubectlImage = kubectlImage
        self.only = only
    }

    public static func == (a: ManifestOptions, b: ManifestOptions) -> Bool {
        a.name == b.name && a.namespace == b.namespace && a.image == b.image && a.port == b.port && a.hostPort == b.hostPort
            && a.tokenSecret == b.tokenSecret && a.inlineTokens?.client == b.inlineTokens?.client
            && a.inlineTokens?.peer == b.inlineTokens?.peer && a.nodeLabel == b.nodeLabel && a.prometheusURL == b.prometheusURL
            && a.prometheusWindow == b.prometheusWindow && a.schedule == b.schedule && a.kubectlImage == b.kubectlImage
            && a.only == b.only
    }
}
