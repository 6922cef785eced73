import Foundation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `plan --prometheus`: a real Prometheus (Debian's `prometheus`) on loopback scraping live
/// gateways under steady load, held to `plan --state` on the same traffic; and the errors a
/// cron job sees when Prometheus is not there or is not what it should be.
final class PrometheusCLITests: XCTestCase {
    /// Requests of one service sent to one gateway: `offsets` (seconds) in every period.
    struct Flow {
        var service: String
        var gateway: Int
        var offsets: [Double]
        var ratePerS: Double
    }

    static let periodS = 2.0

    /// Poisson-like arrivals (uniform offsets, so gaps of CV near 1) repeated every period:
    /// any window of several periods holds the same gaps, so two readers that look at windows a
    /// few seconds apart still see the same burstiness.
    static func flow(_ service: String, gateway: Int, ratePerS: Double, seed: UInt64) -> Flow {
        var state = seed
        let offsets = (0..<Int(ratePerS * periodS)).map { _ in
            // SplitMix64.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53) * periodS
        }
        return Flow(service: service, gateway: gateway, offsets: offsets.sorted(), ratePerS: ratePerS)
    }

    /// Every request of `flows` in a period (offset, URL), in time order: flow k goes to the
    /// gateway on `ports[flow.gateway]`.
    static func schedule(_ flows: [Flow], ports: [Int]) -> [(offsetS: Double, url: String)] {
        flows.flatMap { flow in
            flow.offsets.map { (offsetS: $0, url: "http://127.0.0.1:\(ports[flow.gateway])/v1/services/\(flow.service)/infer") }
        }.sorted { $0.offsetS < $1.offsetS }
    }

    /// Debian's Prometheus on loopback scraping the gateways on `targets` every second, with
    /// `honor_labels` and `scrape` added to the job; returns once it has scraped every target.
    static func startPrometheus(
        _ binary: URL, targets: [Int], scrape: String, prometheusPort: Int, in directory: URL
    ) async throws -> (Background, String) {
        let config = directory.appendingPathComponent("prometheus.yml")
        try """
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        scrape_configs:
          - job_name: epara-gateways
            honor_labels: true
            \(scrape)
            static_configs:
              - targets: [\(targets.map { "'127.0.0.1:\($0)'" }.joined(separator: ", "))]
        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try Background(
            binary,
            [
                "--config.file=\(config.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("tsdb").path)",
                "--web.listen-address=127.0.0.1:\(prometheusPort)",
            ], name: "prometheus", in: directory)
        let url = "http://127.0.0.1:\(prometheusPort)"
        let up = await HTTP.waitUntilUp(url + "/-/ready", seconds: 30)
        XCTAssertTrue(up, server.stderr)
        var scraped = 0
        for _ in 0..<100 where scraped < targets.count {
            let answer = try? await HTTP.call(url + "/api/v1/query?query=sum(up)", timeout: 2)
            let value = ((((answer?.json["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first)?["value"] as? [Any])?.last
            scraped = Int((value as? String) ?? "") ?? 0
            if scraped < targets.count { try await Task.sleep(for: .milliseconds(200)) }
        }
        XCTAssertEqual(scraped, targets.count, "Prometheus scrapes every gateway: \(server.stderr.suffix(2000))")
        return (server, url)
    }

    /// `epara` on a thread of its own, so the load keeps its schedule meanwhile.
    static func eparaAside(_ arguments: [String], stdin: Data) async throws -> EparaResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try Epara.run(arguments, stdin: stdin) }) }
        }
    }

    /// Each period, each request of `schedule` (offset in the period, URL) at its time, without
    /// waiting for the one before to be answered.
    static func send(
        _ schedule: [(offsetS: Double, url: String)], periods: Int, from start: ContinuousClock.Instant, headers: [String: String] = [:]
    ) async {
        await withTaskGroup(of: Void.self) { group in
            for period in 0..<periods {
                for request in schedule {
                    let due = start + .milliseconds(Int((Double(period) * periodS + request.offsetS) * 1000))
                    try? await Task.sleep(until: due, clock: .continuous)
                    group.addTask { _ = try? await HTTP.call(request.url, method: "POST", headers: headers, timeout: 5) }
                }
            }
        }
    }

    func json(_ result: EparaResult) throws -> [String: Any] {
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any], result.stderr)
    }

    /// (service, origin) → demand per second as the plan routes it, and the plan's state summary.
    func observed(_ plan: [String: Any]) -> (byOrigin: [String: Double], perService: [String: Double], cv: [String: Double]) {
        var byOrigin: [String: Double] = [:]
        for route in plan["routing"] as? [[String: Any]] ?? [] {
            byOrigin["\(route["service"]!)@\(route["origin"]!)"] = route["demand_per_s"] as? Double
        }
        let state = plan["state"] as? [String: Any] ?? [:]
        return (byOrigin, state["observed_demand_per_s"] as? [String: Double] ?? [:], state["observed_cv"] as? [String: Double] ?? [:])
    }

    func testPlanFromPrometheusMatchesPlanFromTheStateStore() async throws {
        let prometheus = try realServer(
            "EPARA_PROMETHEUS", default: URL(fileURLWithPath: "/usr/bin/prometheus"),
            install: "apt-get install --no-install-recommends prometheus (scripts/test does)")
        let directory = try scratchDirectory("epara-prometheus")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try livePlan("metered", into: directory)
        let classified = try Epara.run(["classify", Epara.fixture("live/metered.yaml").path]).stdout
        let store = directory.appendingPathComponent("state.db").path
        let port = HTTP.freePort(), prometheusPort = HTTP.freePort()
        let gateways = try Background.gateway(
            [plan.path, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)", "--state", store, "--window", "2s"],
            name: "gateways", in: directory)
        defer { _ = gateways.stop() }
        // Both gateways are scraped, though one process serves the same series on each: the
        // queries must count them once.
        let gatewaysUp = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(gatewaysUp, gateways.stderr)
        let (server, url) = try await Self.startPrometheus(
            prometheus, targets: [port, port + 1], scrape: "", prometheusPort: prometheusPort, in: directory)
        defer { _ = server.stop() }

        // 46 requests/s in all, for 30 s: photo 20/s at edge and 10/s at peer, detect 10/s and 6/s.
        let flows = [
            Self.flow("photo", gateway: 0, ratePerS: 20, seed: 1), Self.flow("photo", gateway: 1, ratePerS: 10, seed: 2),
            Self.flow("detect", gateway: 0, ratePerS: 10, seed: 3), Self.flow("detect", gateway: 1, ratePerS: 6, seed: 4),
        ]
        let schedule = Self.schedule(flows, ports: [port, port + 1])
        let loadS = 30.0, readAtS = 26.0
        let clock = ContinuousClock(), start = clock.now
        async let load: Void = Self.send(schedule, periods: Int(loadS / Self.periodS), from: start)
        // Read while the load goes on: 20 s of it either way, the store's ten latest complete
        // 2 s windows (up to 4 s older than now) and Prometheus's last 20 s.
        try await Task.sleep(until: start + .seconds(readAtS), clock: .continuous)
        async let fromPrometheus = Self.eparaAside(["plan", "--prometheus", url, "--prometheus-window", "20s"], stdin: classified)
        async let fromStore = Self.eparaAside(["plan", "--state", store, "--state-windows", "10"], stdin: classified)
        async let fromBoth = Self.eparaAside(
            ["plan", "--state", store, "--state-windows", "10", "--prometheus", url, "--prometheus-window", "20s"], stdin: classified)
        let viaPrometheus = try json(try await fromPrometheus), viaStore = try json(try await fromStore)
        let viaBoth = try json(try await fromBoth)
        await load

        let p = observed(viaPrometheus), s = observed(viaStore)
        let state = try XCTUnwrap(viaPrometheus["state"] as? [String: Any])
        XCTAssertEqual(state["source"] as? String, "prometheus \(url) over 20s")
        XCTAssertEqual(state["nodes_down"] as? [String], [])
        print("plan --prometheus: \(p)\nplan --state:      \(s)")
        // Demand within 5% of each other, and of what was sent (measured: within 1%).
        for flow in flows {
            let key = "\(flow.service)@\(["edge", "peer"][flow.gateway])"
            let a = try XCTUnwrap(p.byOrigin[key], key), b = try XCTUnwrap(s.byOrigin[key], key)
            XCTAssertEqual(a, b, accuracy: 0.05 * b, "\(key): Prometheus \(a)/s, state store \(b)/s")
            XCTAssertEqual(a, flow.ratePerS, accuracy: 0.05 * flow.ratePerS, "\(key): Prometheus \(a)/s, sent \(flow.ratePerS)/s")
        }
        // Both at once add up like two stores, and the summary names both.
        let both = observed(viaBoth), bothState = try XCTUnwrap(viaBoth["state"] as? [String: Any])
        XCTAssertNotNil(bothState["run_id"])
        XCTAssertEqual(bothState["source"] as? String, "prometheus \(url) over 20s")
        for service in ["photo", "detect"] {
            let a = try XCTUnwrap(p.perService[service]), b = try XCTUnwrap(s.perService[service])
            XCTAssertEqual(both.perService[service] ?? 0, a + b, accuracy: 0.05 * b, "\(service): --state with --prometheus")
            XCTAssertEqual(a, b, accuracy: 0.05 * b, "\(service): Prometheus \(a)/s, state store \(b)/s")
            // Burstiness from the same gaps over windows a few seconds apart: within 10%.
            let cvA = try XCTUnwrap(p.cv[service]), cvB = try XCTUnwrap(s.cv[service])
            XCTAssertEqual(cvA, cvB, accuracy: 0.1 * cvB, "\(service): CV \(cvA) from Prometheus, \(cvB) from the state store")
        }

        try replanningJobScenario(plan: plan, classified: classified, prometheus: url, in: directory)

        // Every gateway gone: their series go stale at the next failed scrape, and every node is down.
        XCTAssertEqual(gateways.stop(), 0)
        try await Task.sleep(for: .seconds(3))
        let afterwards = try json(
            try await Self.eparaAside(["plan", "--prometheus", url, "--prometheus-window", "20s", "--allow-partial"], stdin: classified))
        XCTAssertEqual((afterwards["state"] as? [String: Any])?["nodes_down"] as? [String], ["edge", "peer"])
        // Not Prometheus's API: its own 404 page, said, exit 65.
        let notTheAPI = try await Self.eparaAside(["plan", "--prometheus", url + "/nope"], stdin: classified)
        XCTAssertEqual(notTheAPI.status, 65, notTheAPI.stderr)
        XCTAssertTrue(notTheAPI.stderr.contains("answered HTTP 404") && notTheAPI.stderr.contains("404 page not found"), notTheAPI.stderr)
    }

    /// The replanning CronJob's planning script, as `epara manifests` writes it, run for real
    /// against this Prometheus in a directory laid out as its pod's (the ConfigMaps at
    /// /etc/epara, the scratch volume at /work): it plans migration-aware from the plan in force
    /// and renders, for the job's kubectl container, byte for byte what `epara manifests --only`
    /// gives — the new plan's ConfigMap, both plans' model servers, the names to keep and the
    /// new Deployments to wait for. The plan in force was made for the declared demand (photo
    /// only at edge, detect only at peer), which the observed traffic (both at both) changes.
    /// (The kubectl container's script is not run: there is no cluster here.)
    func replanningJobScenario(plan: URL, classified: Data, prometheus url: String, in directory: URL) throws {
        let workloadFile = directory.appendingPathComponent("classified.json")
        try classified.write(to: workloadFile)
        let backends = directory.appendingPathComponent("backends-source.yaml")
        try """
        apiVersion: epara/v1
        kind: Backends
        backends:
          - {service: photo, type: kserve-v2, url: "http://127.0.0.1:9000", model: resnet, image: "nvcr.io/nvidia/tritonserver:24.08-py3", args: ["--http-port={port}"]}

        """.write(to: backends, atomically: true, encoding: .utf8)
        let manifests = try Epara.run(
            ["manifests", plan.path, "--workload", workloadFile.path, "--backends", backends.path, "--prometheus", url, "--prometheus-window", "20s"])
        XCTAssertEqual(manifests.status, 0, manifests.stderr)
        let lines = manifests.stdoutText.components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex { $0.hasSuffix("- -c") && $0.contains("- -c") }, "the job's shell command") + 1
        let replanStart = try XCTUnwrap((start..<lines.count).first { lines[$0].hasSuffix("- |") && lines[$0 + 1].contains("set -u") })
        let indent = String(repeating: " ", count: lines[replanStart].prefix { $0 == " " }.count + 2)
        var script = lines[(replanStart + 1)...].prefix { $0.hasPrefix(indent) || $0.isEmpty }.map { String($0.dropFirst(indent.count)) }
            .joined(separator: "\n")
        let root = directory.appendingPathComponent("pod")
        for path in ["etc/epara/plan", "etc/epara/config", "work"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(path), withIntermediateDirectories: true)
        }
        let inForce = root.appendingPathComponent("etc/epara/plan/plan.json")
        try Data(contentsOf: plan).write(to: inForce)
        try classified.write(to: root.appendingPathComponent("etc/epara/config/workload.json"))
        try Data(contentsOf: backends).write(to: root.appendingPathComponent("etc/epara/config/backends-source.yaml"))
        script = script.replacingOccurrences(of: "/etc/epara", with: root.path + "/etc/epara")
            .replacingOccurrences(of: "/work/", with: root.path + "/work/")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = Epara.binary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        XCTAssertTrue(stderr.contains("epara replan: the plan changed"), "the observed origins differ from the declared: \(stderr)")
        let next = root.appendingPathComponent("work/next.json")
        func rendered(_ name: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent("work/\(name)")) }
        func manifest(_ plan: URL, _ only: String) throws -> Data {
            let result = try Epara.run(["manifests", plan.path, "--backends", backends.path, "--only", only])
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.stdout
        }
        XCTAssertEqual(try rendered("plan.yaml"), try manifest(next, "plan"), "the new plan's ConfigMap")
        XCTAssertNotEqual(try rendered("plan.yaml"), try manifest(inForce, "plan"), "which is not the plan in force's")
        XCTAssertEqual(try rendered("servers-next.yaml"), try manifest(next, "servers"))
        XCTAssertEqual(try rendered("servers-in-force.yaml"), try manifest(inForce, "servers"))
        XCTAssertTrue(String(decoding: try rendered("servers-next.yaml"), as: UTF8.self).contains("image: nvcr.io/nvidia/tritonserver:24.08-py3"))
        let keep = Set(String(decoding: try rendered("keep.txt"), as: UTF8.self).split(separator: "\n").map(String.init))
        let names = { (plan: URL) in Set(String(decoding: try manifest(plan, "names"), as: UTF8.self).split(separator: "\n").map(String.init)) }
        XCTAssertEqual(keep, try names(next).union(try names(inForce)), "servers of both plans are kept")
        let wait = String(decoding: try rendered("wait.txt"), as: UTF8.self).split(separator: "\n").map(String.init)
        XCTAssertEqual(Set(wait), try names(next).filter { $0.hasPrefix("deployment.apps/") }, "the new plan's servers are waited for")
        XCTAssertFalse(wait.isEmpty)
    }

    /// The layout `epara manifests` deploys: one gateway per process (per pod), each with its own
    /// store, tokens required, and Prometheus scraping them with the client token as
    /// docs/deploy.md configures it (`authorization.credentials_file`, `honor_labels`). Demand
    /// per service and origin from Prometheus matches the two stores added up; a stopped node's
    /// gateway reads as down.
    func testOneGatewayPerProcessWithTokensAsDeployed() async throws {
        let prometheus = try realServer(
            "EPARA_PROMETHEUS", default: URL(fileURLWithPath: "/usr/bin/prometheus"),
            install: "apt-get install --no-install-recommends prometheus (scripts/test does)")
        let directory = try scratchDirectory("epara-prometheus-pods")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try livePlan("metered", into: directory)
        let classified = try Epara.run(["classify", Epara.fixture("live/metered.yaml").path]).stdout
        let edgePort = HTTP.freePort(), peerPort = HTTP.freePort(), prometheusPort = HTTP.freePort()
        let peers = directory.appendingPathComponent("peers.yaml")
        try "apiVersion: epara/v1\nkind: Peers\npeers:\n  edge: http://127.0.0.1:\(edgePort)\n  peer: http://127.0.0.1:\(peerPort)\n"
            .write(to: peers, atomically: true, encoding: .utf8)
        let tokens = ["EPARA_CLIENT_TOKEN": "client-secret", "EPARA_PEER_TOKEN": "peer-secret"]
        var gateways: [Background] = []
        for (node, port) in [("edge", edgePort), ("peer", peerPort)] {
            gateways.append(
                try Background.gateway(
                    [
                        plan.path, "--engine", "live", "--node", node, "--listen", "127.0.0.1:\(port)", "--peers", peers.path,
                        "--state", directory.appendingPathComponent("\(node).db").path, "--window", "2s", "--sync-interval", "500ms",
                    ], name: node, in: directory, environment: tokens))
        }
        defer { for gateway in gateways { _ = gateway.stop() } }
        let tokenFile = directory.appendingPathComponent("client-token")
        try "client-secret\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let edgeUp = await HTTP.waitUntilUp("http://127.0.0.1:\(edgePort)/healthz")
        let peerUp = await HTTP.waitUntilUp("http://127.0.0.1:\(peerPort)/healthz")
        XCTAssertTrue(edgeUp && peerUp)
        let (server, url) = try await Self.startPrometheus(
            prometheus, targets: [edgePort, peerPort], scrape: "authorization: {credentials_file: \(tokenFile.path)}",
            prometheusPort: prometheusPort, in: directory)
        defer { _ = server.stop() }

        let flows = [
            Self.flow("photo", gateway: 0, ratePerS: 12, seed: 5), Self.flow("photo", gateway: 1, ratePerS: 8, seed: 6),
            Self.flow("detect", gateway: 0, ratePerS: 6, seed: 7), Self.flow("detect", gateway: 1, ratePerS: 10, seed: 8),
        ]
        let schedule = Self.schedule(flows, ports: [edgePort, peerPort])
        let clock = ContinuousClock(), start = clock.now
        async let load: Void = Self.send(schedule, periods: 11, from: start, headers: ["Authorization": "Bearer client-secret"])
        try await Task.sleep(until: start + .seconds(20), clock: .continuous)
        let stores = ["edge", "peer"].flatMap { ["--state", directory.appendingPathComponent("\($0).db").path] }
        async let fromPrometheus = Self.eparaAside(["plan", "--prometheus", url, "--prometheus-window", "14s"], stdin: classified)
        async let fromStores = Self.eparaAside(["plan", "--state-windows", "7"] + stores, stdin: classified)
        let p = observed(try json(try await fromPrometheus)), s = observed(try json(try await fromStores))
        await load
        print("one gateway per process — plan --prometheus: \(p)\nplan --state (both stores): \(s)")
        for flow in flows {
            let key = "\(flow.service)@\(["edge", "peer"][flow.gateway])"
            let a = try XCTUnwrap(p.byOrigin[key], key), b = try XCTUnwrap(s.byOrigin[key], key)
            XCTAssertEqual(a, b, accuracy: 0.05 * b, "\(key): Prometheus \(a)/s, the stores \(b)/s")
            XCTAssertEqual(a, flow.ratePerS, accuracy: 0.05 * flow.ratePerS, "\(key): Prometheus \(a)/s, sent \(flow.ratePerS)/s")
        }

        // The peer's pod goes away: its series go stale, and the edge's gateway counts it down.
        XCTAssertEqual(gateways[1].stop(), 0)
        try await Task.sleep(for: .seconds(3))
        let afterwards = try json(
            try await Self.eparaAside(["plan", "--prometheus", url, "--prometheus-window", "14s", "--allow-partial"], stdin: classified))
        XCTAssertEqual((afterwards["state"] as? [String: Any])?["nodes_down"] as? [String], ["peer"])
    }

    /// Nothing listens: one line on stderr, exit 74 (I/O), no crash.
    func testAnUnreachablePrometheusExits74WithOneLine() throws {
        let classified = try Epara.run(["classify", Epara.fixture("live/metered.yaml").path]).stdout
        let port = HTTP.freePort()
        let result = try Epara.run(["plan", "--prometheus", "http://127.0.0.1:\(port)"], stdin: classified)
        XCTAssertEqual(result.status, 74, result.stderr)
        XCTAssertEqual(result.stderr, "epara plan: cannot reach Prometheus at http://127.0.0.1:\(port): connection refused\n")
        XCTAssertTrue(result.stdout.isEmpty)
        let usage = try Epara.run(["plan", "--prometheus", "prometheus:9090"], stdin: classified)
        XCTAssertEqual(usage.status, 64, usage.stderr)
        XCTAssertTrue(usage.stderr.contains("--prometheus expects the server's http:// or https:// URL"), usage.stderr)
        let window = try Epara.run(["plan", "--prometheus", "http://127.0.0.1:\(port)", "--prometheus-window", "5 minutes"], stdin: classified)
        XCTAssertEqual(window.status, 64, window.stderr)
        XCTAssertTrue(window.stderr.contains("The value '5 minutes' is invalid for '--prometheus-window <duration>'"), window.stderr)
    }
}
