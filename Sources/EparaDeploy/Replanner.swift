import EparaCore

/// The replanning CronJob and what it may touch. Every run plans from the demand Prometheus
/// saw, migration-aware from the plan in force (`--previous`); when the plan changed
/// (`--detailed-exitcode` exits 2) it renders the plan's objects again — the plan's ConfigMap,
/// the model servers and their Services — and `kubectl apply --prune` puts them in force: the
/// gateways see their ConfigMap change and reload. When nothing changed it applies the objects
/// of the plan in force, which changes nothing.
enum Replanner {
    static func name(_ options: ManifestOptions) -> String { "\(options.name)-replanner" }

    static func access(_ options: ManifestOptions) -> [KubeObject] {
        let labels = Manifests.labels(options, component: "replanner")
        let name = name(options)
        let role = KubeObject(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: Manifests.meta(name, options, labels: labels),
            rules: [
                // `kubectl apply --prune` lists what it may prune, and gets and patches what it applies.
                PolicyRule(apiGroups: [""], resources: ["configmaps", "services"], verbs: ["get", "list", "create", "patch", "update", "delete"]),
                PolicyRule(apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "create", "patch", "update", "delete"]),
            ])
        let binding = KubeObject(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "RoleBinding", metadata: Manifests.meta(name, options, labels: labels),
            roleRef: RoleRef(name: name), subjects: [Subject(name: name, namespace: options.namespace)])
        let account = KubeObject(apiVersion: "v1", kind: "ServiceAccount", metadata: Manifests.meta(name, options, labels: labels))
        return [account, role, binding]
    }

    /// The arguments `epara manifests` was given that shape the plan's objects, for the job to
    /// render them the same way.
    static func renderArguments(_ options: ManifestOptions) -> [String] {
        var arguments = ["--name", options.name, "--namespace", options.namespace, "--image", options.image, "--port", String(options.port)]
        if let hostPort = options.hostPort { arguments += ["--host-port", String(hostPort)] }
        arguments += ["--token-secret", options.tokenSecret, "--node-label", options.nodeLabel]
        return arguments
    }

    /// A POSIX shell word.
    static func shellQuoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,@%+".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    static func script(_ options: ManifestOptions) -> String {
        let config = Manifests.configDirectory, plan = Manifests.planDirectory
        let render = renderArguments(options).map(shellQuoted).joined(separator: " ")
        return """
            epara plan \(config)/workload.json --prometheus \(shellQuoted(options.prometheusURL ?? "")) \
            --prometheus-window \(shellQuoted(options.prometheusWindow)) \
            --previous \(plan)/plan.json --detailed-exitcode > /work/next.json
            status=$?
            case $status in
              0) next=\(plan)/plan.json; echo "epara replan: the plan in force stays" >&2 ;;
              2) next=/work/next.json; echo "epara replan: the plan changed" >&2 ;;
              *) exit $status ;;
            esac
            backends=""
            if [ -f \(config)/backends-source.yaml ]; then backends="--backends \(config)/backends-source.yaml"; fi
            exec epara manifests "$next" $backends --only plan \(render) > /work/replanned.yaml

            """
    }

    static func cronJob(_ options: ManifestOptions) -> KubeObject {
        let labels = Manifests.labels(options, component: "replanner")
        let mounts = [
            VolumeMount(name: "plan", mountPath: Manifests.planDirectory, readOnly: true),
            VolumeMount(name: "config", mountPath: Manifests.configDirectory, readOnly: true),
            VolumeMount(name: "work", mountPath: "/work"),
        ]
        let replan = Container(
            name: "replan", image: options.image, command: ["/bin/sh", "-c", script(options)],
            resources: ResourceRequirements(requests: ["cpu": "500m", "memory": "256Mi"], limits: ["memory": "2Gi"]),
            volumeMounts: mounts, securityContext: .locked)
        let selector = "app.kubernetes.io/instance=\(KubeNames.labelValue(options.name)),\(Manifests.replannedLabel)=true"
        let apply = Container(
            name: "apply", image: options.kubectlImage, command: ["kubectl"],
            args: [
                "apply", "--namespace", options.namespace, "--filename", "/work/replanned.yaml", "--prune", "--selector", selector,
                "--prune-allowlist=core/v1/ConfigMap", "--prune-allowlist=core/v1/Service", "--prune-allowlist=apps/v1/Deployment",
            ],
            // kubectl keeps its discovery cache under $HOME: a scratch directory, the root file
            // system being read-only.
            env: [EnvVar(name: "HOME", value: "/tmp")],
            resources: ResourceRequirements(requests: ["cpu": "100m", "memory": "64Mi"], limits: ["memory": "256Mi"]),
            volumeMounts: [VolumeMount(name: "work", mountPath: "/work", readOnly: true), VolumeMount(name: "tmp", mountPath: "/tmp")],
            securityContext: .locked)
        let pod = PodSpec(
            serviceAccountName: name(options), restartPolicy: "Never", securityContext: .nonRoot, initContainers: [replan],
            containers: [apply],
            volumes: [
                Volume(name: "plan", configMap: .init(name: "\(options.name)-plan")),
                Volume(name: "config", configMap: .init(name: "\(options.name)-config")),
                Volume(name: "work", emptyDir: .init()),
                Volume(name: "tmp", emptyDir: .init()),
            ])
        return KubeObject(
            apiVersion: "batch/v1", kind: "CronJob", metadata: Manifests.meta(name(options), options, labels: labels),
            spec: .cronJob(
                CronJobSpec(
                    schedule: options.schedule,
                    jobTemplate: .init(
                        spec: JobSpec(
                            backoffLimit: 0, activeDeadlineSeconds: 600,
                            template: PodTemplate(metadata: .init(labels: labels), spec: pod))))))
    }
}
