import Foundation
import XCTest

/// `-o FILE`: the document lands whole when the stage succeeds, and a failed stage leaves the
/// target as it was — absent, or its old bytes — which is what `make` needs; the README's
/// Makefile example runs as written.
final class OutputFileTests: XCTestCase {
    func testEveryStageThatWritesADocumentTakesOutput() throws {
        for stage in ["classify", "plan", "serve", "report", "capacity", "manifests", "catalog", "profile"] {
            let help = try Epara.run([stage, "--help"])
            XCTAssertTrue(help.stdoutText.contains("-o, --output <file>"), "\(stage) --help:\n\(help.stdoutText)")
        }
    }

    func testSuccessReplacesTheTargetAndFailureLeavesItAsItWas() throws {
        let directory = try scratchDirectory("epara-output")
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("catalog.json")
        let written = try Epara.run(["catalog", "--format", "json", "-o", target.path])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertTrue(written.stdout.isEmpty, "the document goes to the file, not to stdout")
        XCTAssertEqual(try Data(contentsOf: target), try Epara.run(["catalog", "--format", "json"]).stdout)
        XCTAssertEqual(try Epara.run(["catalog", "--format", "json", "-o", "-"]).stdout, try Data(contentsOf: target), "- is stdout")

        // A failed stage: the old file keeps its bytes; a new one is not created; nothing is left beside it.
        let bad = directory.appendingPathComponent("bad.json")
        try Data("{\"kind\": \"Plan\"".utf8).write(to: bad)
        let before = try Data(contentsOf: target)
        for name in ["catalog.json", "new.json"] {
            let failed = try Epara.run(["report", bad.path, "-o", directory.appendingPathComponent(name).path])
            XCTAssertEqual(failed.status, 65, failed.stderr)
        }
        XCTAssertEqual(try Data(contentsOf: target), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("new.json").path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["bad.json", "catalog.json"])

        // A directory that does not exist: an I/O error naming it, exit 74.
        let nowhere = try Epara.run(["catalog", "-o", directory.appendingPathComponent("missing/catalog.json").path])
        XCTAssertEqual(nowhere.status, 74, nowhere.stderr)
        XCTAssertTrue(nowhere.stderr.contains("cannot write the output: no directory"), nowhere.stderr)
        let empty = try Epara.run(["catalog", "-o", ""])
        XCTAssertEqual(empty.status, 64, empty.stderr)
    }

    /// examples/pipeline/Makefile, quoted by the README: it builds the report, and after a stage
    /// fails the next `make` runs that stage again instead of taking an empty file for done.
    func testTheMakefileExampleRebuildsWhatFailed() throws {
        let makefile = Epara.packageRoot.appendingPathComponent("examples/pipeline/Makefile")
        let rules = try String(contentsOf: makefile, encoding: .utf8)
        let readme = try String(contentsOf: Epara.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let quoted = try XCTUnwrap(readme.components(separatedBy: "```make\n").dropFirst().first?.components(separatedBy: "```").first)
        XCTAssertTrue(rules.contains(quoted), "the README quotes examples/pipeline/Makefile's rules as they are")

        let directory = try scratchDirectory("epara-make")
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out")
        let broken = directory.appendingPathComponent("services.yaml")
        try "apiVersion: epara/v1\nkind: Services\nservices:\n  - name: chat\n    modle: qwen2.5-1.5b\n".write(
            to: broken, atomically: true, encoding: .utf8)
        let edgeLab = ["cluster", "services", "catalog"].map { "examples/edge-lab/\($0).yaml" }
        func make(_ inputs: [String]) throws -> EparaResult {
            try Epara.run(
                ["-f", makefile.path, "OUT=\(out.path)", "EPARA=\(Epara.binary.path)", "INPUTS=\(inputs.joined(separator: " "))", "report"],
                timeout: 300, executable: URL(fileURLWithPath: "/usr/bin/make"))
        }
        let failed = try make([edgeLab[0], broken.path, edgeLab[2]])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertTrue(failed.stderr.contains("did you mean 'model'"), failed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("classified.json").path), "no empty target")
        let built = try make(edgeLab)
        XCTAssertEqual(built.status, 0, built.stderr)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("goodput"), report)
    }
}
