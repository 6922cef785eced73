import Foundation
import XCTest

/// Golden files under Fixtures/golden: outputs held byte for byte, so that any change shows up
/// in review. `make goldens` regenerates them all in one pass: it runs the tests whose names end
/// in `MatchesGolden` with `EPARA_UPDATE_GOLDEN=1`, which makes `assertMatches` write instead
/// of compare.
enum Golden {
    static var updating: Bool { ProcessInfo.processInfo.environment["EPARA_UPDATE_GOLDEN"] == "1" }

    /// Relative to the package root, the directory the binary runs in (a report names its source).
    static func path(_ name: String) -> String { "Tests/EndToEndTests/Fixtures/golden/\(name)" }

    static func url(_ name: String) -> URL { Epara.packageRoot.appendingPathComponent(path(name)) }

    /// Fails with a unified diff when `actual` differs from the golden file `name`; with
    /// EPARA_UPDATE_GOLDEN=1 writes it instead.
    static func assertMatches(
        _ actual: Data, file name: String, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let golden = url(name)
        if updating {
            try actual.write(to: golden)
            return
        }
        let expected = try Data(contentsOf: golden)
        guard actual != expected else { return }
        XCTFail(
            "\(what) drifted from its golden file \(path(name)); if the change is meant, run make goldens and review the diff:\n"
                + (try diff(expected: golden, actual: actual, name: name)), file: file, line: line)
    }

    /// A golden file that is another golden test's input, made anew first under
    /// EPARA_UPDATE_GOLDEN=1 so that one pass never builds a golden from a stale one, whatever
    /// the order the tests run in. Its path relative to the package root.
    static func input(_ name: String, madeBy make: () throws -> EparaResult) throws -> String {
        if updating {
            let result = try make()
            XCTAssertEqual(result.status, 0, result.stderr)
            try result.stdout.write(to: url(name))
        }
        return path(name)
    }

    /// `git diff --no-index` of the golden file against `actual` written to a temporary file,
    /// or `diff -u` where git is missing.
    static func diff(expected: URL, actual: Data, name: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let actualURL = directory.appendingPathComponent(name)
        try actual.write(to: actualURL)
        let output = directory.appendingPathComponent("diff")
        for command in [["git", "diff", "--no-index", "--no-color"], ["diff", "-u"]] {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            defer { try? handle.close() }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command + [expected.path, actualURL.path]
            process.standardOutput = handle
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            // Both exit with 1 when the files differ; anything else (127: no such command) means try the next.
            if process.terminationStatus == 1 { return String(decoding: try Data(contentsOf: output), as: UTF8.self) }
        }
        return "(neither git nor diff could compare the files)"
    }
}

/// The example through the pipeline as the golden files hold it; a stage reads the golden file
/// of the stage before (`Golden.input`).
enum GoldenExample {
    static let documents = CLITests.example

    static func classify() throws -> EparaResult { try Epara.run(["classify"] + documents) }

    static func plan() throws -> EparaResult { try Epara.run(["plan", "-"], stdin: try classify().stdout) }

    /// The golden plan on 20 s of the Azure conversation trace (the other services generated),
    /// with in-run replanning and a node going down.
    static func serve() throws -> EparaResult {
        try Epara.run([
            "serve", try Golden.input("edge-lab.plan.json", madeBy: plan), "--trace", "chat=examples/traces/AzureLLMInferenceTrace_conv.csv",
            "--duration", "20s", "--replan-every", "10s", "--faults", Epara.fixture("serve/faults.yaml").path,
        ])
    }
}
