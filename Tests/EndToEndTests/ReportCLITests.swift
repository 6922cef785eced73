import Foundation
import XCTest

/// `epara report` through the binary: goldens, comparisons, refusals, and the HTML page as a
/// browser renders it.
final class ReportCLITests: XCTestCase {
    let goldenRun = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.run.json").path
    let classified = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.classified.json").path
    static let policies = ["epara", "local", "round-robin", "alpaserve"]

    func scratch() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    /// The example under every policy for `seconds`, one Run file per policy.
    func policyRuns(in directory: URL, seconds: Int = 10, seed: Int = 1) throws -> [String] {
        try Self.policies.map { policy in
            let plan = try Epara.run(["plan", classified, "--policy", policy, "--allow-partial"])
            XCTAssertEqual(plan.status, 0, plan.stderr)
            let run = try Epara.run(["serve", "-", "--duration", "\(seconds)s", "--seed", "\(seed)"], stdin: plan.stdout)
            XCTAssertEqual(run.status, 0, run.stderr)
            let path = directory.appendingPathComponent("\(policy).json")
            try run.stdout.write(to: path)
            return path.path
        }
    }

    /// The golden Run's reports in JSON and Markdown (`make goldens` regenerates them, from a
    /// Run made anew first).
    func testReportOfTheGoldenRunMatchesGolden() throws {
        // Relative to the package root (the runner's directory): the report names its source.
        let goldenRun = try Golden.input("edge-lab.run.json", madeBy: GoldenExample.serve)
        let json = try Epara.run(["report", goldenRun])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertEqual(json.stderr, "")
        try Golden.assertMatches(json.stdout, file: "edge-lab.report.json", "report output")
        let report = try JSONSerialization.jsonObject(with: json.stdout) as! [String: Any]
        XCTAssertEqual(report["kind"] as? String, "Report")
        let runs = report["runs"] as! [[String: Any]]
        XCTAssertEqual(runs[0]["label"] as? String, "edge-lab.run")
        XCTAssertEqual((runs[0]["categories"] as! [[String: Any]]).count, 4)
        let markdown = try Epara.run(["report", goldenRun, "--format", "markdown"])
        XCTAssertEqual(markdown.status, 0, markdown.stderr)
        try Golden.assertMatches(markdown.stdout, file: "edge-lab.report.md", "the Markdown report")
    }

    func testPipelineEndsInAReport() throws {
        let classify = try Epara.run([
            "classify", "examples/edge-lab/cluster.yaml", "examples/edge-lab/services.yaml", "examples/edge-lab/catalog.yaml",
        ])
        let plan = try Epara.run(["plan"], stdin: classify.stdout)
        let serve = try Epara.run(["serve", "--duration", "10s"], stdin: plan.stdout)
        let report = try Epara.run(["report", "--format", "table"], stdin: serve.stdout)
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertTrue(report.stdoutText.hasPrefix("RUN epara (policy epara, sim, 10.0 s, seed 1)\ngoodput "), report.stdoutText)
        for section in ["CATEGORIES", "SERVICES", "NODES", "frequency/multi-gpu", "TTFT p99"] {
            XCTAssertTrue(report.stdoutText.contains(section), section)
        }
    }

