import Foundation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `epara serve --engine live`: real HTTP gateways on loopback, in one process or several,
/// over the emulated backend; stopped by SIGTERM, killed, reloaded.
final class LiveCLITests: XCTestCase {
    static var goldenPlan: String { Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json").path }

    func testGatewaysAnswerForwardAndDrainOnSIGTERM() async throws {
        let directory = try scratchDirectory("epara-live")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = HTTP.freePort()
        let gateways = try Background.gateway(
            [Self.goldenPlan, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)"],
            name: "all", in: directory)
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up, "the first gateway answers /healthz")
        // The example's plan has gpu-server-a first and orin-agx-1 third: a photo sent to the
        // Jetson is served on the RTX 4090s of gpu-server-a.
        let photo = try await HTTP.call("http://127.0.0.1:\(port + 2)/v1/services/photo-classify/infer", method: "POST")
        XCTAssertEqual(photo.status, 200, photo.text)
        XCTAssertEqual(photo.json["outcome"] as? String, "completed_in_slo")
        let missing = try await HTTP.call("http://127.0.0.1:\(port)/v1/services/nope/infer", method: "POST")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.json["error"] as? String, "unknown service 'nope'")
        // The OpenAI-compatible endpoint on the emulated backend: an answer of the right shape.
        let chat = try await HTTP.call(
            "http://127.0.0.1:\(port)/v1/chat/completions", method: "POST",
            body: #"{"model": "chat", "messages": [{"role": "user", "content": "hello"}], "max_tokens": 4}"#)
        XCTAssertEqual(chat.status, 200, chat.text)
        XCTAssertEqual(chat.json["object"] as? String, "chat.completion")
        XCTAssertEqual(chat.headers["epara-outcome"], "completed_in_slo")
        let unknownModel = try await HTTP.call("http://127.0.0.1:\(port)/v1/completions", method: "POST", body: #"{"model": "gpt-4", "prompt": "x"}"#)
        XCTAssertEqual(unknownModel.status, 404)
        XCTAssertNotNil((unknownModel.json["error"] as? [String: Any])?["message"], unknownModel.text)

        XCTAssertEqual(gateways.stop(), 0, "drains and exits 0")
        // Structured log lines (swift-log): the event and its metadata.
        let stderr = gateways.stderr
        let listening = stderr.split(separator: "\n").first { $0.contains("listening") && $0.contains("node=gpu-server-a") }
        XCTAssertNotNil(listening, stderr)
        XCTAssertTrue(listening?.contains("url=http://127.0.0.1:\(port)") ?? false, stderr)
        XCTAssertTrue(stderr.contains("drained and stopped"), stderr)
        // The Run of what the gateways measured, on stdout: every request accounted for.
        let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: gateways.stdout) as? [String: Any], "a Run on stdout")
        XCTAssertEqual(run["engine"] as? String, "live")
        let counts = try XCTUnwrap((run["summary"] as? [String: Any])?["counts"] as? [String: Int])
        XCTAssertEqual(counts["arrivals"], 2, "the photo and the chat (unknown services never arrive)")
    }

    func testLiveNeedsAllNodesOrOneNode() throws {
        let neither = try Epara.run(["serve", Self.goldenPlan, "--engine", "live"])
        XCTAssertEqual(neither.status, 64)
        XCTAssertTrue(neither.stderr.contains("--all-nodes") && neither.stderr.contains("--node NAME"), neither.stderr)
        let unknown = try Epara.run(["serve", Self.goldenPlan, "--engine", "live", "--node", "orin-agx-9"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("no node 'orin-agx-9'"), unknown.stderr)
        let simOnly = try Epara.run(["serve", Self.goldenPlan, "--node", "orin-agx-1"])
        XCTAssertEqual(simOnly.status, 64)
        XCTAssertTrue(simOnly.stderr.contains("for --engine live"), simOnly.stderr)
    }

    /// A port another program holds: a clear error and exit 74, not a stack trace.
    func testAPortInUseIsReportedAndExits74() async throws {
        let directory = try scratchDirectory("epara-live-port")
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = HTTP.freePort()
        let first = try Background.gateway(
            [Self.goldenPlan, "--engine", "live", "--node", "gpu-server-a", "--listen", "127.0.0.1:\(port)"],
            name: "first", in: directory)
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up)
        let second = try Epara.run(
            ["serve", Self.goldenPlan, "--engine", "live", "--node", "orin-agx-1", "--listen", "127.0.0.1:\(port)"],
            timeout: 15)
        XCTAssertEqual(second.status, 74, second.stderr)
        XCTAssertTrue(second.stderr.contains("epara: cannot listen on 127.0.0.1, port \(port): address already in use"), second.stderr)
        XCTAssertFalse(second.stderr.contains("listening"), "nothing claims to listen: \(second.stderr)")
        XCTAssertEqual(first.stop(), 0)
    }

    /// Bad Backends and Peers documents: refused before any gateway listens, exit 65, located.
    func testBadBackendsAndPeersAreRefusedWithALocatedError() throws {
        let directory = try scratchDirectory("epara-live-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try livePlan("pair", into: directory)
        let manifest = try String(contentsOf: Epara.fixture("live/bad/expected.tsv"), encoding: .utf8)
        var count = 0
        for line in manifest.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            let path = Epara.fixture("live/bad/\(parts[0])").path
            let option = parts[0].hasPrefix("peers") ? "--peers" : "--backends"
            let result = try Epara.run(
                [
                    "serve", plan.path, "--engine", "live", "--node", "edge", "--listen", "127.0.0.1:\(HTTP.freePort())",
                    option, path,
                ], timeout: 10)
            XCTAssertEqual(result.status, 65, "\(parts[0]): \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty, parts[0])
            let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertTrue(first.hasPrefix(path + ":"), "\(parts[0]): not located: \(result.stderr)")
            XCTAssertNotNil(
                BadInputCorpusTests.locatedError.firstMatch(in: first, range: NSRange(first.startIndex..., in: first)),
                "\(parts[0]): \(first)")
            XCTAssertTrue(result.stderr.contains(parts[1]), "\(parts[0]): expected '\(parts[1])' in \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("listening"), parts[0])
            count += 1
        }
        XCTAssertGreaterThanOrEqual(count, 9)
    }

    /// Two gateways in two processes, as on two machines: photos arrive at `edge`, whose plan
    /// sends some to the instance on `peer`. `peer` is killed (SIGKILL) in the middle of the
    /// load: every request still gets an answer — none is lost silently — and once `peer`
    /// has missed its sync periods, `edge` counts it down and serves everything itself. When
    /// `peer` returns, it is used again. Clients and gateways carry separate bearer tokens.
    func testKillingAGatewayMidLoadLosesNoRequestAndTrafficMovesToTheSurvivor() async throws {
        let directory = try scratchDirectory("epara-live-kill")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try livePlan("pair", into: directory)
        let edgePort = HTTP.freePort(), peerPort = HTTP.freePort()
        let peers = try pairPeers(edgePort: edgePort, peerPort: peerPort, scheme: "http", in: directory)
        let tokens = pairTokens
        let common = ["--engine", "live", "--peers", peers.path, "--sync-interval", "200ms", "--dispatch", "plan-weights"]
        let edge = try Background.gateway(
            [plan.path, "--node", "edge", "--listen", "127.0.0.1:\(edgePort)"] + common, name: "edge",
            in: directory, environment: tokens)
        let peer = try Background.gateway(
            [plan.path, "--node", "peer", "--listen", "127.0.0.1:\(peerPort)"] + common, name: "peer",
            in: directory, environment: tokens)
        let edgeUp = await HTTP.waitUntilUp("http://127.0.0.1:\(edgePort)/healthz")
        let peerUp = await HTTP.waitUntilUp("http://127.0.0.1:\(peerPort)/healthz")
        XCTAssertTrue(edgeUp && peerUp)
        let client = ["Authorization": "Bearer client-secret"]

        // Auth: no token, or the client's token on a peer route, is refused.
        let anonymous = try await HTTP.call("http://127.0.0.1:\(edgePort)/v1/services/photo/infer", method: "POST")
        XCTAssertEqual(anonymous.status, 401)
        let clientOnPeerRoute = try await HTTP.call(
            "http://127.0.0.1:\(peerPort)/v1/peer/sync", method: "POST",
            body: #"{"node": "edge", "instances": []}"#, headers: client)
        XCTAssertEqual(clientOnPeerRoute.status, 401)

        // Both gateways sync: each counts the other up.
        try await Task.sleep(for: .milliseconds(600))
        let state = try await HTTP.call("http://127.0.0.1:\(edgePort)/v1/state", headers: client)
        let peerState = (state.json["peers"] as? [[String: Any]])?.first
        XCTAssertEqual(peerState?["node"] as? String, "peer")
        XCTAssertEqual(peerState?["up"] as? Bool, true, state.text)

        // 3 s of photos at 100/s; the peer dies after 1 s.
        let clock = ContinuousClock()
        let start = clock.now
        let answers = await withTaskGroup(of: (Double, Int, String?).self) { group in
            for k in 0..<300 {
                group.addTask {
                    try? await clock.sleep(until: start + .milliseconds(k * 10))
                    do {
                        let answer = try await HTTP.call(
                            "http://127.0.0.1:\(edgePort)/v1/services/photo/infer", method: "POST",
                            headers: client, timeout: 10)
                        return (Double(k) / 100, answer.status, answer.json["outcome"] as? String)
                    } catch {
                        return (Double(k) / 100, -1, "\(error)")
                    }
                }
            }
            group.addTask {
                try? await clock.sleep(until: start + .milliseconds(950))
                let state = try? await HTTP.call("http://127.0.0.1:\(edgePort)/v1/state", headers: client, timeout: 2)
                let sent = ((state?.json["peers"] as? [[String: Any]])?.first)?["forwarded"] as? Int ?? -1
                XCTAssertGreaterThan(sent, 10, "the plan sends part of the photos to the peer: \(state?.text ?? "")")
                try? await clock.sleep(until: start + .seconds(1))
                peer.killHard()
                return (-1, 0, nil)
            }
            var all: [(Double, Int, String?)] = []
            for await answer in group where answer.0 >= 0 { all.append(answer) }
            return all
        }
        XCTAssertEqual(answers.count, 300)
        let lost = answers.filter { $0.1 == -1 }
        XCTAssertTrue(lost.isEmpty, "requests without an answer: \(lost.prefix(5))")
        for answer in answers {
            XCTAssertTrue([200, 429, 503, 504].contains(answer.1), "status \(answer.1)")
            XCTAssertNotNil(answer.2, "every answer says how the request ended")
        }
        // After the missed syncs (3 × 200 ms) the survivor serves the photos itself.
        let late = answers.filter { $0.0 >= 2 }
        XCTAssertGreaterThan(
            Double(late.filter { $0.1 == 200 }.count), 0.9 * Double(late.count),
            "after the peer's death: \(Dictionary(grouping: late, by: \.1).mapValues(\.count))")
        let after = try await HTTP.call("http://127.0.0.1:\(edgePort)/v1/state", headers: client)
        let down = (after.json["peers"] as? [[String: Any]])?.first
        XCTAssertEqual(down?["up"] as? Bool, false, after.text)
        let sentBefore = down?["forwarded"] as? Int ?? 0

        // The peer comes back: once it syncs again, edge counts it up and sends it photos again.
        let back = try Background.gateway(
            [plan.path, "--node", "peer", "--listen", "127.0.0.1:\(peerPort)"] + common, name: "peer-again",
            in: directory, environment: tokens)
        let backUp = await HTTP.waitUntilUp("http://127.0.0.1:\(peerPort)/healthz")
        XCTAssertTrue(backUp)
        try await Task.sleep(for: .milliseconds(800))
        for _ in 0..<50 {
            let answer = try await HTTP.call("http://127.0.0.1:\(edgePort)/v1/services/photo/infer", method: "POST", headers: client)
            XCTAssertEqual(answer.status, 200, answer.text)
        }
        let again = try await HTTP.call("http://127.0.0.1:\(edgePort)/v1/state", headers: client)
        let revived = (again.json["peers"] as? [[String: Any]])?.first
        XCTAssertEqual(revived?["up"] as? Bool, true, again.text)
        XCTAssertGreaterThan(revived?["forwarded"] as? Int ?? 0, sentBefore + 5, "traffic goes to the peer again: \(again.text)")
        XCTAssertEqual(back.stop(), 0)

        XCTAssertEqual(edge.stop(), 0)
        XCTAssertTrue(edge.stderr.contains("peer missed its syncs") && edge.stderr.contains("node=peer"), edge.stderr)
        XCTAssertTrue(edge.stderr.contains("peer is back"), edge.stderr)
        // The edge gateway's Run: every request that arrived there, accounted for.
        let run = try XCTUnwrap(try JSONSerialization.jsonObject(with: edge.stdout) as? [String: Any])
        let counts = try XCTUnwrap((run["summary"] as? [String: Any])?["counts"] as? [String: Int])
        XCTAssertEqual(counts["arrivals"], 350, "the 350 photos (the request without a token never arrived)")
    }

    /// The gateways write windows and node health to the state store like the simulator, so
    /// `report --state` and `plan --state` work on live data.
    func testLiveStateFeedsReportAndPlan() async throws {
        let directory = try scratchDirectory("epara-live-state")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try livePlan("pair", into: directory)
        let store = directory.appendingPathComponent("state.db").path
        let port = HTTP.freePort()
        let gateways = try Background.gateway(
            [
                plan.path, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)",
                "--state", store, "--window", "1s",
            ], name: "all", in: directory)
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up)
        for _ in 0..<40 {
            let answer = try await HTTP.call("http://127.0.0.1:\(port)/v1/services/photo/infer", method: "POST")
            XCTAssertEqual(answer.status, 200, answer.text)
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(gateways.stop(), 0)
        let report = try Epara.run(["report", "--state", store, "--format", "json"])
        XCTAssertEqual(report.status, 0, report.stderr)
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: report.stdout) as? [String: Any])
        let text = String(decoding: report.stdout, as: UTF8.self)
        XCTAssertTrue(text.contains("\"photo\""), text)
        XCTAssertNotNil(document["kind"])
        XCTAssertTrue(text.contains("\"arrivals\" : 40"), "40 photos recorded: \(text.prefix(2000))")
        let classified = try Epara.run(["classify", Epara.fixture("live/pair.yaml").path])
        let replanned = try Epara.run(["plan", "--state", store], stdin: classified.stdout)
        XCTAssertEqual(replanned.status, 0, replanned.stderr)
        let next = try XCTUnwrap(try JSONSerialization.jsonObject(with: replanned.stdout) as? [String: Any])
        let observed = try XCTUnwrap(next["state"] as? [String: Any], "the plan names the state it read")
        XCTAssertNotNil(observed["run_id"], "\(observed)")
        // Stores of gateways on separate machines add up (here the same store twice: twice the demand).
        let both = try Epara.run(["plan", "--state", store, "--state", store], stdin: classified.stdout)
        XCTAssertEqual(both.status, 0, both.stderr)
        let combined = try XCTUnwrap((try JSONSerialization.jsonObject(with: both.stdout) as? [String: Any])?["state"] as? [String: Any])
        let once = try XCTUnwrap((observed["observed_demand_per_s"] as? [String: Double])?["photo"])
        XCTAssertEqual((combined["observed_demand_per_s"] as? [String: Double])?["photo"] ?? 0, 2 * once, accuracy: 1e-5)
    }

    /// examples/replanning: gateways record; `make replan` (what the crontab line runs) writes a
    /// new plan only when the placement changed, and the gateways put it in force. Two turns:
    /// the first replaces the plan (the observed demand is far below the declared one), the
    /// second, on the same observations, leaves it alone.
    func testTheReplanningLoopRunsTwoTurns() async throws {
        let directory = try scratchDirectory("epara-live-loop")
        defer { try? FileManager.default.removeItem(at: directory) }
        let makefile = Epara.packageRoot.appendingPathComponent("examples/replanning/Makefile").path
        let make = ["-s", "-f", makefile, "EPARA=\(Epara.binary.path)", "DIR=\(directory.path)", "INPUTS=\(Epara.fixture("live/pair.yaml").path)"]
        func runMake(_ target: String) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["make"] + make + [target]
            process.currentDirectoryURL = Epara.packageRoot
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let (planStatus, planOutput) = try runMake("plan")
        XCTAssertEqual(planStatus, 0, planOutput)
        let planFile = directory.appendingPathComponent("plan.json")
        let first = try Data(contentsOf: planFile)
        let port = HTTP.freePort()
        let gateways = try Background.gateway(
            [
                planFile.path, "--engine", "live", "--all-nodes", "--listen", "127.0.0.1:\(port)",
                "--state", directory.appendingPathComponent("state.db").path, "--window", "1s",
            ],
            name: "all", in: directory)
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up)
        for _ in 0..<60 {
            _ = try await HTTP.call("http://127.0.0.1:\(port)/v1/services/photo/infer", method: "POST")
            try await Task.sleep(for: .milliseconds(40))
        }
        try await Task.sleep(for: .milliseconds(1200))  // the last window completes and is written

        let (turn1, output1) = try runMake("replan")
        XCTAssertEqual(turn1, 0, output1)
        XCTAssertTrue(output1.contains("replan: new plan"), output1)
        let second = try Data(contentsOf: planFile)
        XCTAssertNotEqual(first, second)
        var reloaded = false
        for _ in 0..<50 where !reloaded {
            reloaded = gateways.stderr.contains("reloaded the plan")
            if !reloaded { try await Task.sleep(for: .milliseconds(100)) }
        }
        XCTAssertTrue(reloaded, "the gateways put the new plan in force: \(gateways.stderr)")

        let (turn2, output2) = try runMake("replan")
        XCTAssertEqual(turn2, 0, output2)
        XCTAssertTrue(output2.contains("replan: unchanged"), output2)
        XCTAssertEqual(try Data(contentsOf: planFile), second)
        XCTAssertEqual(gateways.stop(), 0)
    }
}
