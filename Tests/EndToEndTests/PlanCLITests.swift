import EparaCore
import EparaStore
import Foundation
import XCTest

final class PlanCLITests: XCTestCase {
    static let example = CLITests.example

    func classified() throws -> Data {
        let result = try Epara.run(["classify"] + Self.example)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    func json(_ data: Data) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// The burst phase and the alpaserve search give the same bytes in every process (Swift's
    /// dictionaries iterate in a per-process order; nothing may depend on it).
    func testBurstyPlansAreTheSameInEveryProcess() throws {
        let files = ["cluster", "services", "catalog"].map { "examples/alpaserve-equal-models/\($0).yaml" }
        let classified = try Epara.run(["classify"] + files)
        XCTAssertEqual(classified.status, 0, classified.stderr)
        for policy in ["epara", "alpaserve"] {
            let runs = try (0..<3).map { _ in
                try Epara.run(["plan", "-", "--policy", policy, "--memory-headroom", "0.8625"], stdin: classified.stdout, timeout: 60)
            }
            XCTAssertEqual(runs[0].status, 0, runs[0].stderr)
            XCTAssertEqual(runs[0].stdout, runs[1].stdout, policy)
            XCTAssertEqual(runs[0].stdout, runs[2].stdout, policy)
        }
    }

    /// `plan --trace` plans a service for the burstiness its trace brings: bursts of ten
    /// requests 10 ms apart every 5 s give a CV far above the Poisson 1, and the plan's copy of
    /// the service carries it (so the burst phase prices it).
    func testPlanMeasuresBurstinessFromATrace() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-plan-trace-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var times: [Double] = []
        for burst in 0..<20 { for k in 0..<10 { times.append(Double(burst) * 5 + Double(k) * 0.01) } }
        let trace = directory.appendingPathComponent("bursts.csv")
        try Data(("time,service\n" + times.map { "\($0),photo-classify\n" }.joined()).utf8).write(to: trace)
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        let mean = gaps.reduce(0, +) / Double(gaps.count)
        let sd = (gaps.map { $0 * $0 }.reduce(0, +) / Double(gaps.count) - mean * mean).squareRoot()
        let result = try Epara.run(["plan", "-", "--trace", trace.path], stdin: try classified())
        XCTAssertEqual(result.status, 0, result.stderr)
        let services = try json(result.stdout)["services"] as! [[String: Any]]
        let photo = services.first { $0["name"] as? String == "photo-classify" }!
        let cv = try XCTUnwrap(((photo["spec"] as! [String: Any])["demand"] as! [String: Any])["cv"] as? Double)
        XCTAssertEqual(cv, sd / mean, accuracy: 0.001)
        XCTAssertGreaterThan(cv, 2.5)
        XCTAssertTrue(result.stderr.contains("photo-classify: arrivals in the trace have CV"), result.stderr)
        // Services the trace does not feed keep what the Services said (nothing).
        let chat = services.first { $0["name"] as? String == "chat" }!
        XCTAssertNil(((chat["spec"] as! [String: Any])["demand"] as! [String: Any])["cv"])
        // A bad row is located, exit 65.
        let bad = directory.appendingPathComponent("bad.csv")
        try Data("time,service\n0.5,photo-classify\nsoon,photo-classify\n".utf8).write(to: bad)
        let failed = try Epara.run(["plan", "-", "--trace", bad.path], stdin: try classified())
        XCTAssertEqual(failed.status, 65)
        XCTAssertTrue(failed.stderr.contains("bad.csv:3:"), failed.stderr)
    }

