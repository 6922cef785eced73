import EparaCore
import EparaDocuments
import Foundation

/// What `epara manifests` reads: the plan (with where its fields are, for errors), the Backends
/// document as the operator wrote it (with images), and the ClassifiedWorkload the replanning
/// job plans from.
public struct ManifestInput {
    public var plan: Plan
    /// The plan file's location of a field path (`services[2].spec.backend`).
    public var planLocation: (String) -> SourceLocation
    public var backends: BackendsDocument?
    /// The Backends document's text, stored for the replanning job to render from.
    public var backendsText: String?
    /// The ClassifiedWorkload's text (compact JSON), for the replanning job.
    public var workloadJSON: String?

    public init(
        plan: Plan, planLocation: @escaping (String) -> SourceLocation, backends: BackendsDocument? = nil,
        backendsText: String? = nil, workloadJSON: String? = nil
    ) {
        self.plan = plan
        self.planLocation = planLocation
        self.backends = backends
        self.backendsText = backendsText
        self.workloadJSON = workloadJSON
    }
}

/// The manifests, and what the operator should know about them (printed on standard error).
public struct ManifestSet: Sendable {
    public var objects: [KubeObject]
    public var notes: [String]

    /// The objects' names as `kubectl get -o name` prints them (`deployment.apps/NAME`,
    /// `service/NAME`), one a line.
    public func kubectlNames() -> String {
        objects.map { object in
            let group = object.apiVersion.split(separator: "/").dropLast().first.map { ".\($0)" } ?? ""
            return "\(object.kind.lowercased())\(group)/\(object.metadata.name)\n"
        }.joined()
    }

    /// Multi-document YAML, each object after `---`, keys sorted as kubectl writes them.
    public func yaml() throws -> String {
        try objects.map { "---\n" + (try ManifestYAML.document($0)) }.joined()
    }
}

/// Kubernetes manifests from a plan: the fleet's gateways (one per node, pinned to it), a
/// model server per instance of a real backend (pinned to its node, with the GPUs and memory
/// the plan gives it), the plan and the documents the gateways read as ConfigMaps, the Services
/// peers and gateways reach each other by, and a CronJob that replans from Prometheus.
public enum Manifests {
    /// Where a gateway pod finds what it reads.
    static let planDirectory = "/etc/epara/plan"
    static let configDirectory = "/etc/epara/config"
    static let tokenDirectory = "/var/run/secrets/epara"

    public static func render(_ input: ManifestInput, options: ManifestOptions) throws(InputError) -> ManifestSet {
        try checkNodeNames(input, options: options)
        let servers = try ModelServers.resolve(input, options: options)
        let serverObjects = servers.flatMap { $0.objects(options) }
        if options.only == .servers || options.only == .names { return ManifestSet(objects: serverObjects, notes: []) }
        let planMap = try configMaps(input, servers: servers, options: options)
        if options.only == .plan { return ManifestSet(objects: [planMap.plan], notes: []) }
        var objects: [KubeObject] = [namespace(options)]
        var notes: [String] = []
        if options.prometheusURL != nil { objects += Replanner.rbacObjects(options) }
        objects.append(planMap.config)
        if let tokens = options.inlineTokens {
            objects.append(tokenSecret(tokens, options))
        } else {
            notes.append(
                "the gateways read their tokens from the Secret '\(options.tokenSecret)', which these manifests do not hold: "
                    + "kubectl -n \(options.namespace) create secret generic \(options.tokenSecret) "
                    + "--from-file=client-token=CLIENT_TOKEN_FILE --from-file=peer-token=PEER_TOKEN_FILE")
        }
        if let tlsSecret = options.tlsSecret {
            notes.append(
                "the gateways read their certificate from the Secret '\(tlsSecret)' (tls.crt, tls.key and ca.crt, as cert-manager writes them), "
                    + "which these manifests do not hold: its certificate must name every gateway's Service, *.\(options.namespace).svc "
                    + "(docs/deploy.md has a cert-manager Certificate)")
        }
        objects.append(planMap.plan)
        objects += serverObjects
        for node in input.plan.cluster.nodes {
            objects += Gateways.objects(node: node.name, configDigest: planMap.configDigest, options: options)
        }
        if options.prometheusURL != nil {
            objects.append(Replanner.cronJob(options))
        } else {
            notes.append("no replanning CronJob: give --prometheus URL (and --workload) for one")
        }
        notes += ModelServers.notes(servers, plan: input.plan)
        let largest = [planMap.plan, planMap.config].map { ($0.data ?? [:]).values.reduce(0) { $0 + $1.utf8.count } }.max() ?? 0
        if largest > 250_000 {
            notes.append(
                "a ConfigMap holds \(largest) bytes: apply with kubectl apply --server-side (client-side apply copies each object into an annotation of at most 256 KiB)"
            )
        }
        return ManifestSet(objects: objects, notes: notes)
    }

