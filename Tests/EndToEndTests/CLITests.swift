import Foundation
import XCTest

final class CLITests: XCTestCase {
    static let example = ["examples/edge-lab/cluster.yaml", "examples/edge-lab/services.yaml", "examples/edge-lab/catalog.yaml"]

    /// Golden file: the example's ClassifiedWorkload, byte for byte (`make goldens` regenerates it).
    func testClassifyExampleMatchesGolden() throws {
        let result = try GoldenExample.classify()
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        try Golden.assertMatches(result.stdout, file: "edge-lab.classified.json", "classify output")
    }

    func testClassifyCoversAllFourCategories() throws {
        let result = try Epara.run(["classify"] + Self.example)
        let json = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        let labels = Set((json["services"] as! [[String: Any]]).map { ($0["category"] as! [String: Any])["label"] as! String })
        XCTAssertEqual(labels, ["latency/single-gpu", "latency/multi-gpu", "frequency/single-gpu", "frequency/multi-gpu"])
        XCTAssertEqual(json["kind"] as? String, "ClassifiedWorkload")
        XCTAssertTrue((json["input_digest"] as! String).hasPrefix("sha256:"))
    }

    func testClassifyIsDeterministic() throws {
        let first = try Epara.run(["classify"] + Self.example)
        let second = try Epara.run(["classify"] + Self.example.reversed())
        XCTAssertEqual(first.stdout, second.stdout, "same documents in another order must give the same bytes")
    }

