import XCTest

@testable import EparaCore

/// The YAML reader on the system libyaml: what plain scalars resolve to (YAML 1.1, as the
/// libyaml-based readers epara's users have), where nodes start, and the limits composing keeps.
final class YAMLComposerTests: XCTestCase {
    func compose(_ text: String, maximumAliasNodes: Int = 1000) throws(InputError) -> [YAMLNode] {
        try YAMLComposer.compose(text, file: "t.yaml", maximumAliasNodes: maximumAliasNodes)
    }

    func errors(_ text: String) -> [String] {
        do {
            _ = try compose(text)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    func scalar(_ text: String) throws -> YAMLScalar {
        let root = try XCTUnwrap(try compose("v: \(text)\n").first)
        return try XCTUnwrap(root["v"]?.scalar, text)
    }

    /// Each row was read with Yams (libyaml vendored, the same rules as regular expressions)
    /// before epara moved to the system libyaml; the tags must not change under a user's files.
    func testPlainScalarsResolveAsYAML11Says() throws {
        let table: [(String, YAMLScalar.Tag)] = [
            ("0x2", .int), ("012", .int), ("0o17", .int), ("1:30", .int), ("1_0", .int), ("+3", .int), ("-0", .int),
            ("0b101", .int), ("0x_FF", .int), ("-012", .int), ("1__2", .int), ("99999999999999999999", .int), ("0", .int),
            ("0b2", .str), ("_1", .str), ("1.2.3", .str), ("1e", .str), ("e3", .str), (".e3", .str), (".5e3", .str),
            ("truE", .str), ("y", .str), ("n", .str), ("0o", .str), ("1:60", .str), ("\"2\"", .str), ("'2'", .str),
            ("!!str 2", .str), ("! 7", .str), ("=", .other), ("<<", .other), ("!custom 7", .other),
            ("2020-01-01", .other), ("2001-12-14t21:59:43.10-05:00", .other), ("2001-12-14 21:59:43.10", .other),
            ("yes", .bool), ("No", .bool), ("ON", .bool), ("off", .bool), ("true", .bool), ("FALSE", .bool), ("!!bool yes", .bool),
            ("~", .null), ("null", .null), ("NULL", .null), ("", .null), ("!!null x", .null),
            (".inf", .float), ("-.inf", .float), ("+.INF", .float), (".NaN", .float), ("1.5e3", .float), ("1e3", .float),
            ("1.5e+3", .float), ("3.", .float), (".5", .float), ("190:20:30.15", .float), ("08", .float), ("09", .float),
            (".5e+3", .float), ("!!float 3", .float), ("!!int \"7\"", .int),
        ]
        for (text, tag) in table {
            XCTAssertEqual(try scalar(text).tag, tag, text)
        }
    }

    func testNumbersReadAsYAML11Says() throws {
        let integers: [(String, Int?)] = [
            ("0x2", 2), ("012", 10), ("0o17", 15), ("1:30", 90), ("1_0", 10), ("+3", 3), ("-0", 0), ("0b101", 5), ("-012", -10),
            ("99999999999999999999", nil), ("-9223372036854775808", Int.min), ("!!int \"7\"", 7),
        ]
        for (text, value) in integers { XCTAssertEqual(try scalar(text).int, value, text) }
        let numbers: [(String, Double)] = [
            ("1.5e3", 1500), ("3.", 3), (".5", 0.5), ("190:20:30.15", 685_230.15), ("-.inf", -.infinity), ("1_000.5", 1000.5),
        ]
        for (text, value) in numbers { XCTAssertEqual(try XCTUnwrap(try scalar(text).float), value, accuracy: 1e-9, text) }
        XCTAssertTrue(try XCTUnwrap(try scalar(".nan").float).isNaN)
        XCTAssertEqual(try scalar("On").bool, true)
        XCTAssertEqual(try scalar("'yes'").bool, nil, "a quoted yes is a string")
    }

    func testNodesKeepWhereTheyStart() throws {
        let documents = try compose("a:\n  - x\n  - {b: 1, c: [2]}\n---\n\"q\": é\n")
        XCTAssertEqual(documents.count, 2)
        let list = try XCTUnwrap(documents[0]["a"])
        XCTAssertEqual([list.line, list.column], [2, 3])
        guard case let .sequence(items) = list.content else { return XCTFail("a list") }
        XCTAssertEqual([items[1].line, items[1].column], [3, 5])
        let c = try XCTUnwrap(items[1]["c"])
        XCTAssertEqual([c.line, c.column], [3, 15])
        XCTAssertEqual(documents[1]["q"]?.string, "é")
        XCTAssertEqual(documents[1]["q"]?.scalar?.style, .plain)
    }

    func testAliasesAreReusedAndBounded() throws {
        let root = try XCTUnwrap(try compose("a: &x {k: [1, 2]}\nb: *x\n").first)
        XCTAssertEqual(root["b"]?["k"]?.line, 1, "an alias stands for the anchored node")
        XCTAssertEqual(errors("a: &x 1\n*x : 2\n"), ["t.yaml:2:1: error: an alias cannot be used as a mapping key"])
        XCTAssertEqual(errors("a: *nope\n"), ["t.yaml:1:4: error: malformed YAML: found undefined alias"])
        XCTAssertEqual(
            errors("a: &x 1\n---\nb: *x\n"), ["t.yaml:3:4: error: malformed YAML: found undefined alias"], "anchors belong to their document")
    }

    func testNestingIsBounded() {
        let deep = String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000)
        XCTAssertEqual(errors(deep), ["t.yaml:1:1001: error: malformed YAML: nesting deeper than 1000 levels"])
        let fine = String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000)
        XCTAssertEqual(errors(fine), [])
    }

    func testARepeatedKeyIsReportedWhereItIsRepeated() {
        XCTAssertEqual(
            errors("name: a\nsite: s\nname: b\n"), ["t.yaml:3:1: error: duplicate key 'name' in a mapping (first at line 1, column 1)"])
        XCTAssertEqual(
            errors("apiVersion: epara/v1\nkind: Cluster\nkind: Services\n"),
            [
                "t.yaml:3:1: error: duplicate key 'kind' in a mapping (first at line 2, column 1) (two documents in one stream? put a line --- between them)"
            ])
        XCTAssertEqual(errors("1: a\n\"1\": b\n"), [], "the integer 1 and the string \"1\" are different keys")
        XCTAssertEqual(errors("a: 1\n'a': 2\n"), ["t.yaml:2:1: error: duplicate key 'a' in a mapping (first at line 1, column 1)"])
        let wide = (0..<40).map { "k\($0): \($0)" }.joined(separator: "\n") + "\nk7: again\n"
        XCTAssertEqual(errors(wide), ["t.yaml:41:1: error: duplicate key 'k7' in a mapping (first at line 8, column 1)"], "large mappings too")
    }

    func testLibyamlErrorsAreLocated() {
        XCTAssertEqual(errors("a: [1, 2\n"), ["t.yaml:2:1: error: malformed YAML: did not find expected ',' or ']' while parsing a flow sequence"])
        XCTAssertEqual(
            errors("a:\n\tb: 1\n"),
            ["t.yaml:2:1: error: malformed YAML: found character that cannot start any token while scanning for the next token"])
        XCTAssertEqual(
            errors("é: x\u{01}\n"), ["t.yaml:1:5: error: unreadable input: control characters are not allowed"], "columns count characters")
    }
}
