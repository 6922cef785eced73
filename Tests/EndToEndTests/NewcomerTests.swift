import Foundation
import XCTest

/// What a new user meets first: help examples that can be copied, a misspelt subcommand, the
/// wrong document piped into a stage, a misspelt key.
final class NewcomerTests: XCTestCase {
    static let commands: [[String]] = [[], ["classify"], ["plan"], ["serve"], ["report"], ["catalog"]]

    /// The "Examples:" block of a help text: its lines up to the next blank line.
    static func examples(_ help: String) -> [String] {
        let lines = help.components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.hasPrefix("Examples:") }) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
    }

    /// Every help example is a whole command line at 80 columns (continued with a trailing
    /// backslash, never wrapped in the middle), and every example file it names exists.
    func testHelpExamplesCanBeCopiedAndNameFilesThatExist() throws {
        for command in Self.commands {
            let result = try Epara.run(command + ["--help"])
            XCTAssertEqual(result.status, 0)
            let block = Self.examples(result.stdoutText)
            XCTAssertFalse(block.isEmpty, "epara \(command.joined()) --help has no examples")
            var continued = false
            for line in block {
                XCTAssertLessThanOrEqual(line.count, 80, "too wide to copy from an 80-column terminal: \(line)")
                if continued {
                    XCTAssertTrue(line.hasPrefix("    "), "a continuation line is indented: \(line)")
                } else {
                    XCTAssertTrue(line.hasPrefix("  ") && !line.hasPrefix("   "), "an example starts a command line: '\(line)'")
                }
                continued = line.hasSuffix("\\")
                for word in line.split(separator: " ") where word.contains("examples/") {
                    let path = String(word.split(separator: "=").last!)
                    let checked = path.contains("*") ? (path as NSString).deletingLastPathComponent : path
                    XCTAssertTrue(
                        FileManager.default.fileExists(atPath: Epara.packageRoot.appendingPathComponent(checked).path),
                        "help example names \(path), which does not exist")
                }
            }
            XCTAssertFalse(continued, "the last example ends in a continuation")
        }
    }

    func testMisspeltSubcommandGetsADidYouMean() throws {
        let result = try Epara.run(["clasify", "examples/edge-lab/cluster.yaml"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("unknown subcommand 'clasify'; did you mean 'classify'?"), result.stderr)
        XCTAssertEqual(try Epara.run(["frobnicate"]).status, 64)
    }

    /// A Plan piped into classify: one line, and it is about the kind.
    func testWrongKindIsTheOneError() throws {
        let plan = try Data(contentsOf: Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json"))
        let result = try Epara.run(["classify", "-"], stdin: plan)
        XCTAssertEqual(result.status, 65)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr)
        XCTAssertTrue(
            lines.first?.contains("kind: expected one of Cluster, Services, Catalog, found the string \"Plan\"") == true,
            result.stderr)
    }

    /// A misspelt SLO key: the unknown key with its hint, not also "an empty mapping".
    func testMisspeltSLOKeyIsOneClearError() throws {
        let services = """
            apiVersion: epara/v1
            kind: Services
            services:
              - name: photo
                model: resnet-50
                slo: {latncy: 100ms}
                demand: {rate: 5/s}
            """
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("epara-slo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("services.yaml")
        try services.write(to: file, atomically: true, encoding: .utf8)
        let result = try Epara.run(["classify", "examples/edge-lab/cluster.yaml", file.path])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("unknown key 'latncy'; did you mean 'latency'?"), result.stderr)
        XCTAssertFalse(result.stderr.contains("empty mapping"), result.stderr)
    }
}
