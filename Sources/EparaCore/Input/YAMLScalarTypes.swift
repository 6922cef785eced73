/// What a plain scalar means, by YAML 1.1's type rules as libyaml-based readers apply them
/// (PyYAML, and Yams, which epara read YAML with before): `yes`/`no`/`on`/`off` are booleans,
/// `012` is octal, `1:30` is base 60. Documents written for those readers read the same here.
/// The rules are those of yaml.org/type (bool, int, float, merge, null, timestamp, value), tried
/// in that order, written out as scanners over the bytes: a Run has millions of scalars.
public enum YAMLScalarTypes {
    public static func resolve(_ text: String) -> YAMLScalar.Tag {
        var text = text
        return text.withUTF8 { bytes in
            if isBool(bytes) { return .bool }
            if isInt(bytes) { return .int }
            if isFloat(bytes) { return .float }
            if bytes.elementsEqual("<<".utf8) { return .other }
            if isNull(bytes) { return .null }
            if isTimestamp(bytes) || bytes.elementsEqual("=".utf8) { return .other }
            return .str
        }
    }

    static let booleans: Set<String> = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    ]

    static func isBool(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= 2 && bytes.count <= 5 && booleans.contains(String(decoding: bytes, as: UTF8.self))
    }

    static func isNull(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        switch bytes.count {
        case 0: return true
        case 1: return bytes[0] == UInt8(ascii: "~")
        case 4: return ["null", "Null", "NULL"].contains { bytes.elementsEqual($0.utf8) }
        default: return false
        }
    }

    /// `[-+]?(0b[01_]+ | 0o?[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+ | [1-9][0-9_]*(:[0-5]?[0-9])+)`
    static func isInt(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = Scanner(bytes)
        s.sign()
        guard let first = s.peek else { return false }
        if first == UInt8(ascii: "0") {
            s.advance()
            if s.take("b") { return s.many(where: { $0 == 0x30 || $0 == 0x31 || $0 == 0x5F }) && s.atEnd }
            if s.take("x") { return s.many(where: { isHexDigit($0) || $0 == 0x5F }) && s.atEnd }
            if s.atEnd { return true }
            _ = s.take("o")
            return s.many(where: { (0x30...0x37).contains($0) || $0 == 0x5F }) && s.atEnd
        }
        guard (0x31...0x39).contains(first) else { return false }
        s.digitsAndUnderscores()
        return s.atEnd || (s.sexagesimalGroups() && s.atEnd)
    }

    /// `[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)?
    /// | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
    static func isFloat(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = Scanner(bytes)
        let signed = s.sign()
        guard let first = s.peek else { return false }
        if first == UInt8(ascii: ".") {
            s.advance()
            let rest = String(decoding: UnsafeBufferPointer(rebasing: bytes[s.index...]), as: UTF8.self)
            if ["inf", "Inf", "INF"].contains(rest) { return true }
            if ["nan", "NaN", "NAN"].contains(rest) { return !signed }
            guard !signed, s.many(where: { isDigit($0) || $0 == 0x5F }) else { return false }
            if s.take("e") || s.take("E") {
                guard s.take("-") || s.take("+") else { return false }
                return s.many(where: isDigit) && s.atEnd
            }
            return s.atEnd
        }
        guard isDigit(first) else { return false }
        s.digitsAndUnderscores()
        if s.peek == UInt8(ascii: ":") {
            guard s.sexagesimalGroups(), s.take(".") else { return false }
            s.digitsAndUnderscores()
            return s.atEnd
        }
        if s.take(".") { s.digitsAndUnderscores() }
        if s.take("e") || s.take("E") {
            s.sign()
            guard s.many(where: isDigit) else { return false }
        }
        return s.atEnd
    }

    /// `YYYY-MM-DD`, or `YYYY-M-D` followed by a time (`T` or blanks, `H:MM:SS`, fraction, zone).
    static func isTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var s = Scanner(bytes)
        guard s.digits(4), s.take("-") else { return false }
        let monthDigits = s.countDigits(upTo: 2)
        guard monthDigits > 0, s.take("-") else { return false }
        let dayDigits = s.countDigits(upTo: 2)
        guard dayDigits > 0 else { return false }
        if s.atEnd { return monthDigits == 2 && dayDigits == 2 }
        if !(s.take("T") || s.take("t")) {
            guard s.many(where: isBlank) else { return false }
        }
        guard s.countDigits(upTo: 2) > 0, s.take(":"), s.digits(2), s.take(":"), s.digits(2) else { return false }
        if s.take(".") { _ = s.many(where: isDigit) }
        if s.atEnd { return true }
        _ = s.many(where: isBlank)
        if s.take("Z") { return s.atEnd }
        guard s.take("-") || s.take("+"), s.countDigits(upTo: 2) > 0 else { return false }
        if s.take(":") { guard s.digits(2) else { return false } }
        return s.atEnd
    }

    /// The value of text that `isInt` accepts (nil if it does not fit an Int).
    public static func integer(_ text: String) -> Int? {
        var digits = text.replacingOccurrences(of: "_", with: "")
        var negative = false
        if let first = digits.first, first == "-" || first == "+" {
            negative = first == "-"
            digits.removeFirst()
        }
        let magnitude: Int?
        if digits.contains(":") {
            magnitude = sexagesimal(digits, Int.init)
        } else if digits.hasPrefix("0x") {
            magnitude = Int(digits.dropFirst(2), radix: 16)
        } else if digits.hasPrefix("0b") {
            magnitude = Int(digits.dropFirst(2), radix: 2)
        } else if digits.hasPrefix("0o") {
            magnitude = Int(digits.dropFirst(2), radix: 8)
        } else if digits.hasPrefix("0"), digits.count > 1 {
            magnitude = Int(digits.dropFirst(), radix: 8)
        } else {
            magnitude = Int(digits)
        }
        guard let magnitude else {
            // Int.min has no positive counterpart.
            return negative ? Int("-" + digits) : nil
        }
        return negative ? -magnitude : magnitude
    }

    /// The value of text that `isFloat` (or `isInt`) accepts.
    public static func float(_ text: String) -> Double? {
        switch text.lowercased() {
        case ".inf", "+.inf": return .infinity
        case "-.inf": return -.infinity
        case ".nan": return .nan
        default: break
        }
        var digits = text.replacingOccurrences(of: "_", with: "")
        guard digits.contains(":") else { return Double(digits) }
        let negative = digits.hasPrefix("-")
        if negative || digits.hasPrefix("+") { digits.removeFirst() }
        return sexagesimal(digits, Double.init).map { negative ? -$0 : $0 }
    }

    /// `a:b:c` as ((a × 60) + b) × 60 + c.
    static func sexagesimal<T: Numeric>(_ text: String, _ parse: (String) -> T?) -> T? {
        var total: T = 0
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard let value = parse(String(part)) else { return nil }
            total = total * 60 + value
        }
        return total
    }

    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    static func isHexDigit(_ byte: UInt8) -> Bool { isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte) }
    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// A cursor over the bytes of a scalar.
    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
        mutating func advance() { index += 1 }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard peek == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        @discardableResult
        mutating func sign() -> Bool { take("-") || take("+") }

        /// One or more bytes matching `predicate`.
        mutating func many(where predicate: (UInt8) -> Bool) -> Bool {
            let start = index
            while let byte = peek, predicate(byte) { index += 1 }
            return index > start
        }

        mutating func digitsAndUnderscores() { _ = many { YAMLScalarTypes.isDigit($0) || $0 == 0x5F } }

        /// Exactly `count` digits.
        mutating func digits(_ count: Int) -> Bool { countDigits(upTo: count) == count }

        mutating func countDigits(upTo limit: Int) -> Int {
            var count = 0
            while count < limit, let byte = peek, YAMLScalarTypes.isDigit(byte) {
                index += 1
                count += 1
            }
            return count
        }

        /// `(:[0-5]?[0-9])+`: at least one group.
        mutating func sexagesimalGroups() -> Bool {
            var groups = 0
            while take(":") {
                let start = index
                let count = countDigits(upTo: 2)
                guard count == 1 || (count == 2 && bytes[start] <= UInt8(ascii: "5")) else { return false }
                groups += 1
            }
            return groups > 0
        }
    }
}
