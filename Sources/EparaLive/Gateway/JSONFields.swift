import EparaCore

/// The top-level fields of a JSON object as raw bytes, and small JSON objects written as text:
/// the gateway's per-request path. Foundation's JSONSerialization spent two thirds of a native
/// request's CPU time here (bridging every value through NSDictionary), and a request's
/// `input` is passed to the model server as it came, so it need not be parsed at all.
enum JSONFields {
    /// `{"a": 1, "b": {...}}` → [("a", "1"), ("b", "{...}")], keys as written (escapes kept);
    /// nil when the text is not a JSON object (values are checked for balance and string
    /// escapes, not parsed).
    static func scan(_ bytes: [UInt8]) -> [(key: String, raw: ArraySlice<UInt8>)]? {
        var i = skipSpace(bytes, 0)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
        i = skipSpace(bytes, i + 1)
        var fields: [(key: String, raw: ArraySlice<UInt8>)] = []
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            return skipSpace(bytes, i + 1) == bytes.count ? fields : nil
        }
        while i < bytes.count {
            guard bytes[i] == UInt8(ascii: "\""), let keyEnd = stringEnd(bytes, i) else { return nil }
            guard let key = String(validating: bytes[(i + 1)..<(keyEnd - 1)], as: UTF8.self) else { return nil }
            i = skipSpace(bytes, keyEnd)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            let start = skipSpace(bytes, i + 1)
            guard let end = valueEnd(bytes, start) else { return nil }
            fields.append((key, bytes[start..<end]))
            i = skipSpace(bytes, end)
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: "}") { return skipSpace(bytes, i + 1) == bytes.count ? fields : nil }
            guard bytes[i] == UInt8(ascii: ",") else { return nil }
            i = skipSpace(bytes, i + 1)
        }
        return nil
    }

    /// A whole number from a raw value (`12`, not `1.5`, `"12"` or `true`).
    static func integer(_ raw: ArraySlice<UInt8>) -> Int? {
        guard !raw.isEmpty, raw.count <= 12, raw.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") })
        else { return nil }
        return Int(String(decoding: raw, as: UTF8.self))
    }

    static func skipSpace(_ bytes: [UInt8], _ start: Int) -> Int {
        var i = start
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        return i
    }

    /// Index just past the closing quote of the string opening at `start`.
    static func stringEnd(_ bytes: [UInt8], _ start: Int) -> Int? {
        var i = start + 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""): return i + 1
            case 0..<0x20: return nil
            default: i += 1
            }
        }
        return nil
    }

    /// Index just past the value starting at `start`: a string, a balanced object or array, or a
    /// bare literal (number, true, false, null).
    static func valueEnd(_ bytes: [UInt8], _ start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return stringEnd(bytes, start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0, i = start
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let end = stringEnd(bytes, i) else { return nil }
                    i = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return i + 1 }
                default: break
                }
                i += 1
            }
            return nil
        default:
            var i = start
            while i < bytes.count, let c = Optional(bytes[i]),
                (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                    || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: "E")
            {
                i += 1
            }
            guard i > start,
                ["true", "false", "null"].contains(String(decoding: bytes[start..<i], as: UTF8.self))
                    || (bytes[start] >= UInt8(ascii: "0") && bytes[start] <= UInt8(ascii: "9")) || bytes[start] == UInt8(ascii: "-")
            else { return nil }
            return i
        }
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String { JSONOutput.quoted(text) }
}
