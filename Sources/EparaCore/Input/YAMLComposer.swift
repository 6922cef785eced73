import LibYAML

/// Builds nodes from the system libyaml's parser events, one root per `---` document, each node
/// with the line and column of its first event. Composing is where the stream's limits are kept:
/// aliases may not expand a document by more than `maximumAliasNodes` (a "billion laughs" text of
/// a few hundred bytes would otherwise make every walk of the tree take hours), an alias may not
/// be a mapping key, collections nest at most `maximumDepth` deep, and a mapping may not repeat
/// a key. Anchors and aliases stay usable for ordinary reuse.
enum YAMLComposer {
    static let maximumDepth = 1000

    static func compose(_ text: String, file: String, maximumAliasNodes: Int) throws(InputError) -> [YAMLNode] {
        // On the heap: libyaml keeps a pointer to the parser inside it (its string reader's
        // handler data), so the parser must not move while it reads.
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        defer { parser.deallocate() }
        guard yaml_parser_initialize(parser) == 1 else {
            throw InputError(.badData, at: SourceLocation(file: file, line: 1, column: 1), "out of memory starting the YAML parser")
        }
        defer { yaml_parser_delete(parser) }
        var text = text
        let result: Result<[YAMLNode], InputError> = text.withUTF8 { bytes in
            yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(parser, bytes.baseAddress, bytes.count)
            var composer = Composer(file: file, maximumAliasNodes: maximumAliasNodes)
            do throws(InputError) {
                return .success(try composer.run(parser, bytes: bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private struct KeyIdentity: Hashable {
        var text: String
        var tag: YAMLScalar.Tag
    }

    /// A collection whose end event has not come yet.
    private struct Frame {
        var isMapping: Bool
        var anchor: String?
        var line: Int
        var column: Int
        var children: [YAMLNode] = []
        /// Nodes the collection stands for once its aliases are expanded.
        var size = 1
    }

    private struct Composer {
        let file: String
        let maximumAliasNodes: Int
        var documents: [YAMLNode] = []
        var stack: [Frame] = []
        var root: YAMLNode?
        /// Each anchor's node and expanded size; anchors belong to their document.
        var anchors: [String: (node: YAMLNode, size: Int)] = [:]
        var expanded = 0

        init(file: String, maximumAliasNodes: Int) {
            self.file = file
            self.maximumAliasNodes = maximumAliasNodes
        }

        mutating func run(_ parser: UnsafeMutablePointer<yaml_parser_t>, bytes: UnsafeBufferPointer<UInt8>) throws(InputError) -> [YAMLNode] {
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(parser, &event) == 1 else { throw parseError(parser.pointee, bytes: bytes) }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return documents
                case YAML_DOCUMENT_START_EVENT:
                    anchors = [:]
                    expanded = 0
                case YAML_DOCUMENT_END_EVENT:
                    if let root { documents.append(root) }
                    root = nil
                case YAML_SCALAR_EVENT:
                    let scalar = event.data.scalar
                    let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                    let style = YAMLComposer.style(scalar.style)
                    let tag: YAMLScalar.Tag
                    if scalar.quoted_implicit == 1 {
                        tag = .str
                    } else if let explicit = YAMLComposer.string(scalar.tag) {
                        tag = YAMLComposer.tag(named: explicit)
                    } else {
                        tag = style == .plain ? YAMLScalarTypes.resolve(text) : .str
                    }
                    let node = YAMLNode(.scalar(YAMLScalar(text, style: style, tag: tag)), line: line, column: column)
                    attach(node, size: 1, anchor: YAMLComposer.string(scalar.anchor))
                case YAML_ALIAS_EVENT:
                    if let parent = stack.last, parent.isMapping, parent.children.count % 2 == 0 {
                        throw located(line, column, "an alias cannot be used as a mapping key")
                    }
                    guard let name = YAMLComposer.string(event.data.alias.anchor), let anchored = anchors[name] else {
                        throw located(line, column, "malformed YAML: found undefined alias")
                    }
                    expanded += anchored.size
                    if expanded > maximumAliasNodes {
                        throw located(line, column, "aliases expand the document by more than \(maximumAliasNodes) nodes (an alias bomb?)")
                    }
                    attach(anchored.node, size: anchored.size, anchor: nil)
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    guard stack.count < maximumDepth else {
                        throw located(line, column, "malformed YAML: nesting deeper than \(maximumDepth) levels")
                    }
                    let isMapping = event.type == YAML_MAPPING_START_EVENT
                    let anchor = YAMLComposer.string(isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor)
                    stack.append(Frame(isMapping: isMapping, anchor: anchor, line: line, column: column))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let frame = stack.popLast() else { continue }
                    let content: YAMLNode.Content
                    if frame.isMapping {
                        var pairs: [YAMLPair] = []
                        pairs.reserveCapacity(frame.children.count / 2)
                        var index = 0
                        while index + 1 < frame.children.count {
                            pairs.append(YAMLPair(key: frame.children[index], value: frame.children[index + 1]))
                            index += 2
                        }
                        try checkDuplicateKeys(pairs)
                        content = .mapping(pairs)
                    } else {
                        content = .sequence(frame.children)
                    }
                    let node = YAMLNode(content, line: frame.line, column: frame.column)
                    attach(node, size: frame.size, anchor: frame.anchor)
                default:
                    break
                }
            }
        }

        mutating func attach(_ node: YAMLNode, size: Int, anchor: String?) {
            if let anchor { anchors[anchor] = (node, size) }
            guard !stack.isEmpty else {
                root = node
                return
            }
            stack[stack.count - 1].children.append(node)
            stack[stack.count - 1].size += size
        }

        /// A key written twice in one mapping: reported where it is repeated. Files concatenated
        /// without a document separator repeat apiVersion and kind.
        func checkDuplicateKeys(_ pairs: [YAMLPair]) throws(InputError) {
            guard pairs.count > 1 else { return }
            // `name` and `"name"` are the same key; `1` and `"1"` are not.
            func identity(_ node: YAMLNode) -> KeyIdentity? { node.scalar.map { KeyIdentity(text: $0.text, tag: $0.tag) } }
            var repeated: [(first: YAMLNode, again: YAMLNode, key: KeyIdentity)] = []
            if pairs.count <= 16 {
                // Most mappings are small: compare in place rather than hash every key.
                for (index, pair) in pairs.enumerated().dropFirst() {
                    guard let key = identity(pair.key), let first = pairs[..<index].first(where: { identity($0.key) == key }) else { continue }
                    repeated.append((first.key, pair.key, key))
                }
            } else {
                var seen: [KeyIdentity: YAMLNode] = [:]
                for pair in pairs {
                    guard let key = identity(pair.key) else { continue }
                    if let first = seen[key] { repeated.append((first, pair.key, key)) } else { seen[key] = pair.key }
                }
            }
            guard !repeated.isEmpty else { return }
            throw InputError(
                .badData,
                repeated.map { first, again, key in
                    let hint = ["kind", "apiVersion"].contains(key.text) ? " (two documents in one stream? put a line --- between them)" : ""
                    return Diagnostic(
                        at: SourceLocation(file: file, line: again.line, column: again.column), path: "",
                        "duplicate key '\(key.text)' in a mapping (first at line \(first.line), column \(first.column))\(hint)")
                })
        }

        func located(_ line: Int, _ column: Int, _ message: String) -> InputError {
            InputError(.badData, at: SourceLocation(file: file, line: line, column: column), message)
        }

        /// libyaml's own error, at its problem mark (a reader error at its byte offset).
        func parseError(_ parser: yaml_parser_t, bytes: UnsafeBufferPointer<UInt8>) -> InputError {
            let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
            if parser.error == YAML_READER_ERROR {
                let offset = min(Int(parser.problem_offset), bytes.count)
                let location = SourceText.location(ofByte: offset, in: bytes, file: file)
                return InputError(.badData, [Diagnostic(at: location, path: "", "unreadable input: \(problem)")])
            }
            let context = parser.context.map { " " + String(cString: $0) } ?? ""
            let line = max(Int(parser.problem_mark.line) + 1, 1), column = max(Int(parser.problem_mark.column) + 1, 1)
            return located(line, column, "malformed YAML: \(problem)\(context)")
        }
    }

    static func style(_ style: yaml_scalar_style_t) -> YAMLScalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }

    /// An explicit tag (`!!int 3`, `!!str 3`, the non-specific `! 3` a string); tags epara does
    /// not know read as text.
    static func tag(named name: String) -> YAMLScalar.Tag {
        switch name {
        case "!": .str
        case "tag:yaml.org,2002:null": .null
        case "tag:yaml.org,2002:bool": .bool
        case "tag:yaml.org,2002:int": .int
        case "tag:yaml.org,2002:float": .float
        case "tag:yaml.org,2002:str": .str
        default: .other
        }
    }

    static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
