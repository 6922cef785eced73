import EparaCore

/// The replanning CronJob and what it may touch. Every run plans from the demand Prometheus
/// saw, migration-aware from the plan in force (`--previous`), and puts a changed plan in force
/// in an order that never leaves a gateway calling a server that is not there:
///
/// 1. the model servers of both plans are applied (new instances' servers start; none is
///    removed yet), and the job waits until the new plan's are available;
/// 2. then the plan's ConfigMap is applied, which the gateways reload once kubelet has swapped it
///    (within about a minute);
/// 3. then servers that neither plan has are deleted: those a replanning at least one schedule
///    period earlier removed, which every gateway has stopped calling since.
///
/// An unchanged plan changes nothing: the same objects are applied again.
enum Replanner {
    static func name(_ options: ManifestOptions) -> String { "\(options.name)-replanner" }

    static func rbacObjects(_ options: ManifestOptions) -> [KubeObject] {
        let labels = Manifests.labels(options, component: "replanner")
        let name = name(options)
        // Server-side apply gets and patches; `kubectl wait` lists and watches; the sweep lists
        // and deletes.
        let verbs = ["get", "list", "watch", "create", "patch", "update", "delete"]
        let role = KubeObject(
            apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: Manifests.meta(name, options, labels: labels),
            rules: [
                PolicyRule(apiGroups: [""], resources: ["configmaps", "services"], verbs: verbs),
                PolicyRule(apiGroups: ["apps"], resources: ["deployments"], verbs: verbs),
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
        if let tlsSecret = options.tlsSecret { arguments += ["--tls-secret", tlsSecret] + (options.mutualTLS ? ["--tls-mutual"] : []) }
        return arguments
    }

    /// What the job's epara container runs: plan, then render into /work what the kubectl
    /// container applies — the new plan's ConfigMap, both plans' servers, the new plan's
    /// Deployments to wait for, and the names of every server to keep.
    static func planScript(_ options: ManifestOptions) -> String {
        let config = Manifests.configDirectory, plan = Manifests.planDirectory
        let render = renderArguments(options).map(Shell.quoted).joined(separator: " ")
        return """
            set -u
            epara plan \(config)/workload.json --prometheus \(Shell.quoted(options.prometheusURL ?? "")) \
            --prometheus-window \(Shell.quoted(options.prometheusWindow)) \
            --previous \(plan)/plan.json --detailed-exitcode > /work/next.json
            status=$?
            case $status in
              0) next=\(plan)/plan.json; echo "epara replan: the plan in force stays" >&2 ;;
              2) next=/work/next.json; echo "epara replan: the plan changed" >&2 ;;
              *) exit $status ;;
            esac
            set -e
            backends=""
            if [ -f \(config)/backends-source.yaml ]; then backends="--backends \(config)/backends-source.yaml"; fi
            render() { epara manifests "$1" $backends \(render) --only "$2"; }
            render "$next" plan > /work/plan.yaml
            render \(plan)/plan.json servers > /work/servers-in-force.yaml
            render "$next" servers > /work/servers-next.yaml
            { render \(plan)/plan.json names; render "$next" names; } | sort -u > /work/keep.txt
            render "$next" names | grep '^deployment' > /work/wait.txt || true

            """
    }

    /// What the job's kubectl container runs, in the order the type's comment gives.
    static func applyScript(_ options: ManifestOptions) -> String {
        let namespace = Shell.quoted(options.namespace)
        let selector = Shell.quoted(
            "app.kubernetes.io/instance=\(KubeNames.labelValue(options.name)),app.kubernetes.io/component=model-server")
        return """
            set -eu
            apply() { kubectl --namespace \(namespace) apply --server-side --field-manager=epara-replanner --force-conflicts --filename "$1"; }
            for servers in /work/servers-in-force.yaml /work/servers-next.yaml; do
              if [ -s "$servers" ]; then apply "$servers"; fi
            done
            if [ -s /work/wait.txt ]; then
              kubectl --namespace \(namespace) wait --for=condition=Available --timeout=15m $(cat /work/wait.txt)
            fi
            apply /work/plan.yaml
            for object in $(kubectl --namespace \(namespace) get deployment,service --selector \(selector) --output name); do
              if ! grep -qx "$object" /work/keep.txt; then kubectl --namespace \(namespace) delete "$object"; fi
            done

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
            name: "replan", image: options.image, command: ["/bin/sh", "-c", planScript(options)],
            resources: ResourceRequirements(requests: ["cpu": "500m", "memory": "256Mi"], limits: ["memory": "2Gi"]),
            volumeMounts: mounts, securityContext: .locked)
        let apply = Container(
            name: "apply", image: options.kubectlImage, command: ["/bin/sh", "-c", applyScript(options)],
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
                            backoffLimit: 0, activeDeadlineSeconds: 1800,
                            template: PodTemplate(metadata: .init(labels: labels), spec: pod))))))
    }
}
