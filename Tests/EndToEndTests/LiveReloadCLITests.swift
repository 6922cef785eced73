import Foundation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `epara serve --engine live` putting a new plan in force: SIGHUP, a changed plan file, a
/// ConfigMap's symlink swap under load, and bad plans refused while every gateway keeps serving.
final class LiveReloadCLITests: XCTestCase {
    func testSIGHUPPutsTheRewrittenPlanInForce() async throws {
        try await reloadScenario(.sighup)
    }

    /// Without a signal: the gateways watch the plan file, as the replanning loop relies on.
    func testAChangedPlanFileIsPutInForce() async throws {
        try await reloadScenario(.rename)
    }

    /// A plan mounted from a Kubernetes ConfigMap: kubelet swaps the `..data` symlink to a new
    /// directory and never rewrites `plan.json`; the watch sees it, under load, and nothing is
    /// dropped.
    func testAConfigMapSymlinkSwapIsPutInForceUnderLoad() async throws {
        try await reloadScenario(.configMapSwap)
    }

    /// Bad plans written over the plan file and signalled, one kind after another, under load:
    /// each is refused with its located error in the log, the plan in force keeps serving, no
    /// request is lost and no gateway goes down.
    func testBadPlansOnReloadAreRefusedAndEveryGatewayKeepsServing() async throws {
        let directory = try scratchDirectory("epara-live-bad-reload")
        defer { try? FileManager.default.removeItem(at: directory) }
        let planFile = directory.appendingPathComponent("plan.json")
        let golden = try Data(contentsOf: URL(fileURLWithPath: LiveCLITests.goldenPlan))
        try golden.write(to: planFile)
        let port = HTTP.freePort()
        let gateways = try Background.gateway(
            [planFile.path, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)"],
            name: "all", in: directory)
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up)
        let framesPort = port + 3
        let load = Task { await LiveReloadCLITests.frames(200, port: framesPort) }
        let text = String(decoding: golden, as: UTF8.self)
        let bad: [(String, String)] = [
            ("a device index the node does not have", text.replacingOccurrences(of: #""index" : 2,"#, with: #""index" : 9,"#)),
            ("a truncated file", String(text.prefix(text.count / 2))),
            ("a negative batch", text.replacingOccurrences(of: #""batch" : 64,"#, with: #""batch" : -3,"#)),
            ("a route to an instance that does not exist", text.replacingOccurrences(of: #""instance" : "chat@"#, with: #""instance" : "nochat@"#)),
        ]
        for (what, plan) in bad {
            XCTAssertNotEqual(plan, text, "the mutation (\(what)) changed the plan")
            try Data(plan.utf8).write(to: planFile)
            kill(gateways.process.processIdentifier, SIGHUP)
            try await Task.sleep(for: .milliseconds(400))
            for k in 0..<4 {
                let health = try? await HTTP.call("http://127.0.0.1:\(port + k)/healthz", timeout: 2)
                XCTAssertEqual(health?.status, 200, "after \(what): gateway \(k) is up")
            }
        }
        let statuses = await load.value
        XCTAssertFalse(statuses.contains(-1), "every request under the bad reloads is answered")
        XCTAssertFalse(statuses.contains(503), "none fails: \(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")
        XCTAssertEqual(gateways.stop(), 0)
        let refusals = gateways.stderr.components(separatedBy: "kept the current plan").count - 1
        XCTAssertEqual(refusals, bad.count, gateways.stderr)
        XCTAssertTrue(gateways.stderr.contains("\(planFile.path):"), "the refusal is located: \(gateways.stderr)")
        XCTAssertTrue(gateways.stderr.contains("device index 9 out of range"), gateways.stderr)
        XCTAssertFalse(gateways.stderr.contains("reloaded the plan"), gateways.stderr)
    }

    /// `count` frames of defect-detection's stream 0 to the gateway on `port`, 10 ms apart: the
    /// status of each (-1 when no answer came).
    static func frames(_ count: Int, port: Int) async -> [Int] {
        var statuses: [Int] = []
        for _ in 0..<count {
            let answer = try? await HTTP.call(
                "http://127.0.0.1:\(port)/v1/services/defect-detection/infer", method: "POST",
                body: #"{"stream_id": 0}"#, timeout: 10)
            statuses.append(answer?.status ?? -1)
            try? await Task.sleep(for: .milliseconds(10))
        }
        return statuses
    }

    /// How a reload scenario hands the gateways the new plan.
    enum ReloadWay {
        /// The file rewritten, then SIGHUP.
        case sighup
        /// A new file renamed over the old one.
        case rename
        /// As kubelet updates a mounted ConfigMap: the new file in a new timestamped directory,
        /// with the old one's modification time, and the `..data` symlink swapped to it;
        /// `plan.json` itself is a symlink into `..data` and never changes.
        case configMapSwap
    }

    /// A Backends document that runs photo-classify on the emulated backend at `timeScale`.
    static func backends(timeScale: Double) -> String {
        "apiVersion: epara/v1\nkind: Backends\nbackends:\n  - {service: photo-classify, type: emulated, time_scale: \(timeScale)}\n"
    }

    func reloadScenario(_ way: ReloadWay) async throws {
        let directory = try scratchDirectory("epara-live-reload")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = HTTP.freePort()
        var planFile = directory.appendingPathComponent("plan.json")
        var golden = try Data(contentsOf: URL(fileURLWithPath: LiveCLITests.goldenPlan))
        // The local policy's plan has none of EPARA's instances on gpu-server-a.
        let local = try Epara.run([
            "plan", Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.classified.json").path,
            "--policy", "local", "--allow-partial",
        ])
        var next = local.stdout
        var arguments = [planFile.path, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)"]
        if way == .configMapSwap {
            // Both plans padded (JSON allows trailing spaces) to one size, and given one time
            // below: only the file the path leads to tells them apart.
            let size = max(golden.count, next.count)
            golden += Data(repeating: UInt8(ascii: " "), count: size - golden.count)
            next += Data(repeating: UInt8(ascii: " "), count: size - next.count)
            let first = directory.appendingPathComponent("..2026_12_01_10_00_00.000000001")
            try FileManager.default.createDirectory(at: first, withIntermediateDirectories: true)
            try golden.write(to: first.appendingPathComponent("plan.json"))
            try Self.backends(timeScale: 1).write(to: first.appendingPathComponent("backends.yaml"), atomically: true, encoding: .utf8)
            XCTAssertEqual(symlink(first.lastPathComponent, directory.appendingPathComponent("..data").path), 0)
            XCTAssertEqual(symlink("..data/plan.json", planFile.path), 0)
            XCTAssertEqual(symlink("..data/backends.yaml", directory.appendingPathComponent("backends.yaml").path), 0)
            arguments += ["--backends", directory.appendingPathComponent("backends.yaml").path]
        } else {
            try golden.write(to: planFile)
        }
        let gateways = try Background.gateway(arguments, name: "all", in: directory)
        func retired() async -> Int {
            guard let state = try? await HTTP.call("http://127.0.0.1:\(port)/v1/state", timeout: 2) else { return -1 }
            return (state.json["instances"] as? [[String: Any]] ?? []).filter { $0["live"] as? Bool == false }.count
        }
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up)
        let before = await retired()
        XCTAssertEqual(before, 0)
        // Requests keep coming while the plan changes: none may fail (503); a shed one (429)
        // is answered, and the requests in flight at the switch finish.
        let framesPort = port + 3
        let load = Task { await LiveReloadCLITests.frames(150, port: framesPort) }
        try await Task.sleep(for: .milliseconds(300))
        switch way {
        case .sighup:
            try next.write(to: planFile)
            kill(gateways.process.processIdentifier, SIGHUP)
        case .rename:
            let file = directory.appendingPathComponent("plan.json.next")
            try next.write(to: file)
            XCTAssertEqual(rename(file.path, planFile.path), 0)
        case .configMapSwap:
            let old = directory.appendingPathComponent("..data").resolvingSymlinksInPath()
            let second = directory.appendingPathComponent("..2026_12_01_10_05_00.000000002")
            try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
            let file = second.appendingPathComponent("plan.json")
            try next.write(to: file)
            // The new Backends document answers photos at once: how the test sees it was read.
            try Self.backends(timeScale: 0).write(to: second.appendingPathComponent("backends.yaml"), atomically: true, encoding: .utf8)
            let stamp = try FileManager.default.attributesOfItem(atPath: old.appendingPathComponent("plan.json").path)[.modificationDate]
            try FileManager.default.setAttributes([.modificationDate: stamp as Any], ofItemAtPath: file.path)
            let swap = directory.appendingPathComponent("..data_tmp")
            XCTAssertEqual(symlink(second.lastPathComponent, swap.path), 0)
            XCTAssertEqual(rename(swap.path, directory.appendingPathComponent("..data").path), 0)
            try FileManager.default.removeItem(at: old)
            planFile = directory.appendingPathComponent("plan.json")
        }
        var reloaded = false
        for _ in 0..<50 where !reloaded {
            reloaded = await retired() > 0
            if !reloaded { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(reloaded, "gpu-server-a's old instances stop taking requests")
        let statuses = await load.value
        XCTAssertEqual(statuses.count, 150)
        XCTAssertFalse(statuses.contains(-1), "every request under the reload is answered")
        XCTAssertFalse(statuses.contains(503), "no request fails across the reload: \(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")
        if way == .configMapSwap {
            XCTAssertEqual(statuses.filter { $0 == 200 }.count, 150, "nothing dropped: \(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")
        }
        // New instances load their model first (a couple of seconds): meanwhile photos, due in
        // 30 ms, are shed (429) — answered, not lost — and then served.
        var served = false
        for _ in 0..<60 where !served {
            let answer = try await HTTP.call("http://127.0.0.1:\(port)/v1/services/photo-classify/infer", method: "POST")
            XCTAssertTrue([200, 429].contains(answer.status), "\(answer.status)")
            served = answer.status == 200
            if !served { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(served, "the new plan serves once its models are loaded")
        if way == .configMapSwap {
            // With time_scale 0 a photo takes no model time: the Backends document came with the plan.
            let answer = try await HTTP.call("http://127.0.0.1:\(port)/v1/services/photo-classify/infer", method: "POST")
            let latency = try XCTUnwrap(answer.json["latency_ms"] as? Double, "\(answer.json)")
            XCTAssertLessThan(latency, 1, "photo-classify on the emulated backend at time_scale 0 after the swap: \(answer.json)")
        }
        XCTAssertEqual(gateways.stop(), 0)
        XCTAssertTrue(gateways.stderr.contains("reloaded the plan"), gateways.stderr)
        XCTAssertTrue(gateways.stderr.contains(way == .sighup ? "trigger=SIGHUP" : "trigger=the plan file changed"), gateways.stderr)
    }
}
