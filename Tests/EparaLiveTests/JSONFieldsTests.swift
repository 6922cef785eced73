import Foundation
import XCTest

@testable import EparaLive

/// The gateway's own reading of a native request's fields and writing of JSON strings, held to
/// Foundation's JSON on the same texts.
final class JSONFieldsTests: XCTestCase {
    func fields(_ text: String) -> [String: String]? {
        JSONFields.scan(Array(text.utf8)).map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key, String(decoding: $0.raw, as: UTF8.self)) }) }
    }

    func testTopLevelFieldsComeBackAsRawValues() {
        XCTAssertEqual(fields(#"{}"#), [:])
        XCTAssertEqual(fields(#" { "input_tokens" : 800 , "output_tokens":120 } "#), ["input_tokens": "800", "output_tokens": "120"])
        XCTAssertEqual(
            fields(#"{"input": {"inputs": [{"name": "x", "data": [1, 2, "}"]}]}, "stream_id": 3}"#),
            ["input": #"{"inputs": [{"name": "x", "data": [1, 2, "}"]}]}"#, "stream_id": "3"])
        XCTAssertEqual(
            fields(#"{"input": "say \"hi\" {", "x": null, "y": true, "z": -1.5e3}"#),
            ["input": #""say \"hi\" {""#, "x": "null", "y": "true", "z": "-1.5e3"])
    }

    func testWhatIsNotAJSONObjectIsRefused() {
        for text in [
            "", "[]", "{", #"{"a"}"#, #"{"a": }"#, #"{"a": 1,}"#, #"{"a": 1} x"#, #"{"a": [1, 2}"#, #"{"a": "open}"#, #"{a: 1}"#,
            #"{"a": nope}"#, "{\"a\": \"line\nbreak\"}",
        ] {
            XCTAssertNil(fields(text), text)
            // Foundation forgives a trailing comma; the gateway does not.
            if !text.hasSuffix(",}") {
                XCTAssertNil(try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "Foundation agrees: \(text)")
            }
        }
    }

    func testIntegersAreWholeNumbersOnly() {
        XCTAssertEqual(JSONFields.integer(ArraySlice("42".utf8)), 42)
        for text in ["1.5", "\"3\"", "true", "", "1e3", "99999999999999"] { XCTAssertNil(JSONFields.integer(ArraySlice(text.utf8)), text) }
    }

    func testQuotedStringsRoundTripThroughFoundation() throws {
        for text in ["plain", "with \"quotes\" and \\ slash", "tab\tnew\nline\r", "control \u{01}\u{1F}", "unicode é 🚀"] {
            let decoded = try JSONSerialization.jsonObject(with: Data("[\(JSONFields.quoted(text))]".utf8)) as? [String]
            XCTAssertEqual(decoded, [text])
        }
    }
}
