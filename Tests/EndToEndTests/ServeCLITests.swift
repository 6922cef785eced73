import Foundation
import XCTest

/// `epara serve` as a user runs it: the built binary, its stdout, stderr and exit code.
final class ServeCLITests: XCTestCase {
    let plan = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json").path
    let conv = "chat=examples/traces/AzureLLMInferenceTrace_conv.csv"

    func json(_ result: EparaResult) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
    }

    /// Golden Run: the example's golden plan on 20 s of the Azure conversation trace (plus the
    /// other services generated), byte for byte (`make goldens` regenerates it).
    func testServeExamplePlanMatchesGolden() throws {
        let result = try GoldenExample.serve()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        try Golden.assertMatches(result.stdout, file: "edge-lab.run.json", "serve output")
        let run = try json(result)
        XCTAssertEqual(run["kind"] as? String, "Run")
        let summary = (run["summary"] as! [String: Any])["counts"] as! [String: Int]
        XCTAssertEqual(summary["arrivals"], summary["completed_in_slo"]! + summary["completed_late"]! + summary["dropped"]! + summary["failed"]!)
        XCTAssertGreaterThan(summary["failed"]!, 0, "the node that goes down loses what it held")
    }

    func testThePipelineRunsFromClassifyToServeAndIsDeterministic() throws {
        let classified = try Epara.run([
            "classify", "examples/edge-lab/cluster.yaml", "examples/edge-lab/services.yaml",
            "examples/edge-lab/catalog.yaml",
        ])
        let planned = try Epara.run(["plan"], stdin: classified.stdout)
        XCTAssertEqual(planned.status, 0, planned.stderr)
        let first = try Epara.run(["serve", "-", "--trace", conv, "--duration", "15s", "--seed", "7"], stdin: planned.stdout)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stderr, "", "nothing on stderr when it is not a terminal")
        let again = try Epara.run(["serve", "-", "--trace", conv, "--duration", "15s", "--seed", "7"], stdin: planned.stdout)
        XCTAssertEqual(first.stdout, again.stdout, "same plan, trace and seed: byte-identical Run")
        let other = try Epara.run(["serve", "-", "--trace", conv, "--duration", "15s", "--seed", "8"], stdin: planned.stdout)
        XCTAssertNotEqual(first.stdout, other.stdout)
        let run = try json(first)
        XCTAssertEqual((run["services"] as! [[String: Any]]).count, 8)
        XCTAssertEqual(run["trace_digest"] as? String, (try json(again))["trace_digest"] as? String)
        XCTAssertNotEqual(run["trace_digest"] as? String, (try json(other))["trace_digest"] as? String)
    }

    func testRequestLogHasOneLinePerRequest() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("requests.jsonl").path
        let result = try Epara.run(["serve", plan, "--duration", "5s", "--requests", log])
        XCTAssertEqual(result.status, 0, result.stderr)
        let arrivals = ((try json(result))["summary"] as! [String: Any])["counts"] as! [String: Int]
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, arrivals["arrivals"])
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(Set(records.map { $0["id"] as! Int }).count, lines.count)
        XCTAssertEqual(records.filter { $0["outcome"] as? String == "completed_in_slo" }.count, arrivals["completed_in_slo"])
        XCTAssertTrue(records.allSatisfy { ["completed_in_slo", "completed_late", "dropped", "failed"].contains($0["outcome"] as! String) })
    }

    func testStateStoreRoundTripServeWritesPlanReads() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("state.db").path
        let classified = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.classified.json").path
        // Serve twice the planned demand; the next plan must see it.
        let served = try Epara.run(["serve", plan, "--duration", "60s", "--rate-scale", "2", "--replan-every", "0", "--state", db])
        XCTAssertEqual(served.status, 0, served.stderr)
        let run = try json(served)
        let photo = (run["services"] as! [[String: Any]]).first { $0["name"] as? String == "photo-classify" }!
        let observedRate = Double((photo["counts"] as! [String: Int])["arrivals"]!) / 60
        let next = try Epara.run(["plan", classified, "--state", db, "--previous", plan, "--allow-partial"])
        XCTAssertEqual(next.status, 0, next.stderr)
        let state = (try json(next))["state"] as! [String: Any]
        XCTAssertEqual(state["windows_read"] as? Int, 5)
        let observed = (state["observed_demand_per_s"] as! [String: Double])["photo-classify"]!
        XCTAssertEqual(observed, observedRate, accuracy: observedRate * 0.15, "the last 5 windows' rate is the run's")
        XCTAssertEqual(observed, 100, accuracy: 15)
        // Generated arrivals are Poisson here: the store saw a CV near 1 and the plan says so.
        let cv = (state["observed_cv"] as? [String: Double])?["photo-classify"] ?? 0
        XCTAssertEqual(cv, 1, accuracy: 0.15)
    }

    /// Burstier arrivals are seen as such: serve with Gamma CV 3, plan --state reads about 3.
    func testPlanLearnsBurstinessFromTheStore() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-cv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let db = directory.appendingPathComponent("state.db").path
        let classified = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.classified.json").path
        let served = try Epara.run([
            "serve", plan, "--duration", "120s", "--arrivals", "gamma", "--cv", "3", "--replan-every", "0",
            "--window", "20s", "--state", db,
        ])
        XCTAssertEqual(served.status, 0, served.stderr)
        let next = try Epara.run(["plan", classified, "--state", db, "--allow-partial"])
        XCTAssertEqual(next.status, 0, next.stderr)
        let cv = ((try json(next))["state"] as! [String: Any])["observed_cv"] as! [String: Double]
        XCTAssertEqual(cv["photo-classify"] ?? 0, 3, accuracy: 0.6)
    }

    func testSmallNativeTraceAndTable() throws {
        let result = try Epara.run([
            "serve", plan, "--trace", Epara.fixture("serve/small-trace.csv").path, "--duration", "3s",
            "--format", "table",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdoutText.hasPrefix("SERVICES (policy epara, 3.0 s, seed 1)"))
        XCTAssertTrue(result.stdoutText.contains("CATEGORIES"))
    }

    func testBadInputsAreRefusedWithLocatedErrors() throws {
        let badTrace = Epara.fixture("serve/bad-trace.csv").path
        var result = try Epara.run(["serve", plan, "--trace", badTrace])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stdout, Data(), "nothing half-written on stdout")
        XCTAssertTrue(result.stderr.hasPrefix("\(badTrace):3:5: error: service: unknown service 'chatt' (did you mean 'chat'?)"), result.stderr)

        let badFaults = Epara.fixture("serve/bad-faults.yaml").path
        result = try Epara.run(["serve", plan, "--faults", badFaults, "--duration", "1s"])
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(result.stderr, "\(badFaults):4:20: error: events[0].node: unknown node 'orin-nx-9'; did you mean 'orin-nx-1'?\n")

        result = try Epara.run(["serve", plan, "--trace", "no/such/trace.csv"])
        XCTAssertEqual(result.status, 66)
        XCTAssertTrue(result.stderr.hasPrefix("no/such/trace.csv:1:1: error: cannot open trace"), result.stderr)

        let classified = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.classified.json").path
        result = try Epara.run(["serve", classified])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("error: kind: expected kind Plan (the output of epara plan)"), result.stderr)

        result = try Epara.run(["serve", plan, "--duration", "5"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("The value '5' is invalid for '--duration <duration>'"), result.stderr)
        XCTAssertFalse(result.stderr.contains("Fatal error"))
        result = try Epara.run(["serve", plan, "--duration", "0"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--duration must be longer than 0, found '0'"), result.stderr)
    }
}

/// Bad traces: each refused with exit 65 and a located first line, quickly, with nothing on stdout.
final class BadTraceCorpusTests: XCTestCase {
    func testEveryBadTraceIsRefusedWithALocatedError() throws {
        let plan = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json").path
        let directory = Epara.fixture("serve/bad")
        let expected = try String(contentsOf: directory.appendingPathComponent("expected.tsv"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t", maxSplits: 2).map(String.init) }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0 != "expected.tsv" }
        XCTAssertEqual(Set(files), Set(expected.map { $0[0] }), "every file in the corpus has an expectation")
        for row in expected {
            let path = directory.appendingPathComponent(row[0]).path
            let binding = row[0].hasPrefix("azure-functions") ? "photo-classify=" : row[0].hasPrefix("azure") ? "chat=" : ""
            let result = try Epara.run(["serve", plan, "--trace", binding + path, "--duration", "2s"])
            XCTAssertEqual(result.status, Int32(row[1]), "\(row[0]): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix(path + row[2]), "\(row[0]): \(result.stderr)")
            XCTAssertEqual(result.stdout, Data(), row[0])
            XCTAssertLessThan(result.seconds, 5, row[0])
        }
    }
}
