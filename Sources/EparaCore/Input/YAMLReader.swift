import Foundation
import Yams

/// A parsed YAML or JSON stream: one root node per `---` document.
public struct ParsedSource {
    public var source: SourceText
    public var documents: [Node]
}

/// Parses text with libyaml (through Yams) into nodes that keep their line and column.
public enum YAMLSource {
    public static func parse(_ source: SourceText) throws(InputError) -> ParsedSource {
        var documents: [Node] = []
        if let problem = AliasGuard.check(source.text, maximumNodes: NodeReader.maximumNodes) {
            throw InputError(
                .badData, at: SourceLocation(file: source.name, line: problem.line, column: problem.column),
                problem.message)
        }
        do {
            let parser = try Parser(yaml: source.text)
            while let root = try parser.nextRoot() {
                documents.append(root)
            }
        } catch let error as YamlError {
            throw InputError(.badData, [diagnostic(for: error, file: source.name, text: source.text)])
        } catch {
            throw InputError(
                .badData, at: SourceLocation(file: source.name, line: 1, column: 1),
                "cannot parse: \(error)")
        }
        return ParsedSource(source: source, documents: documents)
    }

    static func diagnostic(for error: YamlError, file: String, text: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation {
            SourceLocation(file: file, line: max(mark.line, 1), column: max(mark.column, 1))
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            let while_ = context.map { " \($0.text)" } ?? ""
            return Diagnostic(at: at(mark), path: "", "malformed YAML: \(problem)\(while_)")
        case let .reader(problem, offset, _, _):
            let location = SourceText.location(ofByte: offset ?? 0, in: Data(text.utf8), file: file)
            return Diagnostic(at: location, path: "", "unreadable input: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            // Files concatenated without a document separator repeat apiVersion and kind.
            let hint =
                duplicates.contains("kind") || duplicates.contains("apiVersion")
                ? " (two documents in one stream? put a line --- between them)" : ""
            return Diagnostic(
                at: at(context.mark), path: "",
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in a mapping\(hint)")
        default:
            return Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), path: "", "cannot parse: \(error)")
        }
    }
}

/// Reads typed values out of a node tree, recording every problem with its location and
/// field path instead of stopping at the first one.
public final class NodeReader {
    public let file: String
    public let sink: DiagnosticSink
    /// Nodes left to visit. Aliases let a small text expand to billions of nodes ("billion
    /// laughs"); no epara document comes near this many, so reading stops with an error.
    private var budget: Int
    private var exhausted = false
    public static let maximumNodes = 200_000

    public init(file: String, sink: DiagnosticSink, maximumNodes: Int = NodeReader.maximumNodes) {
        self.file = file
        self.sink = sink
        self.budget = maximumNodes
    }

    public func location(of node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    public func value(_ node: Node, path: String) -> YAMLValue? {
        guard !exhausted else { return nil }
        budget -= 1
        if budget < 0 {
            exhausted = true
            sink.error(
                location(of: node), path,
                "document expands to more than \(NodeReader.maximumNodes) nodes (aliases nested too deep?)")
            return nil
        }
        return YAMLValue(node: node, path: path, reader: self)
    }

    func error(_ node: Node, _ path: String, _ message: String) {
        sink.error(location(of: node), path, message)
    }
}

/// One node at a field path, with typed accessors that report mismatches.
public struct YAMLValue {
    public let node: Node
    public let path: String
    public let reader: NodeReader

    public var location: SourceLocation { reader.location(of: node) }

    /// The resolved YAML tag (`!!int`, `!!str`, ...) of a scalar.
    var tagName: Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    public func error(_ message: String) {
        reader.error(node, path, message)
    }

