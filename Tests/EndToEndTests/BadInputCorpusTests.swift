import Foundation
import XCTest

/// Every bad input must be refused with exit 65 and a located, one-line error within 2 seconds:
/// no crash, no hang, no stack trace.
final class BadInputCorpusTests: XCTestCase {
    static let locatedError = try! NSRegularExpression(pattern: #"^[^\n]+:\d+:\d+: error: [^\n]+$"#, options: [.anchorsMatchLines])

    func check(_ file: URL, expecting expected: String, file testFile: StaticString = #filePath, line: UInt = #line) throws {
        let result = try Epara.run(["classify", file.path])
        let name = file.lastPathComponent
        XCTAssertEqual(result.status, 65, "\(name): exit status; stderr: \(result.stderr)", file: testFile, line: line)
        XCTAssertTrue(result.stdout.isEmpty, "\(name): nothing on stdout", file: testFile, line: line)
        XCTAssertLessThan(result.seconds, 2, "\(name): took \(result.seconds) s", file: testFile, line: line)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertFalse(lines.isEmpty, "\(name): no diagnostic", file: testFile, line: line)
        for diagnostic in lines {
            let text = String(diagnostic)
            let range = NSRange(text.startIndex..., in: text)
            XCTAssertNotNil(
                Self.locatedError.firstMatch(in: text, range: range),
                "\(name): not a located one-line error: \(text)", file: testFile, line: line)
            XCTAssertTrue(text.hasPrefix(file.path + ":"), "\(name): error names another file: \(text)", file: testFile, line: line)
        }
        XCTAssertTrue(result.stderr.contains(expected), "\(name): expected '\(expected)' in:\n\(result.stderr)", file: testFile, line: line)
    }

    func testStaticCorpus() throws {
        let manifest = try String(contentsOf: Epara.fixture("bad/expected.tsv"), encoding: .utf8)
        var count = 0
        for line in manifest.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            try check(Epara.fixture("bad/\(parts[0])"), expecting: parts[1])
            count += 1
        }
        XCTAssertGreaterThanOrEqual(count, 40)
    }

    /// Inputs too big or too binary to keep in the repository, made fresh for each run.
    func testGeneratedCorpus() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ name: String, _ data: Data) -> URL {
            let url = directory.appendingPathComponent(name)
            _ = FileManager.default.createFile(atPath: url.path, contents: data)
            return url
        }
        var bomb = "apiVersion: epara/v1\nkind: Services\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        bomb += "services: *a9\n"
        try check(write("billion-laughs.yaml", Data(bomb.utf8)), expecting: "alias bomb")

        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        try check(write("deep-nesting.yaml", Data(deep.utf8)), expecting: "nesting")

        let deepMap = (0..<10_000).map { String(repeating: " ", count: $0 % 2) + "{a: " }.joined() + "1" + String(repeating: "}", count: 10_000)
        try check(write("deep-mappings.yaml", Data(deepMap.utf8)), expecting: "nesting")

        let long = "{\"apiVersion\": \"epara/v1\", \"kind\": \"Cluster\", \"nodes\": \"" + String(repeating: "x", count: 5_000_000) + "\"}"
        try check(write("five-megabyte-line.json", Data(long.utf8)), expecting: "expected a list")

        var generator = SystemRandomNumberGenerator()
        let garbage = Data((0..<4096).map { _ in UInt8.random(in: 0x80...0xFF, using: &generator) })
        try check(write("garbage.bin", garbage), expecting: "not UTF-8")

        try check(write("nul-byte.yaml", Data("apiVersion: epara/v1\nkind: Cluster\u{0}\n".utf8)), expecting: "NUL byte")

        let latin1 = Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xE9, 0x0A])
        try check(write("latin1.yaml", latin1), expecting: "not UTF-8")

        try check(write("control-character.yaml", Data("apiVersion: epara/v1\nkind: Cluster\nnodes: \u{07}\n".utf8)), expecting: "control characters")

        let huge = Data(repeating: UInt8(ascii: " "), count: (64 << 20) + 1)
        try check(write("over-64-mib.yaml", huge), expecting: "the limit is")
    }

    func testMissingFileExits66() throws {
        let result = try Epara.run(["classify", "no/such/file.yaml"])
        XCTAssertEqual(result.status, 66)
        XCTAssertEqual(result.stderr, "no/such/file.yaml:1:1: error: no such file\n")
    }

    func testDirectoryExits66() throws {
        let result = try Epara.run(["classify", "examples"])
        XCTAssertEqual(result.status, 66)
        XCTAssertTrue(result.stderr.contains("is a directory"))
    }

    func testAllErrorsOfADocumentAtOnce() throws {
        let text = """
            apiVersion: epara/v1
            kind: Cluster
            nodes:
              - name: a
                sit: lab
                devices: [{type: rtx-4091, count: two}]

            """
        let result = try Epara.run(["classify", "-"], stdin: Data(text.utf8))
        XCTAssertEqual(result.status, 65)
        XCTAssertEqual(
            result.stderr,
            """
            <stdin>:4:5: error: nodes[0]: missing required key 'site' (the site the node is in)
            <stdin>:5:5: error: nodes[0].sit: unknown key 'sit'; did you mean 'site'? (known keys: name, site, devices, interconnect, address)
            <stdin>:6:22: error: nodes[0].devices[0].type: unknown device type 'rtx-4091': not in the catalog (see `epara catalog`); did you mean 'rtx-4090'?
            <stdin>:6:39: error: nodes[0].devices[0].count: expected a whole number, found the string "two"

            """)
    }
}
