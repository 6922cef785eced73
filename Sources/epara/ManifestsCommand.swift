import ArgumentParser
import EparaCore
import EparaDeploy
import EparaDocuments
import EparaLive
import Foundation

struct ManifestsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "manifests",
        abstract: "Write the Kubernetes manifests that deploy a plan (K3s, KubeEdge).",
        discussion: """
            Reads a Plan (the output of `epara plan`) and writes Kubernetes objects as \
            multi-document YAML, for `kubectl apply -f -`: a Namespace; the plan and the \
            gateways' Backends document in a ConfigMap (NAME-plan), the peers, the operator's \
            Backends document and the workload in another (NAME-config); one gateway Deployment \
            and Service per node, pinned by its kubernetes.io/hostname label (the plan's node \
            names are the Kubernetes node names) and tolerating KubeEdge's edge-node taint; one \
            model-server Deployment and Service per instance of a real backend, with the image, \
            arguments and port the Backends document gives, nvidia.com/gpu for the GPUs the \
            instance uses and memory from the plan; with --prometheus, a CronJob that replans \
            from Prometheus and applies the plan's objects when the plan changed.

            The tokens are read from a Secret (NAME-tokens, keys client-token and peer-token) \
            that the operator creates; --inline-tokens writes it from the token files instead.

            In a Backends entry, image, args, port and health say how to run the model \
            server; args may hold {model}, {port}, {gpus}, {tensor_parallel}, \
            {pipeline_parallel}, {memory_fraction}, {instance}, {rank}, {group_size} and {head}.

            Examples:
              epara manifests plan.json --backends backends.yaml | kubectl apply -f -
              epara manifests plan.json --backends backends.yaml --workload classified.json \\
                --prometheus http://prometheus.monitoring.svc:9090 > fleet.yaml
            """
    )

    @Argument(help: ArgumentHelp("A Plan (JSON); - or nothing reads standard input.", valueName: "file"))
    var file: String?

    @OptionGroup
    var destination: OutputOptions

    @Option(help: ArgumentHelp("A Backends document: each real backend's server, with its image.", valueName: "file"))
    var backends: String?

    @Option(help: ArgumentHelp("The ClassifiedWorkload the plan was made from (the replanning CronJob plans from it).", valueName: "file"))
    var workload: String?

    @Option(help: "Prefix of every object's name (the app.kubernetes.io/instance label).")
    var name: String = "epara"

    @Option(help: "Namespace of every object.")
    var namespace: String = "epara"

    @Option(help: "The epara image of the gateways and the replanning job.")
    var image: String = "epara:\(EparaBuild.version)"

    @Option(help: "Port the gateways listen on in their pods.")
    var port: Int = 8080

    @Option(help: ArgumentHelp("Also publish each gateway at this port of its node's address.", valueName: "port"))
    var hostPort: Int?

    @Option(help: ArgumentHelp("The Secret with the client-token and peer-token keys (default: NAME-tokens).", valueName: "name"))
    var tokenSecret: String?

    @Flag(help: "Write the tokens' Secret from --client-token-file and --peer-token-file (it then holds them, base64, on stdout).")
    var inlineTokens = false

    @Option(help: ArgumentHelp("With --inline-tokens: the file holding the client token.", valueName: "file"))
    var clientTokenFile: String?

    @Option(help: ArgumentHelp("With --inline-tokens: the file holding the peer token.", valueName: "file"))
    var peerTokenFile: String?

    @Option(
        help: ArgumentHelp(
            "A kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt): the gateways serve HTTPS and call their peers by https.",
            valueName: "name"))
    var tlsSecret: String?

    @Flag(help: "With --tls-secret: mutual TLS, every connection presents a certificate ca.crt signed (kubelet's probes then only connect).")
    var tlsMutual = false

    @Option(help: ArgumentHelp("The node label pods are pinned by; its value is the plan's node name.", valueName: "key"))
    var nodeLabel: String = "kubernetes.io/hostname"

    @Option(help: ArgumentHelp("Prometheus server the replanning CronJob reads demand from (no CronJob without it).", valueName: "url"))
    var prometheus: String?

    @Option(help: ArgumentHelp("Window of observed demand the CronJob plans for.", valueName: "duration"))
    var prometheusWindow = DurationArgument("5m")

    @Option(help: ArgumentHelp("When the CronJob replans (cron syntax).", valueName: "schedule"))
    var schedule: String = "*/10 * * * *"

    @Option(help: ArgumentHelp("An image with kubectl and /bin/sh, which applies what the CronJob rendered.", valueName: "image"))
    var kubectlImage: String = "docker.io/alpine/k8s:1.31.0"

    @Option(
        help:
            "Which objects: all; or, for the replanning job, plan (the plan's ConfigMap), servers (the model servers), names (the servers' objects by name, one a line)."
    )
    var only: ManifestOptions.ObjectSet = .all

    func validate() throws {
        for (option, value) in [
            ("--name", name), ("--namespace", namespace), ("--token-secret", tokenSecret ?? name), ("--tls-secret", tlsSecret ?? name),
        ] {
            guard KubeNames.object(value) == value, value.count <= 40 else {
                throw ValidationError(
                    "\(option) must be a DNS label of at most 40 lowercase letters, digits and '-', starting with a letter, found '\(value)'")
            }
        }
        for (option, value) in [("--port", port), ("--host-port", hostPort ?? port)] where !(1...65535).contains(value) {
            throw ValidationError("\(option) must be from 1 to 65535, found \(value)")
        }
        if tlsMutual && tlsSecret == nil { throw ValidationError("--tls-mutual goes with --tls-secret") }
        if inlineTokens != (clientTokenFile != nil && peerTokenFile != nil) || (!inlineTokens && (clientTokenFile != nil || peerTokenFile != nil)) {
            throw ValidationError("--inline-tokens goes with both --client-token-file and --peer-token-file")
        }
        if prometheus != nil, workload == nil, only == .all {
            throw ValidationError("--prometheus needs --workload: the replanning CronJob plans from the ClassifiedWorkload")
        }
        if let prometheus, !(prometheus.hasPrefix("http://") || prometheus.hasPrefix("https://")) {
            throw ValidationError("--prometheus expects the server's URL, such as http://prometheus.monitoring.svc:9090, found '\(prometheus)'")
        }
        try prometheusWindow.requirePositive("--prometheus-window")
        guard schedule.split(separator: " ").count == 5 || schedule.hasPrefix("@") else {
            throw ValidationError("--schedule expects five cron fields, such as '*/10 * * * *', found '\(schedule)'")
        }
    }

    func run() throws {
        try StageIO.run {
            let source = try StageIO.load(file.map { [$0] } ?? [])[0]
            let document = try StageDocument<Plan>.read(source, kind: "Plan", producedBy: "epara plan")
            let plan = document.value
            let backendsSource = try backends.map { try SourceText.load($0) }
            let backendsDocument = try backendsSource.map { source throws(InputError) in
                try BackendsDocument.read(source, plan: plan, requireImages: true, ignoringUnknownInstances: only != .all)
            }
            var workloadJSON: String? = nil
            if let workload {
                let value = try StageDocument<ClassifiedWorkload>.read(
                    try SourceText.load(workload), kind: "ClassifiedWorkload", producedBy: "epara classify"
                ).value
                workloadJSON = String(decoding: try JSONOutput.encoder(pretty: false).encode(value), as: UTF8.self) + "\n"
            }
            var tokens: ManifestOptions.Tokens? = nil
            if inlineTokens, let clientTokenFile, let peerTokenFile {
                tokens = ManifestOptions.Tokens(client: try Self.token(clientTokenFile), peer: try Self.token(peerTokenFile))
            }
            let options = ManifestOptions(
                name: name, namespace: namespace, image: image, port: port, hostPort: hostPort, tokenSecret: tokenSecret,
                inlineTokens: tokens, tlsSecret: tlsSecret, mutualTLS: tlsMutual, nodeLabel: nodeLabel, prometheusURL: prometheus,
                prometheusWindow: prometheusWindow.description,
                schedule: schedule, kubectlImage: kubectlImage, only: only)
            let input = ManifestInput(
                plan: plan, planLocation: { document.location(of: $0) }, backends: backendsDocument, backendsText: backendsSource?.text,
                workloadJSON: workloadJSON)
            let set = try Manifests.render(input, options: options)
            for note in set.notes { StageIO.printError("epara manifests: note: \(note)") }
            try destination.write(only == .names ? set.kubectlNames() : try set.yaml())
        }
    }

    static func token(_ path: String) throws -> String {
        let text = try SourceText.load(path).text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw ValidationError("the token in \(path) is empty") }
        return text
    }
}

extension ManifestOptions.ObjectSet: ExpressibleByArgument {}