    func testComparisonOfEveryPolicyAndTheBrowserRendersItsCharts() throws {
        let directory = try scratch()
        let runs = try policyRuns(in: directory, seconds: 30)
        let html = directory.appendingPathComponent("report.html").path
        let result = try Epara.run(["report"] + runs + ["--baseline", "alpaserve", "--html", html])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        let comparison = report["comparison"] as! [String: Any]
        XCTAssertEqual(comparison["baseline"] as? String, "alpaserve")
        let rows = comparison["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["label"] as! String }, Self.policies)
        let base = rows[3]["goodput_per_s"] as! Double
        XCTAssertEqual(rows[0]["goodput_ratio"] as! Double, (rows[0]["goodput_per_s"] as! Double) / base, accuracy: 1e-3)
        XCTAssertEqual(rows[3]["goodput_ratio"] as? Double, 1)

        // The page as a person sees it: rendered by headless Chromium, screenshot checked cell by
        // cell, titles found in the DOM the browser built.
        let titles = [
            "Goodput over time", "Latency CDF: latency/single-gpu", "Latency CDF: latency/multi-gpu",
            "Latency CDF: frequency/single-gpu", "Latency CDF: frequency/multi-gpu", "SLO attainment by category",
            "Goodput by category and policy",
        ]
        let page = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertFalse(page.contains("<script"))
        XCTAssertFalse(page.contains("https://"))
        guard let browser = ["chromium", "chromium-browser", "google-chrome"].compactMap(Self.which).first else {
            if ProcessInfo.processInfo.environment["EPARA_SKIP_BROWSER"] != nil { return }
            return XCTFail("no Chromium to render the report (make test installs Debian's chromium; EPARA_SKIP_BROWSER=1 skips this check)")
        }
        let png = directory.appendingPathComponent("report.png").path
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,1500"]
        _ = try Self.shell(browser, flags + ["--screenshot=\(png)", "file://\(html)"])
        let dom = try Self.shell(browser, flags + ["--dump-dom", "file://\(html)"])
        for title in titles { XCTAssertTrue(dom.contains(">\(title)</text>"), "the DOM has the chart '\(title)'") }
        // Chart k sits at column k % 2, row k / 2 of 600×340 cells below the 72 px header.
        let cells = titles.indices.map { k in "\(k % 2 * 600),\(72 + k / 2 * 340),600,340" } + ["600,\(72 + 3 * 340),600,340"]
        let measured = try Self.shell("python3", [Epara.packageRoot.appendingPathComponent("scripts/png-regions.py").path, png] + cells)
        let lines = measured.split(separator: "\n").dropFirst().map { $0.split(separator: " ") }
        XCTAssertEqual(lines.count, cells.count, measured)
        for (k, line) in lines.enumerated() {
            let inked = Double(line[1])!, coloured = Double(line[2])!
            if k < titles.count {
                XCTAssertGreaterThan(inked, 0.02, "\(titles[k]): drawn")
                XCTAssertGreaterThan(coloured, 0.004, "\(titles[k]): its series are drawn in colour")
            } else {
                XCTAssertLessThan(inked, 0.001, "the empty cell after the last chart is blank: the check can tell")
            }
        }
    }

    func testRunsOfDifferentTracesAreRefusedUnlessForced() throws {
        let directory = try scratch()
        let plan = try Epara.run(["plan", classified])
        var paths: [String] = []
        for seed in [1, 2] {
            let run = try Epara.run(["serve", "-", "--duration", "5s", "--seed", "\(seed)"], stdin: plan.stdout)
            let path = directory.appendingPathComponent("seed\(seed).json")
            try run.stdout.write(to: path)
            paths.append(path.path)
        }
        let refused = try Epara.run(["report"] + paths)
        XCTAssertEqual(refused.status, 65)
        XCTAssertEqual(refused.stdout, Data())
        XCTAssertTrue(refused.stderr.hasPrefix("\(paths[1]):"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("error: trace_digest: 'seed2' replayed another trace than 'seed1'"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("(--force compares anyway)"), refused.stderr)
        let forced = try Epara.run(["report"] + paths + ["--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(forced.stderr.hasPrefix("epara report: warning: 'seed2' replayed another trace"), forced.stderr)
        let comparison = (try JSONSerialization.jsonObject(with: forced.stdout) as! [String: Any])["comparison"] as! [String: Any]
        XCTAssertEqual(comparison["forced"] as? Bool, true)
    }

    func testSweepOverLoadLevels() throws {
        let directory = try scratch()
        let plan = try Epara.run(["plan", classified])
        var paths: [String] = []
        for scale in ["0.5", "1", "1.5", "2"] {
            let run = try Epara.run(["serve", "-", "--duration", "10s", "--rate-scale", scale], stdin: plan.stdout)
            let path = directory.appendingPathComponent("load-\(scale).json")
            try run.stdout.write(to: path)
            paths.append(path.path)
        }
        let result = try Epara.run(["report", "--sweep", "--target-attainment", "0.8"] + paths.reversed())
        XCTAssertEqual(result.status, 0, result.stderr)
        let sweep = (try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any])["sweep"] as! [String: Any]
        let points = sweep["points"] as! [[String: Any]]
        XCTAssertEqual(points.map { $0["label"] as! String }, ["load-0.5", "load-1", "load-1.5", "load-2"], "by increasing load")
        let passing = points.filter { ($0["attainment"] as! Double) >= 0.8 }.map { $0["offered_per_s"] as! Double }
        XCTAssertEqual(sweep["max_sustained_per_s"] as? Double, passing.max())
    }

    func testReportFromTheStateStore() throws {
        let directory = try scratch()
        let db = directory.appendingPathComponent("state.db").path
        let plan = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json").path
        let faults = Epara.packageRoot.appendingPathComponent("examples/faults/edge-lab.yaml").path
        let served = try Epara.run(["serve", plan, "--duration", "30s", "--faults", faults, "--state", db])
        let run = try JSONSerialization.jsonObject(with: served.stdout) as! [String: Any]
        let counts = (run["summary"] as! [String: Any])["counts"] as! [String: Int]
        let result = try Epara.run(["report", "--state", db])
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        let stored = (report["runs"] as! [[String: Any]])[0]
        let summary = (stored["summary"] as! [String: Any])["counts"] as! [String: Int]
        XCTAssertEqual(summary, counts, "the store's windows add up to the run")
        // What the store keeps beyond counts: the plan the run started from (policy, categories),
        // the run's latency percentiles, and node health.
        XCTAssertEqual(stored["policy"] as? String, "epara")
        XCTAssertFalse((stored["services"] as! [[String: Any]]).contains { $0["category"] as? String == "unknown" })
        XCTAssertEqual(
            ((stored["summary"] as! [String: Any])["latency_ms"] as? [String: Any])?["p99"] as? Double,
            ((run["summary"] as! [String: Any])["latency_ms"] as? [String: Any])?["p99"] as? Double)
        let runUp = Dictionary(uniqueKeysWithValues: (run["nodes"] as! [[String: Any]]).map { ($0["name"] as! String, $0["up_fraction"] as! Double) })
        for node in stored["nodes"] as! [[String: Any]] {
            let name = node["name"] as! String
            XCTAssertEqual(node["up_fraction"] as! Double, runUp[name]!, accuracy: 1e-6, name)
            XCTAssertNil(node["served"], "the store does not say what a node served")
        }
        XCTAssertLessThan(runUp.values.min() ?? 1, 1, "the faults take a node down")
        let table = try Epara.run(["report", "--state", db, "--format", "table"])
        XCTAssertTrue(table.stdoutText.contains("(policy epara, sim,"), table.stdoutText)
        XCTAssertTrue(table.stdoutText.contains("arrived  goodput/s  served here  sent elsewhere"), table.stdoutText)
        let part = try Epara.run(["report", "--state", db, "--from", "10", "--to", "20"])
        let partRun = (try JSONSerialization.jsonObject(with: part.stdout) as! [String: Any])["runs"] as! [[String: Any]]
        XCTAssertEqual(partRun[0]["duration_s"] as? Double, 10)
    }

    func testBadInputs() throws {
        var result = try Epara.run(["report", classified])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("error: kind: expected kind Run (the output of epara serve)"), result.stderr)
        result = try Epara.run(["report", goldenRun, goldenRun, "--baseline", "nobody"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--baseline nobody names no run"), result.stderr)
        result = try Epara.run(["report", "--state", "/no/such.db"])
        XCTAssertEqual(result.status, 66)
    }

    static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func shell(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : which(program) ?? program)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
