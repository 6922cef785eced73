import Foundation
import XCTest

/// What the project's own files promise about the binary: one version everywhere.
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
}
