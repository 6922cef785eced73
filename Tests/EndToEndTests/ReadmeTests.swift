import Foundation
import XCTest

/// The README's "Using it" block, run as a newcomer would paste it: in order, with the built
/// binary on PATH, from a folder that has the repository's examples.
final class ReadmeTests: XCTestCase {
    static func usingItBlock() throws -> String {
        let readme = try String(contentsOf: Epara.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.range(of: "## Using it"),
            let open = readme.range(of: "```sh\n", range: section.upperBound..<readme.endIndex),
            let close = readme.range(of: "```", range: open.upperBound..<readme.endIndex)
        else { throw XCTSkip("README has no Using it block") }
        return String(readme[open.upperBound..<close.lowerBound])
    }

    func testUsingItWorksAsWrittenInOrder() throws {
        let block = try Self.usingItBlock()
        XCTAssertTrue(block.contains("epara classify"), block)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("epara-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createSymbolicLink(
            at: dir.appendingPathComponent("examples"),
            withDestinationURL: Epara.packageRoot.appendingPathComponent("examples"))
        let script = dir.appendingPathComponent("using-it.sh")
        try ("set -euo pipefail\n" + block).write(to: script, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        process.currentDirectoryURL = dir
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = Epara.binary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        // As a newcomer runs it: plans searched with the default budget (the suite's other
        // tests plan without), so that the figures the README quotes are the ones checked below.
        environment["EPARA_SEARCH_BUDGET"] = nil
        process.environment = environment
        let err = dir.appendingPathComponent("stderr"), out = dir.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: err), outHandle = try FileHandle(forWritingTo: out)
        process.standardError = errHandle
        process.standardOutput = outHandle
        try process.run()
        process.waitUntilExit()
        try errHandle.close()
        try outHandle.close()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, "the README's Using it block failed:\n\(stderr)")
        for output in [
            "classified.json", "plan.json", "epara.json", "alpaserve.json", "local.json", "report.html", "state.db", "next.json",
            "requests.jsonl", "same.json",
        ] {
            let path = dir.appendingPathComponent("out/\(output)").path
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 0, "out/\(output) was not written")
        }
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["examples", "out", "stderr", "stdout", "using-it.sh"],
            "the block writes only under out/")
        // The baseline's shortfalls are on stderr, as warnings a user sees.
        XCTAssertTrue(stderr.contains("warning"), stderr)

        // Every line the README quotes of what the block prints is a line it printed.
        let printed = Set(try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map { Self.trimmed($0) })
        let quoted = try Self.quotedOutput()
        XCTAssertGreaterThan(quoted.count, 10)
        for line in quoted { XCTAssertTrue(printed.contains(line), "the README quotes a line the block did not print:\n\(line)") }
    }

    static func trimmed(_ line: Substring) -> String {
        String(line.reversed().drop { $0 == " " }.reversed())
    }

    /// The lines of the indented output blocks under "What each prints" ("…" stands for lines left out).
    static func quotedOutput() throws -> [String] {
        let readme = try String(contentsOf: Epara.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "What each prints, in short:"), let end = readme.range(of: "### In a Makefile") else {
            throw XCTSkip("README has no What each prints section")
        }
        var lines: [String] = []
        var inside = false
        for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "  ```" {
                inside.toggle()
            } else if inside, line != "  …" {
                lines.append(trimmed(line.dropFirst(2)))
            }
        }
        return lines
    }
}
