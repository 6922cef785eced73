import Foundation

/// A parsed YAML or JSON stream: one root node per `---` document.
public struct ParsedSource {
    public var source: SourceText
    public var documents: [YAMLNode]
}

/// Parses text with the system libyaml into nodes that keep their line and column.
public enum YAMLSource {
    /// What aliases may add to a document: no epara document comes near it, and it keeps a
    /// "billion laughs" text from expanding to billions of nodes (the composer refuses it).
    public static let maximumAliasNodes = 200_000

    public static func parse(_ source: SourceText) throws(InputError) -> ParsedSource {
        let documents = try YAMLComposer.compose(source.text, file: source.name, maximumAliasNodes: maximumAliasNodes)
        return ParsedSource(source: source, documents: documents)
    }
}

/// Reads typed values out of a node tree, recording every problem with its location and
/// field path instead of stopping at the first one.
public final class NodeReader {
    public let file: String
    public let sink: DiagnosticSink
    public init(file: String, sink: DiagnosticSink) {
        self.file = file
        self.sink = sink
    }

    public func location(of node: YAMLNode) -> SourceLocation {
        SourceLocation(file: file, line: node.line, column: node.column)
    }

    public func value(_ node: YAMLNode, path: String) -> YAMLValue {
        YAMLValue(node: node, path: path, reader: self)
    }

    func error(_ node: YAMLNode, _ path: String, _ message: String) {
        sink.error(location(of: node), path, message)
    }
}

/// One node at a field path, with typed accessors that report mismatches.
public struct YAMLValue {
    public let node: YAMLNode
    public let path: String
    public let reader: NodeReader

    public var location: SourceLocation { reader.location(of: node) }

    /// The resolved YAML tag (`!!int`, `!!str`, ...) of a scalar, nil for a collection.
    var tagName: YAMLScalar.Tag? { node.scalar?.tag }

    public func error(_ message: String) {
        reader.error(node, path, message)
    }

    /// A short description of what the node is, for "expected X, found Y" messages.
    public var found: String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case let .scalar(scalar):
            if isNull { return "nothing (null)" }
            let text = scalar.text.count > 40 ? String(scalar.text.prefix(37)) + "..." : scalar.text
            switch tagName {
            case .bool: return "the boolean \(text)"
            case .int: return "the integer \(text)"
            case .float: return "the number \(text)"
            default: return "the string \"\(text)\""
            }
        }
    }

    var isNull: Bool {
        if let scalar = node.scalar {
            return scalar.tag == .null || (scalar.style == .plain && scalar.text.isEmpty)
        }
        return false
    }

    public func mapping(keys: [String]) -> YAMLMapping? {
        guard case let .mapping(mapping) = node.content else {
            error("expected a mapping with keys \(keys.joined(separator: ", ")), found \(found)")
            return nil
        }
        var entries: [String: (key: YAMLNode, value: YAMLNode)] = [:]
        var order: [String] = []
        for pair in mapping {
            let key = pair.key
            guard let scalar = key.scalar else {
                reader.error(key, path, "expected a plain key, found \(YAMLValue(node: key, path: path, reader: reader).found)")
                continue
            }
            let name = scalar.text
            guard keys.contains(name) else {
                let hint = Suggestion.closest(to: name, in: keys).map { "; did you mean '\($0)'?" } ?? ""
                reader.error(key, join(name), "unknown key '\(name)'\(hint) (known keys: \(keys.joined(separator: ", ")))")
                continue
            }
            entries[name] = (key, pair.value)
            order.append(name)
        }
        return YAMLMapping(owner: self, entries: entries, order: order)
    }

    /// The value of `key` in a mapping, read without checking the other keys (nil when this
    /// is no mapping or has no such key): for a key that decides how the rest is read.
    public func peek(_ key: String) -> YAMLValue? {
        node[key].map { YAMLValue(node: $0, path: join(key), reader: reader) }
    }

    /// True for a mapping with no entries at all (not one whose keys were all unknown).
    public var isEmptyMapping: Bool {
        if case let .mapping(mapping) = node.content { return mapping.isEmpty }
        return false
    }

    public func list() -> [YAMLValue]? {
        guard case let .sequence(sequence) = node.content else {
            error("expected a list, found \(found)")
            return nil
        }
        return sequence.enumerated().map { index, item in reader.value(item, path: "\(path)[\(index)]") }
    }

    func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func string() -> String? {
        guard let scalar = node.scalar, !isNull else {
            error("expected a string, found \(found)")
            return nil
        }
        return scalar.text
    }

    /// A non-empty name made of letters, digits and `-_.:/`: it appears in routes, metric labels and file names.
    public func name() -> String? {
        guard let text = string() else { return nil }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.:/"))
        guard !text.isEmpty, text.count <= 128, text.unicodeScalars.allSatisfy(allowed.contains) else {
            error("expected a name of 1 to 128 letters, digits, '-', '_', '.', ':' or '/', found \(found)")
            return nil
        }
        return text
    }

    public func bool() -> Bool? {
        guard tagName == .bool, let value = node.scalar?.bool else {
            error("expected true or false, found \(found)")
            return nil
        }
        return value
    }

    /// A finite number; `minimum` (inclusive) and `above` (exclusive) bound it.
    public func number(minimum: Double? = 0, above: Double? = nil) -> Double? {
        let value: Double
        switch tagName {
        case .int:
            guard let parsed = Double(node.string ?? "") ?? node.scalar?.int.map(Double.init) else {
                error("expected a number, found \(found)")
                return nil
            }
            value = parsed
        case .float:
            guard let parsed = node.scalar?.float else {
                error("expected a number, found \(found)")
                return nil
            }
            value = parsed
        default:
            error("expected a number, found \(found)")
            return nil
        }
        return check(value, minimum: minimum, above: above)
    }

    public func integer(minimum: Int = 0, maximum: Int = 1 << 40) -> Int? {
        guard tagName == .int else {
            error("expected a whole number, found \(found)")
            return nil
        }
        guard let value = node.scalar?.int, value >= minimum, value <= maximum else {
            error("expected a whole number from \(minimum) to \(maximum), found \(found)")
            return nil
        }
        return value
    }

    /// A quantity with a unit, converted to the unit `kind` holds. Plain numbers are accepted
    /// only for counts and compute-free kinds where the unit cannot be ambiguous.
    public func quantity(_ kind: Quantity, above: Double? = nil) -> Double? {
        if kind == .count, tagName == .int || tagName == .float {
            return number(minimum: 0, above: above)
        }
        guard let scalar = node.scalar, !isNull, tagName == .str else {
            if tagName == .int || tagName == .float {
                error("expected \(kind.expectation), found \(found) without a unit")
            } else {
                error("expected \(kind.expectation), found \(found)")
            }
            return nil
        }
        guard let value = kind.parse(scalar.text) else {
            error("expected \(kind.expectation), found \(found)")
            return nil
        }
        return check(value, minimum: 0, above: above)
    }

    private func check(_ value: Double, minimum: Double?, above: Double?) -> Double? {
        guard value.isFinite else {
            error("expected a finite number, found \(found)")
            return nil
        }
        if let minimum, value < minimum {
            error("expected a number of at least \(format(minimum)), found \(found)")
            return nil
        }
        if let above, value <= above {
            error("expected a number greater than \(format(above)), found \(found)")
            return nil
        }
        return value
    }

    private func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    /// One of a fixed set of words.
    public func oneOf(_ choices: [String]) -> String? {
        guard let text = string() else { return nil }
        guard choices.contains(text) else {
            let hint = Suggestion.closest(to: text, in: choices).map { "; did you mean '\($0)'?" } ?? ""
            error("expected one of \(choices.joined(separator: ", ")), found \(found)\(hint)")
            return nil
        }
        return text
    }
}

