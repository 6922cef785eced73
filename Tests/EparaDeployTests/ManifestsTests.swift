import EparaClassify
import EparaCore
import EparaDeploy
import EparaDocuments
import EparaPlan
import Foundation
import XCTest

/// The manifests as values: what goes where, per instance and per node.
final class ManifestsTests: XCTestCase {
    static func examplePlan() throws -> Plan {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = try ["cluster.yaml", "services.yaml", "catalog.yaml"].map {
            try SourceText.load(root.appendingPathComponent("examples/edge-lab/\($0)").path)
        }
        return try Planner.plan(Classifier.classify(try DocumentReader.workload(sources, builtin: BuiltinCatalog.load())))
    }

    static func render(_ plan: Plan, backends: String?, options: ManifestOptions = ManifestOptions()) throws -> ManifestSet {
        let document = try backends.map { try BackendsDocument.read(SourceText(name: "backends.yaml", text: $0), plan: plan, requireImages: true) }
        return try Manifests.render(
            ManifestInput(plan: plan, planLocation: { _ in SourceLocation(file: "plan.json", line: 1, column: 1) }, backends: document),
            options: options)
    }

    static let chatBackend = """
        apiVersion: epara/v1
        kind: Backends
        backends:
          - {service: chat, type: openai, url: "http://127.0.0.1:9000", model: llama, image: "vllm/vllm-openai:v0.6.3", args: ["--port", "{port}", "--gpu-memory-utilization", "{memory_fraction}", "--tensor-parallel-size", "{tensor_parallel}"]}
        """

    func testEveryChatInstanceGetsAServerPinnedToItsNodeWithItsGPUs() throws {
        let plan = try Self.examplePlan()
        let set = try Self.render(plan, backends: Self.chatBackend)
        let chats = plan.instances.filter { $0.service == "chat" }
        XCTAssertFalse(chats.isEmpty)
        let servers = set.objects.filter { $0.kind == "Deployment" && $0.metadata.labels?["app.kubernetes.io/component"] == "model-server" }
        XCTAssertEqual(servers.count, chats.count)
        for instance in chats {
            let server = try XCTUnwrap(servers.first { $0.metadata.annotations?["epara.io/instance-id"] == instance.id })
            guard case let .deployment(spec) = server.spec else { return XCTFail("a Deployment's spec") }
            let pod = spec.template.spec
            XCTAssertEqual(pod.nodeSelector?["kubernetes.io/hostname"], instance.devices[0].node)
            let container = pod.containers[0]
            XCTAssertEqual(container.resources?.limits?["nvidia.com/gpu"], String(instance.devices.count))
            XCTAssertEqual(container.args?[1], "9000", "{port} from the url")
            let fraction = try XCTUnwrap(Double(container.args?[3] ?? ""))
            let device = try XCTUnwrap(plan.catalog.devices.first { $0.name == instance.devices[0].device })
            XCTAssertGreaterThanOrEqual(fraction, instance.memoryGibPerDevice.max()! / device.memoryGib, "never less memory than planned")
            // A discrete GPU holds the weights: the pod is granted the server's own GiB and
            // allowed what the plan gives the model on top.
            XCTAssertEqual(container.resources?.requests["memory"], "1024Mi")
            let limit = try XCTUnwrap(container.resources?.limits?["memory"].flatMap { Double($0.dropLast(2)) })
            XCTAssertGreaterThanOrEqual(limit, (instance.memoryGibPerDevice.reduce(0, +) + 1) * 1024)
        }
        // The gateways' Backends document points each instance at its own Service.
        let planMap = try XCTUnwrap(set.objects.first { $0.metadata.name == "epara-plan" })
        let gatewayBackends = try XCTUnwrap(planMap.data?["backends.yaml"])
        let document = try BackendsDocument.read(SourceText(name: "backends.yaml", text: gatewayBackends), plan: plan)
        XCTAssertEqual(document.entries.filter { $0.target.isReal }.map { $0.instance }, chats.map(\.id))
        let table = BackendTable(plan: plan, document: document)
        for instance in chats {
            let url = try XCTUnwrap(table.target(service: "chat", node: instance.devices[0].node, instance: instance.id).url)
            XCTAssertTrue(url.hasSuffix(".epara.svc:9000"), url)
            XCTAssertTrue(set.objects.contains { $0.kind == "Service" && url.contains("//\($0.metadata.name).") }, url)
        }
    }

