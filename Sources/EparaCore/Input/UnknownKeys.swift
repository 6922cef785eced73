import Foundation

/// Keys a stage document has that its type does not: a misspelt `"batchh": 4` on a plan's
/// instance would otherwise be dropped by the decoder and the plan served as if it were not
/// there. The decoded value is encoded again and its keys are what the type knows; a key of the
/// document that is not among them is reported where it was written, with the closest known
/// key. A key whose value is null is let through (an optional field left empty is encoded as
/// absent).
enum UnknownKeys {
    static func find(_ node: YAMLNode, in encoded: Any, path: String, reader: NodeReader) -> [Diagnostic] {
        switch node.content {
        case let .mapping(mapping):
            guard let known = encoded as? [String: Any] else { return [] }
            var found: [Diagnostic] = []
            for pair in mapping {
                let key = pair.key, value = pair.value
                guard let name = key.string else { continue }
                let child = path.isEmpty ? name : "\(path).\(name)"
                guard let counterpart = known[name] ?? known[JSONOutput.snakeCase(JSONOutput.camelCase(name))] else {
                    if !value.isNull {
                        let names = known.keys.sorted()
                        let hint = Suggestion.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                        found.append(
                            Diagnostic(
                                at: reader.location(of: key), path: child,
                                "unknown key '\(name)'\(hint) (known keys here: \(names.joined(separator: ", ")))"))
                    }
                    continue
                }
                found += find(value, in: counterpart, path: child, reader: reader)
            }
            return found
        case let .sequence(sequence):
            guard let known = encoded as? [Any] else { return [] }
            return zip(sequence, known).enumerated().flatMap { index, pair in
                find(pair.0, in: pair.1, path: "\(path)[\(index)]", reader: reader)
            }
        case .scalar:
            return []
        }
    }
}