    func testStdinDashReadsStandardInput() throws {
        let joined = try Self.example.map { try String(contentsOf: Epara.packageRoot.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n---\n")
        let viaStdin = try Epara.run(["classify", "-"], stdin: Data(joined.utf8))
        let viaFiles = try Epara.run(["classify"] + Self.example)
        XCTAssertEqual(viaStdin.status, 0, viaStdin.stderr)
        XCTAssertEqual(viaStdin.stdout, viaFiles.stdout)
    }

    /// Process substitution (`epara classify <(…)`) hands over a pipe: it reads like a file.
    func testAPipeReadsLikeAFile() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        let files = Self.example.map { Epara.packageRoot.appendingPathComponent($0).path }
        process.arguments = ["-c", "\"$0\" classify <(cat \"$1\") \"$2\" \"$3\"", Epara.binary.path] + files
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        let viaFiles = try Epara.run(["classify"] + Self.example)
        XCTAssertEqual(data, viaFiles.stdout)
    }

    func testThresholdFlagsChangeTheCall() throws {
        // With a required slack of 100, no single device is fast enough for the 8B chat model.
        let result = try Epara.run(["classify", "--min-slack", "100", "--allow-unservable"] + Self.example)
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        let chat = (json["services"] as! [[String: Any]]).first { $0["name"] as? String == "chat" }!
        XCTAssertNotEqual((chat["category"] as! [String: Any])["resource"] as? String, "single-gpu")
        XCTAssertEqual((json["thresholds"] as! [String: Any])["min_slack"] as? Double, 100)
    }

    func testUsageErrorsExit64() throws {
        XCTAssertEqual(try Epara.run(["classify", "--min-slack", "-1", "x.yaml"]).status, 64)
        XCTAssertEqual(try Epara.run(["classify", "--no-such-flag"]).status, 64)
        XCTAssertEqual(try Epara.run(["frobnicate"]).status, 64)
    }

    func testHelpListsEveryStage() throws {
        let result = try Epara.run(["--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdoutText.contains("classify"))
        XCTAssertTrue(result.stdoutText.contains("catalog"))
        XCTAssertTrue(result.stdoutText.contains("  plan "))
        XCTAssertTrue(result.stdoutText.contains("  serve "))
        XCTAssertTrue(result.stdoutText.contains("  report "))
    }

    func testCatalogListsEveryRequiredEntry() throws {
        let result = try Epara.run(["catalog", "--format", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        let devices = Set((json["devices"] as! [[String: Any]]).map { $0["name"] as! String })
        let models = Set((json["models"] as! [[String: Any]]).map { $0["name"] as! String })
        XCTAssertTrue(
            devices.isSuperset(of: [
                "a100-80gb", "h100", "l4", "t4", "rtx-3090", "rtx-4090", "jetson-agx-orin-64gb",
                "jetson-orin-nx-16gb", "jetson-orin-nano-8gb", "raspberry-pi-5",
            ]))
        XCTAssertTrue(
            models.isSuperset(of: [
                "llama-3-8b", "llama-3-8b-q4", "llama-3.3-70b-q4", "qwen2.5-1.5b",
                "deeplabv3plus-mobilenetv2", "unet", "segformer-b0", "sam-vit-b", "mobile-sam",
                "yolo11n", "yolo11s", "resnet-50",
            ]))
        for entry in (json["devices"] as! [[String: Any]]) + (json["models"] as! [[String: Any]]) {
            XCTAssertGreaterThan((entry["source"] as? String)?.count ?? 0, 20, "\(entry["name"]!) has no source")
        }
    }

    func testCatalogExtendedByUserDocument() throws {
        let result = try Epara.run(["catalog", "--format", "table", "examples/edge-lab/catalog.yaml"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdoutText.contains("sam-vit-h"))
        XCTAssertTrue(result.stdoutText.hasPrefix("DEVICES\n"))
    }

    func testCatalogRefusesOtherKinds() throws {
        let result = try Epara.run(["catalog", "examples/edge-lab/cluster.yaml"])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("expected one of Catalog"), result.stderr)
    }

    /// man/ and completions/ are generated from the command tree; they must match the binary.
    func testCompletionScriptsMatchTheCommandTree() throws {
        for shell in ["bash", "zsh", "fish"] {
            let result = try Epara.run(["--generate-completion-script", shell])
            XCTAssertEqual(result.status, 0)
            let committed = Epara.packageRoot.appendingPathComponent("completions/epara.\(shell)")
            XCTAssertEqual(
                result.stdoutText, try String(contentsOf: committed, encoding: .utf8),
                "completions/epara.\(shell) drifted: run scripts/generate-docs")
        }
    }

    func testManPagesMatchTheCommandTree() throws {
        let dump = try Epara.run(["--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0)
        let committed = Epara.packageRoot.appendingPathComponent("man/.command-tree.json")
        XCTAssertEqual(
            dump.stdoutText, try String(contentsOf: committed, encoding: .utf8),
            "the command tree changed since man/ was generated: run scripts/generate-docs")
        for page in ["epara.1", "epara.classify.1", "epara.catalog.1"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Epara.packageRoot.appendingPathComponent("man/\(page)").path), page)
        }
    }

    /// `man` renders every page without a warning (groff's mdoc checks, as man-db runs them),
    /// and the pages show the defaults `--help` shows.
    func testManPagesRenderWithoutWarningsAndShowDefaults() throws {
        let groff = try realServer("EPARA_GROFF", default: URL(fileURLWithPath: "/usr/bin/groff"), install: "apt-get install groff-base")
        let pages = try FileManager.default.contentsOfDirectory(atPath: Epara.packageRoot.appendingPathComponent("man").path)
            .filter { $0.hasSuffix(".1") }.sorted()
        XCTAssertGreaterThan(pages.count, 8)
        for page in pages {
            let rendered = try Epara.run(
                ["-mdoc", "-ww", "-z", Epara.packageRoot.appendingPathComponent("man/\(page)").path], executable: groff)
            XCTAssertEqual(rendered.status, 0, page)
            XCTAssertEqual(rendered.stderr, "", "\(page) warns")
        }
        let serve = try String(contentsOf: Epara.packageRoot.appendingPathComponent("man/epara.serve.1"), encoding: .utf8)
        for line in ["Seed of every random choice of the run. (default: 1)", "Length of the Run's time windows. (default: 10s)"] {
            XCTAssertTrue(serve.contains(line), line)
        }
    }
}

final class CatalogGoldenTests: XCTestCase {
    /// The built-in catalog as JSON, byte for byte: a changed number shows up in review.
    func testBuiltinCatalogMatchesGolden() throws {
        let result = try Epara.run(["catalog", "--format", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        try Golden.assertMatches(result.stdout, file: "catalog.json", "the built-in catalog")
    }
}