    func testOneGatewayAndServicePerNodeAndPeersByService() throws {
        let plan = try Self.examplePlan()
        let set = try Self.render(plan, backends: nil, options: ManifestOptions(name: "lab", namespace: "edge"))
        for node in plan.cluster.nodes {
            XCTAssertTrue(set.objects.contains { $0.kind == "Deployment" && $0.metadata.name == "lab-gateway-\(node.name)" })
            XCTAssertTrue(set.objects.contains { $0.kind == "Service" && $0.metadata.name == "lab-gateway-\(node.name)" })
        }
        let config = try XCTUnwrap(set.objects.first { $0.metadata.name == "lab-config" })
        let peers = try PeersDocument.read(SourceText(name: "peers.yaml", text: try XCTUnwrap(config.data?["peers.yaml"])), plan: plan)
        XCTAssertEqual(peers["gpu-server-a"], "http://lab-gateway-gpu-server-a.edge.svc:8080")
        XCTAssertTrue(set.objects.allSatisfy { $0.kind == "Namespace" || $0.metadata.namespace == "edge" })
        XCTAssertFalse(set.objects.contains { $0.kind == "CronJob" }, "no Prometheus, no replanning job")
    }

    /// `--tls-secret`: every gateway mounts the certificate Secret, serves HTTPS with it, trusts its
    /// CA for peers it calls by https, and kubelet probes over HTTPS; with mutual TLS the gateways
    /// also ask every client for a certificate, and the probes only connect.
    func testACertificateSecretMakesEveryGatewayHTTPS() throws {
        let plan = try Self.examplePlan()
        for mutual in [false, true] {
            let set = try Self.render(
                plan, backends: nil, options: ManifestOptions(name: "lab", namespace: "edge", tlsSecret: "lab-tls", mutualTLS: mutual))
            let config = try XCTUnwrap(set.objects.first { $0.metadata.name == "lab-config" })
            let peers = try PeersDocument.read(SourceText(name: "peers.yaml", text: try XCTUnwrap(config.data?["peers.yaml"])), plan: plan)
            XCTAssertEqual(peers["gpu-server-a"], "https://lab-gateway-gpu-server-a.edge.svc:8080")
            let gateways = set.objects.filter { $0.kind == "Deployment" && $0.metadata.name.hasPrefix("lab-gateway-") }
            XCTAssertEqual(gateways.count, plan.cluster.nodes.count)
            for gateway in gateways {
                guard case let .deployment(spec) = gateway.spec else { return XCTFail("not a Deployment") }
                let pod = spec.template.spec
                let container = try XCTUnwrap(pod.containers.first)
                let args = container.args ?? []
                for (option, file) in [("--tls-cert", "tls.crt"), ("--tls-key", "tls.key"), ("--tls-peer-ca", "ca.crt")] {
                    XCTAssertEqual(args.firstIndex(of: option).map { args[$0 + 1] }, "/var/run/secrets/epara-tls/\(file)", option)
                }
                XCTAssertEqual(args.contains("--tls-client-ca"), mutual)
                XCTAssertTrue((pod.volumes ?? []).contains { $0.name == "tls" && $0.secret?.secretName == "lab-tls" })
                XCTAssertTrue((container.volumeMounts ?? []).contains { $0.name == "tls" && $0.mountPath == "/var/run/secrets/epara-tls" })
                XCTAssertEqual(container.readinessProbe?.httpGet?.scheme, mutual ? nil : "HTTPS")
                XCTAssertEqual(container.readinessProbe?.tcpSocket != nil, mutual)
                XCTAssertEqual(spec.template.metadata.annotations?["prometheus.io/scheme"], "https")
            }
        }
    }

    func testTheReplanningJobPlansFromPrometheusAndAppliesInOrder() throws {
        let plan = try Self.examplePlan()
        let set = try Self.render(plan, backends: nil, options: ManifestOptions(prometheusURL: "http://prom:9090", prometheusWindow: "10m"))
        let job = try XCTUnwrap(set.objects.first { $0.kind == "CronJob" })
        guard case let .cronJob(spec) = job.spec else { return XCTFail("a CronJob's spec") }
        let pod = spec.jobTemplate.spec.template.spec
        let script = try XCTUnwrap(pod.initContainers?.first?.command?.last)
        XCTAssertTrue(script.contains("--prometheus http://prom:9090 --prometheus-window 10m"), script)
        XCTAssertTrue(script.contains("--previous /etc/epara/plan/plan.json --detailed-exitcode"), script)
        // Servers of both plans first, then the wait for the new ones, then the ConfigMap, then
        // the sweep of servers neither plan has.
        let apply = try XCTUnwrap(pod.containers.first?.command?.last)
        let steps = ["/work/servers-next.yaml", "wait --for=condition=Available", "apply /work/plan.yaml", "delete \"$object\""]
        let positions = try steps.map { step in try XCTUnwrap(apply.range(of: step), step).lowerBound }
        XCTAssertEqual(positions, positions.sorted(), apply)
        XCTAssertFalse(apply.contains("--prune"), "nothing is pruned before the gateways have the new plan")
        XCTAssertEqual(pod.serviceAccountName, "epara-replanner")
        XCTAssertTrue(set.objects.contains { $0.kind == "RoleBinding" })
    }
}