    /// A short description of what the node is, for "expected X, found Y" messages.
    public var found: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case let .scalar(scalar):
            if isNull { return "nothing (null)" }
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(37)) + "..." : scalar.string
            switch tagName {
            case .bool: return "the boolean \(text)"
            case .int: return "the integer \(text)"
            case .float: return "the number \(text)"
            default: return "the string \"\(text)\""
            }
        }
    }

    var isNull: Bool {
        if case let .scalar(scalar) = node {
            return tagName == .null || (scalar.style == .plain && scalar.string.isEmpty)
        }
        return false
    }

    public func mapping(keys: [String]) -> YAMLMapping? {
        guard case let .mapping(mapping) = node else {
            error("expected a mapping with keys \(keys.joined(separator: ", ")), found \(found)")
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        var order: [String] = []
        for (key, value) in mapping {
            guard case let .scalar(scalar) = key else {
                reader.error(key, path, "expected a plain key, found \(YAMLValue(node: key, path: path, reader: reader).found)")
                continue
            }
            let name = scalar.string
            guard keys.contains(name) else {
                let hint = Suggestion.closest(to: name, in: keys).map { "; did you mean '\($0)'?" } ?? ""
                reader.error(key, join(name), "unknown key '\(name)'\(hint) (known keys: \(keys.joined(separator: ", ")))")
                continue
            }
            entries[name] = (key, value)
            order.append(name)
        }
        return YAMLMapping(owner: self, entries: entries, order: order)
    }

    /// The value of `key` in a mapping, read without checking the other keys (nil when this
    /// is no mapping or has no such key): for a key that decides how the rest is read.
    public func peek(_ key: String) -> YAMLValue? {
        guard case let .mapping(mapping) = node else { return nil }
        for (k, v) in mapping {
            if case let .scalar(scalar) = k, scalar.string == key { return YAMLValue(node: v, path: join(key), reader: reader) }
        }
        return nil
    }

    /// True for a mapping with no entries at all (not one whose keys were all unknown).
    public var isEmptyMapping: Bool {
        if case let .mapping(mapping) = node { return mapping.count == 0 }
        return false
    }

    public func list() -> [YAMLValue]? {
        guard case let .sequence(sequence) = node else {
            error("expected a list, found \(found)")
            return nil
        }
        var items: [YAMLValue] = []
        for (index, item) in sequence.enumerated() {
            guard let value = reader.value(item, path: "\(path)[\(index)]") else { return nil }
            items.append(value)
        }
        return items
    }

    func join(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func string() -> String? {
        guard case let .scalar(scalar) = node, !isNull else {
            error("expected a string, found \(found)")
            return nil
        }
        return scalar.string
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
        guard tagName == .bool, let value = node.bool else {
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
            guard let parsed = Double(node.string ?? "") ?? node.int.map(Double.init) else {
                error("expected a number, found \(found)")
                return nil
            }
            value = parsed
        case .float:
            guard let parsed = node.float else {
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
        guard let value = node.int, value >= minimum, value <= maximum else {
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
        guard case let .scalar(scalar) = node, !isNull, tagName == .str else {
            if tagName == .int || tagName == .float {
                error("expected \(kind.expectation), found \(found) without a unit")
            } else {
                error("expected \(kind.expectation), found \(found)")
            }
            return nil
        }
        guard let value = kind.parse(scalar.string) else {
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
    let entries: [String: (key: Node, value: Node)]
    /// Keys in document order.
    public let order: [String]

    public var location: SourceLocation { owner.location }
    public var path: String { owner.path }

    public func contains(_ key: String) -> Bool { entries[key] != nil }

    public func optional(_ key: String) -> YAMLValue? {
        guard let entry = entries[key], let value = owner.reader.value(entry.value, path: owner.join(key)) else {
            return nil
        }
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
        guard case let .mapping(mapping) = node else {
            error("expected a mapping, found \(found)")
            return nil
        }
        var result: [(String, SourceLocation, YAMLValue)] = []
        for (key, value) in mapping {
            guard case let .scalar(scalar) = key else {
                reader.error(key, path, "expected a plain key, found a collection")
                continue
            }
            guard let item = reader.value(value, path: join(scalar.string)) else { return nil }
            result.append((scalar.string, reader.location(of: key), item))
        }
        return result
    }

    /// A string or a list of strings, as `origin: campus` or `origin: [campus, lab]`.
    public func names() -> [String]? {
        if case .sequence = node {
            guard let items = list() else { return nil }
            let names = items.compactMap { $0.name() }
            return names.count == items.count ? names : nil
        }
        return name().map { [$0] }
    }
}