    /// A plan carries the settings it was made with; `--previous` plans again with them unless
    /// an option says otherwise.
    func testPreviousPlansKeepTheirSettings() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("classified.json")
        try classified().write(to: input)
        func settings(_ data: Data) throws -> [String: Any] {
            try XCTUnwrap((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["settings"] as? [String: Any])
        }
        let first = try Epara.run(["plan", input.path, "--memory-headroom", "0.7", "--max-batch", "16", "--allow-partial"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try settings(first.stdout)["memory_headroom"] as? Double, 0.7)
        let previous = directory.appendingPathComponent("previous.json")
        try first.stdout.write(to: previous)
        let again = try Epara.run(["plan", input.path, "--previous", previous.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        let kept = try settings(again.stdout)
        XCTAssertEqual(kept["memory_headroom"] as? Double, 0.7)
        XCTAssertEqual(kept["max_batch"] as? Int, 16)
        XCTAssertEqual(kept["allow_partial"] as? Bool, true)
        let told = try Epara.run(["plan", input.path, "--previous", previous.path, "--max-batch", "32"])
        XCTAssertEqual(try settings(told.stdout)["max_batch"] as? Int, 32, "an option given wins")
    }

    /// Golden plan for the example (`make goldens` regenerates it).
    func testPlanOfTheExampleMatchesGolden() throws {
        let result = try GoldenExample.plan()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        try Golden.assertMatches(result.stdout, file: "edge-lab.plan.json", "plan output")
    }

    func testClassifyPipesIntoPlan() throws {
        let plan = try json(try Epara.run(["plan"], stdin: try classified()).stdout)
        XCTAssertEqual(plan["kind"] as? String, "Plan")
        let allocations = plan["allocations"] as! [[String: Any]]
        let byName = Dictionary(uniqueKeysWithValues: allocations.map { ($0["service"] as! String, $0) })
        XCTAssertTrue((byName["big-chat"]!["modes"] as! [String]).contains("MP"), "the 70B model runs model-parallel")
        XCTAssertTrue((byName["robot-pick-segmentation"]!["modes"] as! [String]).contains("MP"))
        XCTAssertTrue((byName["defect-detection"]!["modes"] as! [String]).contains("DP"), "420 frames/s need replicas")
        let weld = byName["weld-inspection"]!["modes"] as! [String]
        XCTAssertTrue(weld.contains("MF") && weld.contains("DP"), "one 60 fps camera on Jetsons: frames packed, replicas: \(weld)")
        for device in plan["devices"] as! [[String: Any]] {
            XCTAssertLessThanOrEqual(device["memory_used_gib"] as! Double, device["memory_gib"] as! Double)
        }
        let predicted = plan["predicted"] as! [String: Any]
        XCTAssertLessThanOrEqual(predicted["goodput_per_s"] as! Double, predicted["upper_bound_goodput_per_s"] as! Double + 1e-6)
    }

    func testEveryBaselineGivesItsOwnValidPlan() throws {
        let input = try classified()
        var placements: [String: String] = [:]
        for policy in ["epara", "local", "round-robin", "alpaserve"] {
            let result = try Epara.run(["plan", "--policy", policy, "--allow-partial"], stdin: input)
            XCTAssertEqual(result.status, 0, "\(policy): \(result.stderr)")
            let plan = try json(result.stdout)
            XCTAssertEqual(plan["policy"] as? String, policy)
            for device in plan["devices"] as! [[String: Any]] {
                XCTAssertLessThanOrEqual(device["share_used"] as! Double, 1 + 1e-9, policy)
            }
            placements[policy] =
                ((plan["instances"] as! [[String: Any]]).map { $0["id"] as! String } + (plan["routing"] as! [[String: Any]]).map { "\($0)" })
                .joined(separator: ",")
        }
        XCTAssertEqual(Set(placements.values).count, 4, "each policy plans differently")
        XCTAssertEqual(try Epara.run(["plan", "--policy", "fifo"], stdin: input).status, 64)
    }

    func testTooSmallClusterSaysWhatIsMissingOrPlansPartially() throws {
        let cluster = """
            apiVersion: epara/v1
            kind: Cluster
            nodes:
              - {name: nano, site: lab, devices: [{type: jetson-orin-nano-8gb}]}
            """
        let services = """
            apiVersion: epara/v1
            kind: Services
            services:
              - {name: cams, model: yolo11s, slo: {latency: 50ms}, stream: {streams: 64, fps: 30}}
            """
        let classified = try Epara.run(["classify", "-"], stdin: Data((cluster + "\n---\n" + services).utf8))
        XCTAssertEqual(classified.status, 0, classified.stderr)
        let refused = try Epara.run(["plan"], stdin: classified.stdout)
        XCTAssertEqual(refused.status, 65)
        XCTAssertTrue(refused.stderr.contains("cluster too small for service 'cams'"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("more jetson-orin-nano-8gb devices"), refused.stderr)
        XCTAssertTrue(refused.stderr.hasPrefix("<stdin>:"), refused.stderr)
        let partial = try Epara.run(["plan", "--allow-partial"], stdin: classified.stdout)
        XCTAssertEqual(partial.status, 0)
        let shortfalls = try json(partial.stdout)["shortfalls"] as! [[String: Any]]
        XCTAssertEqual(shortfalls.map { $0["service"] as! String }, ["cams"])
    }

    func testBadPlanInputIsLocated() throws {
        let wrongKind = try Epara.run(["plan", "examples/edge-lab/cluster.yaml"])
        XCTAssertEqual(wrongKind.status, 65)
        XCTAssertTrue(wrongKind.stderr.contains("expected kind ClassifiedWorkload"), wrongKind.stderr)
        var text = String(decoding: try classified(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"min_slack\" : 1.2", with: "\"min_slack\" : \"high\"")
        let bad = try Epara.run(["plan", "-"], stdin: Data(text.utf8))
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("thresholds.min_slack"), bad.stderr)
        XCTAssertNotNil(bad.stderr.range(of: #"^<stdin>:\d+:\d+: error: "#, options: .regularExpression), bad.stderr)
    }

    /// The cron loop: serve records state, plan reads it; an unchanged situation keeps the plan
    /// byte for byte and exits 0 with --detailed-exitcode; a node going down changes it (exit 2).
    func testStateStoreAndPreviousPlanLoop() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-loop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("classified.json")
        try classified().write(to: input)
        let first = try Epara.run(["plan", input.path, "--detailed-exitcode"])
        XCTAssertEqual(first.status, 2, "no previous plan: everything is new")
        let planFile = directory.appendingPathComponent("plan.json")
        try first.stdout.write(to: planFile)

        let again = try Epara.run(["plan", input.path, "--previous", planFile.path, "--detailed-exitcode"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stdout, first.stdout, "an unchanged situation must give a byte-identical plan")

        // The store says demand for photo-classify tripled and orin-nx-2 is down.
        let db = directory.appendingPathComponent("state.db").path
        let store = try StateStore(path: db)
        let windows = (0..<5).flatMap { w in
            [
                WindowStats(
                    runId: "run-1", windowStartS: Double(w) * 60, windowLengthS: 60, service: "photo-classify", node: "orin-nx-1",
                    arrivals: 9000, completedInSLO: 9000, completedLate: 0, dropped: 0, failed: 0)
            ]
        }
        try store.record(
            runId: "run-1", engine: "sim", planDigest: "x", traceDigest: "y", summaryJSON: "{}", windows: windows,
            health: [NodeHealth(runId: "run-1", timeS: 240, node: "orin-nx-2", up: false)])
        let next = try Epara.run(["plan", input.path, "--state", db, "--previous", planFile.path, "--detailed-exitcode", "--allow-partial"])
        XCTAssertEqual(next.status, 2, next.stderr)
        let plan = try json(next.stdout)
        let devices = (plan["instances"] as! [[String: Any]]).flatMap { ($0["devices"] as! [[String: Any]]).map { $0["node"] as! String } }
        XCTAssertFalse(devices.contains("orin-nx-2"), "a node marked down is not used")
        let state = plan["state"] as! [String: Any]
        XCTAssertEqual(state["nodes_down"] as? [String], ["orin-nx-2"])
        XCTAssertEqual((state["observed_demand_per_s"] as! [String: Double])["photo-classify"], 150)
        XCTAssertFalse((plan["moves"] as! [[String: Any]]).isEmpty)
        XCTAssertEqual(try Epara.run(["plan", input.path, "--state", directory.appendingPathComponent("none.db").path]).status, 66)
    }
}