/// A mapping whose keys were checked against the known ones.
public struct YAMLMapping {
    let owner: YAMLValue
    let entries: [String: (key: YAMLNode, value: YAMLNode)]
    /// Keys in document order.
    public let order: [String]

    public var location: SourceLocation { owner.location }
    public var path: String { owner.path }

    public func contains(_ key: String) -> Bool { entries[key] != nil }

    public func optional(_ key: String) -> YAMLValue? {
        guard let entry = entries[key] else { return nil }
        let value = owner.reader.value(entry.value, path: owner.join(key))
        return value.isNull ? nil : value
    }

    public func required(_ key: String, _ what: String) -> YAMLValue? {
        guard let value = optional(key) else {
            if let entry = entries[key] {
                owner.reader.error(entry.value, owner.join(key), "expected \(what), found nothing")
            } else {
                owner.error("missing required key '\(key)' (\(what))")
            }
            return nil
        }
        return value
    }

    public func error(_ message: String) { owner.error(message) }
}

/// "Did you mean" suggestions by edit distance.
public enum Suggestion {
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let lowered = word.lowercased()
        let scored = candidates.map { ($0, distance(lowered, $0.lowercased())) }
        guard let best = scored.min(by: { ($0.1, $0.0) < ($1.1, $1.0) }) else { return nil }
        let limit = max(2, word.count / 3)
        return best.1 <= limit ? best.0 : nil
    }

    /// Levenshtein distance.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

extension YAMLValue {
    /// A mapping whose keys are data (batch sizes, names) rather than a fixed schema.
    public func entries() -> [(key: String, keyLocation: SourceLocation, value: YAMLValue)]? {
        guard case let .mapping(mapping) = node.content else {
            error("expected a mapping, found \(found)")
            return nil
        }
        var result: [(String, SourceLocation, YAMLValue)] = []
        for pair in mapping {
            guard let key = pair.key.scalar else {
                reader.error(pair.key, path, "expected a plain key, found a collection")
                continue
            }
            result.append((key.text, reader.location(of: pair.key), reader.value(pair.value, path: join(key.text))))
        }
        return result
    }

    /// A string or a list of strings, as `origin: campus` or `origin: [campus, lab]`.
    public func names() -> [String]? {
        if case .sequence = node.content {
            guard let items = list() else { return nil }
            let names = items.compactMap { $0.name() }
            return names.count == items.count ? names : nil
        }
        return name().map { [$0] }
    }
}