    /// With pods pinned by hostname, every node of the plan must be a name Kubernetes gives a
    /// node (lowercase, at most 63 characters): another would leave its pods unschedulable.
    static func checkNodeNames(_ input: ManifestInput, options: ManifestOptions) throws(InputError) {
        var diagnostics: [Diagnostic] = []
        for (i, node) in input.plan.cluster.nodes.enumerated()
        where KubeNames.labelValue(node.name) != node.name
            || (options.nodeLabel == "kubernetes.io/hostname" && node.name.lowercased() != node.name)
        {
            let path = "cluster.nodes[\(i)].name"
            diagnostics.append(
                Diagnostic(
                    at: input.planLocation(path), path: path,
                    "node '\(node.name)' is not a name a Kubernetes node can have (lowercase letters, digits, '-' and '.', at most 63): its pods, pinned by \(options.nodeLabel), would never schedule"
                ))
        }
        if !diagnostics.isEmpty { throw InputError(.badData, diagnostics) }
    }

    /// The labels every object carries (Kubernetes' recommended ones), with its component.
    static func labels(_ options: ManifestOptions, name: String = "epara", component: String) -> [String: String] {
        [
            "app.kubernetes.io/name": KubeNames.labelValue(name),
            "app.kubernetes.io/instance": KubeNames.labelValue(options.name),
            "app.kubernetes.io/version": KubeNames.labelValue(EparaBuild.version),
            "app.kubernetes.io/component": component,
            "app.kubernetes.io/part-of": "epara",
            "app.kubernetes.io/managed-by": "epara",
        ]
    }

    /// A pod template's labels: the object's without its version, so that upgrading epara does
    /// not restart every model server (and reload its weights).
    static func podLabels(_ labels: [String: String]) -> [String: String] {
        labels.filter { $0.key != "app.kubernetes.io/version" }
    }

    /// Marks what a replanning rewrites.
    static let replannedLabel = "epara.io/replanned"

    static func meta(
        _ name: String, _ options: ManifestOptions, labels: [String: String], annotations: [String: String]? = nil
    )
        -> ObjectMeta
    {
        ObjectMeta(name: name, namespace: options.namespace, labels: labels, annotations: annotations)
    }

    static func namespace(_ options: ManifestOptions) -> KubeObject {
        KubeObject(
            apiVersion: "v1", kind: "Namespace",
            metadata: ObjectMeta(name: options.namespace, labels: labels(options, component: "namespace")))
    }

    static func tokenSecret(_ tokens: ManifestOptions.Tokens, _ options: ManifestOptions) -> KubeObject {
        KubeObject(
            apiVersion: "v1", kind: "Secret", metadata: meta(options.tokenSecret, options, labels: labels(options, component: "tokens")),
            type: "Opaque",
            data: [
                "client-token": Data(tokens.client.utf8).base64EncodedString(),
                "peer-token": Data(tokens.peer.utf8).base64EncodedString(),
            ])
    }

    /// The plan's ConfigMap (the plan and the gateways' Backends document: both change when the
    /// plan does, and the gateways reload both) and the configuration's (peers, the operator's
    /// Backends document, the workload the CronJob plans from).
    static func configMaps(
        _ input: ManifestInput, servers: [ModelServer], options: ManifestOptions
    ) throws(InputError) -> (
        plan: KubeObject, config: KubeObject, configDigest: String
    ) {
        let planJSON: String
        do {
            planJSON = String(decoding: try JSONOutput.encoder(pretty: false).encode(input.plan), as: UTF8.self) + "\n"
        } catch {
            throw InputError(.io, at: input.planLocation(""), "cannot encode the plan: \(error)")
        }
        var planLabels = labels(options, component: "plan")
        planLabels[replannedLabel] = "true"
        let planData = ["plan.json": planJSON, "backends.yaml": ModelServers.gatewayBackends(servers, input: input, options: options)]
        let peers = Gateways.peersDocument(input.plan, options: options)
        var configData = ["peers.yaml": peers]
        if let text = input.backendsText { configData["backends-source.yaml"] = text }
        if let workload = input.workloadJSON { configData["workload.json"] = workload }
        for (what, data) in [("plan", planData), ("configuration", configData)] {
            let bytes = data.values.reduce(0) { $0 + $1.utf8.count }
            if bytes > 1_000_000 {
                throw InputError(
                    .badData, at: input.planLocation(""),
                    "the \(what) is \(bytes) bytes, more than a ConfigMap holds (1 MiB): split the fleet into smaller plans")
            }
        }
        let plan = KubeObject(
            apiVersion: "v1", kind: "ConfigMap", metadata: meta("\(options.name)-plan", options, labels: planLabels), data: planData)
        let config = KubeObject(
            apiVersion: "v1", kind: "ConfigMap", metadata: meta("\(options.name)-config", options, labels: labels(options, component: "config")),
            data: configData)
        // The gateways restart when their peers change (a new node); the plan they reload live.
        return (plan, config, JSONOutput.digest(peers))
    }
}
