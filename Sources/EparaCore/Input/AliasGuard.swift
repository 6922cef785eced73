// libyaml ships inside Yams; its event API lets us measure a document before Yams builds it.
import CYaml

/// Checks, on libyaml's event stream and in linear time, what aliases would make of a document
/// once expanded. Yams shares aliased nodes while composing, but anything that walks or hashes
/// the tree pays for every copy, so a "billion laughs" text of a few hundred bytes would hang
/// the reader. Anchors and aliases stay usable for ordinary reuse.
enum AliasGuard {
    /// A problem found, or nil when the document is safe (or malformed: Yams reports that better).
    static func check(_ text: String, maximumNodes: Int) -> (line: Int, column: Int, message: String)? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> (Int, Int, String)? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            return scan(&parser, maximumNodes: maximumNodes)
        }
    }

    private struct Frame {
        var size = 1
        var isMapping: Bool
        var anchor: String?
        var childCount = 0
        var keyPosition: Bool { isMapping && childCount % 2 == 0 }
    }

    /// Only what aliases add counts against `maximumNodes`: a plain document costs what its text
    /// does (a 400-node cluster's Run has millions of nodes and must read back).
    private static func scan(_ parser: inout yaml_parser_t, maximumNodes: Int) -> (Int, Int, String)? {
        var sizes: [String: Int] = [:]
        var stack: [Frame] = []
        var expanded = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
            var nodeSize: Int? = nil
            var anchor: String? = nil
            var isAlias = false
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_DOCUMENT_START_EVENT:
                expanded = 0
            case YAML_SCALAR_EVENT:
                nodeSize = 1
                anchor = string(event.data.scalar.anchor)
            case YAML_ALIAS_EVENT:
                isAlias = true
                nodeSize = string(event.data.alias.anchor).flatMap { sizes[$0] } ?? 1
            case YAML_SEQUENCE_START_EVENT:
                stack.append(Frame(isMapping: false, anchor: string(event.data.sequence_start.anchor)))
            case YAML_MAPPING_START_EVENT:
                stack.append(Frame(isMapping: true, anchor: string(event.data.mapping_start.anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { return nil }
                nodeSize = frame.size
                anchor = frame.anchor
            default:
                break
            }
            guard let size = nodeSize else { continue }
            if let anchor { sizes[anchor] = size }
            if isAlias, let parent = stack.last, parent.keyPosition {
                return (line, column, "an alias cannot be used as a mapping key")
            }
            if isAlias {
                expanded += size
                if expanded > maximumNodes {
                    return (line, column, "aliases expand the document by more than \(maximumNodes) nodes (an alias bomb?)")
                }
            }
            if !stack.isEmpty {
                stack[stack.count - 1].size += size
                stack[stack.count - 1].childCount += 1
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
