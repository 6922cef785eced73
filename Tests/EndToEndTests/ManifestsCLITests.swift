import Foundation
import XCTest

/// `epara manifests`: golden manifests for the example, the example's and the bench clusters'
/// manifests validated against Kubernetes' OpenAPI schemas (strict: no unknown field) with
/// kubernetes-validate, and bad inputs refused with located errors.
final class ManifestsCLITests: XCTestCase {
    static let goldenPlan = "Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json"
    static let goldenWorkload = "Tests/EndToEndTests/Fixtures/golden/edge-lab.classified.json"
    static let exampleArguments = [
        "manifests", goldenPlan, "--backends", "examples/kubernetes/backends.yaml", "--workload", goldenWorkload,
        "--prometheus", "http://prometheus.monitoring.svc:9090",
    ]
    /// The Kubernetes versions the manifests are checked against: the oldest K3s and KubeEdge
    /// releases still maintained, and a recent one.
    static let kubernetesVersions = ["1.30.0", "1.34.0"]

    /// Golden file: the example's manifests, byte for byte (`make goldens` regenerates them).
    func testManifestsOfTheExampleMatchesGolden() throws {
        let result = try Epara.run(Self.exampleArguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        try Golden.assertMatches(result.stdout, file: "edge-lab.manifests.yaml", "the example's manifests")
        XCTAssertTrue(result.stderr.contains("create secret generic epara-tokens"), "says how to make the tokens' Secret: \(result.stderr)")
    }

    func testManifestsHoldWhatAFleetNeeds() throws {
        let result = try Epara.run(Self.exampleArguments)
        XCTAssertEqual(result.status, 0, result.stderr)
        let text = result.stdoutText
        let plan =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Epara.packageRoot.appendingPathComponent(Self.goldenPlan))) as! [String: Any]
        let nodes = ((plan["cluster"] as! [String: Any])["nodes"] as! [[String: Any]]).map { $0["name"] as! String }
        for node in nodes {
            XCTAssertTrue(text.contains("name: epara-gateway-\(node)\n"), "a gateway for \(node)")
            XCTAssertTrue(text.contains("kubernetes.io/hostname: \(node)\n"), "pinned to \(node)")
        }
        let kinds = text.components(separatedBy: "\n").filter { $0.hasPrefix("kind: ") }
        XCTAssertEqual(kinds.filter { $0 == "kind: Namespace" }.count, 1)
        XCTAssertEqual(kinds.filter { $0 == "kind: CronJob" }.count, 1)
        XCTAssertEqual(kinds.filter { $0 == "kind: ConfigMap" }.count, 2)
        XCTAssertFalse(kinds.contains("kind: Secret"), "tokens are referenced, not written out")
        let instances = (plan["instances"] as! [[String: Any]])
        let real = instances.filter { ["chat", "big-chat", "photo-classify"].contains($0["service"] as! String) }
        let names = try Epara.run(["manifests", Self.goldenPlan, "--backends", "examples/kubernetes/backends.yaml", "--only", "names"])
        let deployments = names.stdoutText.split(separator: "\n").filter { $0.hasPrefix("deployment.apps/") }
        XCTAssertEqual(deployments.count, real.count, "one model server per instance of a real backend (all on one node each)")
        XCTAssertFalse(real.isEmpty)
        XCTAssertTrue(text.contains("nvidia.com/gpu:"), "GPUs requested")
        XCTAssertTrue(text.contains("node-role.kubernetes.io/edge"), "KubeEdge's edge taint tolerated")
        XCTAssertTrue(text.contains("path: /readyz"), "readiness once the plan is loaded")
        // The same input gives the same bytes.
        XCTAssertEqual(try Epara.run(Self.exampleArguments).stdout, result.stdout)
    }

    /// What the replanning job renders, one set at a time: the plan's ConfigMap, the model
    /// servers, and their objects' names as kubectl prints them.
    func testOnlySetsAreWhatTheReplanningJobApplies() throws {
        let base = ["manifests", Self.goldenPlan, "--backends", "examples/kubernetes/backends.yaml", "--only"]
        func kinds(_ result: EparaResult) -> Set<String> { Set(result.stdoutText.components(separatedBy: "\n").filter { $0.hasPrefix("kind: ") }) }
        let plan = try Epara.run(base + ["plan"])
        XCTAssertEqual(plan.status, 0, plan.stderr)
        XCTAssertEqual(kinds(plan), ["kind: ConfigMap"])
        XCTAssertTrue(plan.stdoutText.contains("name: epara-plan\n"))
        let servers = try Epara.run(base + ["servers"])
        XCTAssertEqual(kinds(servers), ["kind: Deployment", "kind: Service"])
        XCTAssertFalse(servers.stdoutText.contains("component: gateway"))
        let names = try Epara.run(base + ["names"])
        XCTAssertEqual(names.status, 0, names.stderr)
        let lines = names.stdoutText.split(separator: "\n").map(String.init)
        let deployments = servers.stdoutText.components(separatedBy: "---\n").filter { $0.contains("kind: Deployment") }.count
        XCTAssertEqual(lines.filter { $0.hasPrefix("deployment.apps/epara-") }.count, deployments)
        XCTAssertEqual(lines.filter { $0.hasPrefix("service/epara-") }.count, lines.count - deployments)
        // A Backends entry for an instance a later plan dropped is left out there, not refused.
        let directory = try scratchDirectory("epara-manifests-stale-instance")
        defer { try? FileManager.default.removeItem(at: directory) }
        let backends = directory.appendingPathComponent("backends.yaml")
        try
            (try String(contentsOf: Epara.packageRoot.appendingPathComponent("examples/kubernetes/backends.yaml"), encoding: .utf8)
            + "  - {service: chat, instance: \"chat@gone/l4#9\", type: openai, url: \"http://127.0.0.1:8000\", image: vllm/vllm-openai:v0.6.3}\n")
            .write(to: backends, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Epara.run(["manifests", Self.goldenPlan, "--backends", backends.path, "--only", "servers"]).status, 0)
        let all = try Epara.run(["manifests", Self.goldenPlan, "--backends", backends.path])
        XCTAssertEqual(all.status, 65, "all of them: the operator's own typo is refused")
        XCTAssertTrue(all.stderr.contains("unknown instance 'chat@gone/l4#9'"), all.stderr)
    }

    func testInlineTokensWriteTheSecretOnlyWhenAsked() throws {
        let directory = try scratchDirectory("epara-manifests-tokens")
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = directory.appendingPathComponent("client"), peer = directory.appendingPathComponent("peer")
        try "client-secret\n".write(to: client, atomically: true, encoding: .utf8)
        try "peer-secret\n".write(to: peer, atomically: true, encoding: .utf8)
        let result = try Epara.run([
            "manifests", Self.goldenPlan, "--inline-tokens", "--client-token-file", client.path, "--peer-token-file", peer.path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdoutText.contains("kind: Secret"))
        XCTAssertTrue(result.stdoutText.contains(Data("client-secret".utf8).base64EncodedString()))
        let missing = try Epara.run(["manifests", Self.goldenPlan, "--client-token-file", client.path])
        XCTAssertEqual(missing.status, 64, missing.stderr)
    }

    /// The manifests of the example and of every bench cluster (with a model server for each
    /// chat service) are valid Kubernetes objects, strictly, for each version checked.
    func testManifestsValidateAgainstKubernetesSchemas() throws {
        let validator = try RealBackendTests.locate(
            "EPARA_KUBERNETES_VALIDATE", default: RealBackendTests.live.appendingPathComponent("kubernetes/bin/kubernetes-validate"))
        let directory = try scratchDirectory("epara-manifests-validate")
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [URL] = []
        let example = try Epara.run(Self.exampleArguments)
        XCTAssertEqual(example.status, 0, example.stderr)
        files.append(directory.appendingPathComponent("edge-lab.yaml"))
        try example.stdout.write(to: files[0])
        // With a certificate Secret: HTTPS gateways and probes, and with mutual TLS, TCP probes.
        for (name, tls) in [("tls", ["--tls-secret", "lab-tls"]), ("mutual-tls", ["--tls-secret", "lab-tls", "--tls-mutual"])] {
            let secured = try Epara.run(Self.exampleArguments + tls)
            XCTAssertEqual(secured.status, 0, secured.stderr)
            XCTAssertTrue(secured.stderr.contains("from the Secret 'lab-tls'"), secured.stderr)
            let file = directory.appendingPathComponent("edge-lab-\(name).yaml")
            try secured.stdout.write(to: file)
            files.append(file)
        }
        for scenario in ["small", "medium", "large"] {
            let root = Epara.packageRoot.appendingPathComponent("bench/scenarios/\(scenario)")
            let classified = try Epara.run([
                "classify", root.appendingPathComponent("cluster.yaml").path, root.appendingPathComponent("services.yaml").path,
            ])
            XCTAssertEqual(classified.status, 0, classified.stderr)
            let plan = try Epara.run(["plan", "--allow-partial"], stdin: classified.stdout, timeout: 300)
            XCTAssertEqual(plan.status, 0, plan.stderr)
            let planURL = directory.appendingPathComponent("\(scenario).plan.json")
            try plan.stdout.write(to: planURL)
            let workload = directory.appendingPathComponent("\(scenario).classified.json")
            try classified.stdout.write(to: workload)
            let services = try (JSONSerialization.jsonObject(with: classified.stdout) as! [String: Any])["services"] as! [[String: Any]]
            let chats = services.map { $0["name"] as! String }.filter { $0.hasPrefix("chat") }
            let backends = directory.appendingPathComponent("\(scenario).backends.yaml")
            try
                (["apiVersion: epara/v1", "kind: Backends", "backends:"]
                + chats.map {
                    "  - {service: \($0), type: openai, url: \"http://127.0.0.1:8000\", image: \"vllm/vllm-openai:v0.6.3\", args: [--port, \"{port}\"]}"
                })
                .joined(separator: "\n").write(to: backends, atomically: true, encoding: .utf8)
            let manifests = try Epara.run(
                [
                    "manifests", planURL.path, "--backends", backends.path, "--workload", workload.path, "--prometheus",
                    "http://prometheus:9090", "--host-port", "8080",
                ], timeout: 120)
            XCTAssertEqual(manifests.status, 0, manifests.stderr)
            let file = directory.appendingPathComponent("\(scenario).yaml")
            try manifests.stdout.write(to: file)
            files.append(file)
        }
        for version in Self.kubernetesVersions {
            let process = Process()
            process.executableURL = validator
            process.arguments = ["--strict", "--quiet", "-k", version] + files.map(\.path)
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "kubernetes-validate --strict -k \(version):\n\(text.prefix(4000))")
        }
    }

    /// A Backends document without an image for a real backend: exit 65, located at the entry.
    func testARealBackendWithoutAnImageIsALocatedError() throws {
        let directory = try scratchDirectory("epara-manifests-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let backends = directory.appendingPathComponent("backends.yaml")
        try "apiVersion: epara/v1\nkind: Backends\nbackends:\n  - {service: chat, type: openai, url: \"http://127.0.0.1:8000\"}\n"
            .write(to: backends, atomically: true, encoding: .utf8)
        let result = try Epara.run(["manifests", Self.goldenPlan, "--backends", backends.path])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stdout.isEmpty)
        XCTAssertTrue(result.stderr.contains("\(backends.path):4:5: error: backends[0]: the openai backend needs an image"), result.stderr)
        XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr)
        // A placeholder the manifests do not know, located at the argument.
        try
            "apiVersion: epara/v1\nkind: Backends\nbackends:\n  - {service: chat, type: openai, url: \"http://127.0.0.1:8000\", image: vllm/vllm-openai:v0.6.3, args: [\"{modle}\"]}\n"
            .write(to: backends, atomically: true, encoding: .utf8)
        let placeholder = try Epara.run(["manifests", Self.goldenPlan, "--backends", backends.path])
        XCTAssertEqual(placeholder.status, 65, placeholder.stderr)
        XCTAssertTrue(placeholder.stderr.contains("backends[0].args[0]: unknown placeholder {modle}"), placeholder.stderr)
    }

    /// A real backend given only in the Services document has no image: located in the plan.
    func testAServicesBackendWithoutAnImageIsLocatedInThePlan() throws {
        let directory = try scratchDirectory("epara-manifests-services-backend")
        defer { try? FileManager.default.removeItem(at: directory) }
        var plan =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Epara.packageRoot.appendingPathComponent(Self.goldenPlan))) as! [String: Any]
        var services = plan["services"] as! [[String: Any]]
        var spec = services[0]["spec"] as! [String: Any]
        spec["backend"] = ["type": "openai", "url": "http://10.0.0.5:8000"]
        services[0]["spec"] = spec
        plan["services"] = services
        let planURL = directory.appendingPathComponent("plan.json")
        try JSONSerialization.data(withJSONObject: plan, options: [.prettyPrinted, .sortedKeys]).write(to: planURL)
        let result = try Epara.run(["manifests", planURL.path])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stderr.contains("\(planURL.path):"), result.stderr)
        XCTAssertTrue(
            result.stderr.contains("services[0].spec.backend: service '\(services[0]["name"] as! String)' has a real backend (openai) with no image"),
            result.stderr)
    }

    /// A plan whose instance sits on a node the cluster does not have: exit 65, located.
    func testAPlanWithANodeNotInTheClusterIsALocatedError() throws {
        let directory = try scratchDirectory("epara-manifests-bad-node")
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try String(contentsOf: Epara.packageRoot.appendingPathComponent(Self.goldenPlan), encoding: .utf8)
        let planURL = directory.appendingPathComponent("plan.json")
        guard let range = text.range(of: "\"node\" : \"gpu-server-a\"") else { return XCTFail("the golden plan places on gpu-server-a") }
        try text.replacingCharacters(in: range, with: "\"node\" : \"gpu-server-z\"").write(to: planURL, atomically: true, encoding: .utf8)
        let result = try Epara.run(["manifests", planURL.path])
        XCTAssertEqual(result.status, 65, result.stderr)
        XCTAssertTrue(result.stdout.isEmpty)
        XCTAssertTrue(result.stderr.contains("\(planURL.path):"), result.stderr)
        XCTAssertTrue(result.stderr.contains("gpu-server-z"), result.stderr)
    }

    func testUsageErrorsExit64() throws {
        for arguments in [
            ["manifests", Self.goldenPlan, "--name", "Epara_Fleet"],
            ["manifests", Self.goldenPlan, "--prometheus", "http://prometheus:9090"],
            ["manifests", Self.goldenPlan, "--schedule", "every hour"],
        ] {
            let result = try Epara.run(arguments)
            XCTAssertEqual(result.status, 64, "\(arguments): \(result.stderr)")
        }
    }
}
