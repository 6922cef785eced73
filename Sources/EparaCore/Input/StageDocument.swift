import Foundation

/// Reads documents that epara stages write (ClassifiedWorkload, Plan, Run): JSON checked for
/// `apiVersion` and `kind` first, then decoded; a decoding failure is reported at the line and
/// column of the offending field. A `CheckedDocument` then checks itself (references, ranges,
/// ids), every problem reported at once.
public struct StageDocument<T: Decodable> {
    public var value: T
    public var source: SourceText
    let root: YAMLNode

    public static func read(_ source: SourceText, kind: String, producedBy producer: String) throws(InputError) -> StageDocument<T> {
        let parsed = try YAMLSource.parse(source)
        let start = SourceLocation(file: source.name, line: 1, column: 1)
        guard parsed.documents.count == 1, let root = parsed.documents.first else {
            let kinds = parsed.documents.map { $0["kind"]?.string ?? "no kind" }
            throw InputError(
                .badData, at: start,
                parsed.documents.isEmpty
                    ? "empty input: expected a \(kind) document (the output of \(producer))"
                    : "expected one \(kind) document, found \(kinds.count): \(kinds.joined(separator: ", ")); a \(kind) is what `\(producer)` writes: run it on them first"
            )
        }
        let sink = DiagnosticSink()
        let reader = NodeReader(file: source.name, sink: sink)
        let header = reader.value(root, path: "")
        guard case .mapping = root.content else {
            throw InputError(.badData, at: start, "expected a \(kind) document (the output of \(producer))")
        }
        if let kindNode = root["kind"] {
            if kindNode.string != kind {
                let found = kindNode.string ?? "?"
                let hint = Self.madeFrom[kind, default: []].contains(found) ? ": a \(found) document is an input of `\(producer)`, run it first" : ""
                sink.error(reader.location(of: kindNode), "kind", "expected kind \(kind) (the output of \(producer)), found '\(found)'\(hint)")
            }
        } else {
            header.error("missing key 'kind': expected a \(kind) document (the output of \(producer))")
        }
        if let version = root["apiVersion"], let text = version.string, text != DocumentReader.apiVersion {
            sink.error(
                reader.location(of: version), "apiVersion",
                text.hasPrefix("epara/v")
                    ? "apiVersion \(text) is not \(DocumentReader.apiVersion); use the epara that wrote it"
                    : "expected apiVersion \(DocumentReader.apiVersion), found '\(text)'")
        }
        try sink.check()
        do {
            let decoded = try JSONOutput.decoder().decode(T.self, from: Data(source.text.utf8))
            let document = StageDocument(value: decoded, source: source, root: root)
            // A key the type does not know is a slip, not something to drop without a word.
            if let encodable = decoded as? any Encodable,
                let encoded = try? JSONSerialization.jsonObject(with: JSONOutput.encoder(pretty: false).encode(encodable))
            {
                let unknown = UnknownKeys.find(root, in: encoded, path: "", reader: reader)
                if !unknown.isEmpty { throw InputError(.badData, unknown) }
            }
            // Decoding checks shapes; the document checks what refers to what, and ranges.
            if let checked = decoded as? any CheckedDocument {
                let problems = checked.problems()
                if !problems.isEmpty {
                    throw InputError(.badData, problems.map { Diagnostic(at: document.location(of: $0.path), path: $0.path, $0.message) })
                }
            }
            return document
        } catch let error as DecodingError {
            // JSON has no infinities, and the decoder refuses a number too large for a Double
            // without saying where: look for such numbers, located, before saying what it said.
            let nonFinite = Self.nonFiniteNumbers(root, path: "", reader: reader)
            throw InputError(.badData, nonFinite.isEmpty ? [diagnostic(error, root: root, reader: reader, kind: kind)] : nonFinite)
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(.badData, at: start, "expected JSON (the output of \(producer)): \(error)")
        }
    }

    /// What each stage document is made from (by the stage that writes it).
    static var madeFrom: [String: Set<String>] {
        [
            "ClassifiedWorkload": ["Cluster", "Services", "Catalog"], "Plan": ["ClassifiedWorkload"], "Run": ["Plan"],
        ]
    }

    static func diagnostic(_ error: DecodingError, root: YAMLNode, reader: NodeReader, kind: String) -> Diagnostic {
        let (path, message): ([CodingKey], String)
        switch error {
        case let .keyNotFound(key, context): (path, message) = (context.codingPath, "missing key '\(JSONOutput.snakeCase(key.stringValue))'")
        case let .typeMismatch(type, context): (path, message) = (context.codingPath, "expected \(describe(type)): \(context.debugDescription)")
        case let .valueNotFound(type, context): (path, message) = (context.codingPath, "expected \(describe(type)), found null")
        case let .dataCorrupted(context): (path, message) = (context.codingPath, context.debugDescription)
        @unknown default: (path, message) = ([], "\(error)")
        }
        let (node, text) = locate(path, in: root)
        return Diagnostic(at: reader.location(of: node), path: text, "not a valid \(kind): \(message)")
    }

    static func nonFiniteNumbers(_ node: YAMLNode, path: String, reader: NodeReader) -> [Diagnostic] {
        switch node.content {
        case let .scalar(scalar):
            guard scalar.style == .plain, let first = scalar.text.first, first.isNumber || first == "-" || first == "+",
                let value = Double(scalar.text), !value.isFinite
            else { return [] }
            return [Diagnostic(at: reader.location(of: node), path: path, "expected a finite number, found \(scalar.text)")]
        case let .mapping(mapping):
            return mapping.flatMap { pair in
                let key = pair.key.string ?? "?"
                return nonFiniteNumbers(pair.value, path: path.isEmpty ? key : "\(path).\(key)", reader: reader)
            }
        case let .sequence(sequence):
            return sequence.enumerated().flatMap { index, value in nonFiniteNumbers(value, path: "\(path)[\(index)]", reader: reader) }
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Int.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }

    /// The deepest node along `path` and the path in document spelling (`services[2].spec.name`).
    static func locate(_ path: [CodingKey], in root: YAMLNode) -> (YAMLNode, String) {
        var node = root
        var text = ""
        for key in path {
            if let index = key.intValue {
                guard case let .sequence(sequence) = node.content, index < sequence.count else { break }
                node = sequence[index]
                text += "[\(index)]"
            } else {
                let name = JSONOutput.snakeCase(key.stringValue)
                guard let child = node[name] else { break }
                node = child
                text += text.isEmpty ? name : ".\(name)"
            }
        }
        return (node, text)
    }

    /// Where a field of the document was written, for diagnostics found after decoding.
    public func location(of path: String) -> SourceLocation {
        var node = root
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), let index = Int(name[name.index(after: open)...].dropLast()) {
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            if let child = node[String(name)] { node = child }
            for index in indices {
                if case let .sequence(sequence) = node.content, index < sequence.count { node = sequence[index] }
            }
        }
        return SourceLocation(file: source.name, line: node.line, column: node.column)
    }
}
