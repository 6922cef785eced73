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
        process.environment = environment
        let err = dir.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let errHandle = try FileHandle(forWritingTo: err)
        process.standardError = errHandle
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try errHandle.close()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, "the README's Using it block failed:\n\(stderr)")
        for output in [
            "classified.json", "plan.json", "epara.json", "alpaserve.json", "local.json", "report.html", "state.db", "next.json",
            "requests.jsonl", "same.json",
        ] {
            let size = (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(output).path)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 0, "\(output) was not written")
        }
        // The baseline's shortfalls are on stderr, as warnings a user sees.
        XCTAssertTrue(stderr.contains("warning"), stderr)
    }
}
