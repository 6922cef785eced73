import EparaCore
import Foundation
import LibYAML

/// Kubernetes objects written as block YAML by the system libyaml's emitter. An object goes
/// through JSONEncoder first (its Codable shape, nothing hand-written) and is read back as
/// nodes, which keep whether each scalar was a JSON string or a number, true, false or null; the
/// nodes are then emitted with keys sorted (as kubectl writes them), multi-line strings (the
/// scripts in a CronJob) as literal blocks, and a string that would read back as another type
/// (`"true"`, `"8080"`, `""`) quoted.
enum ManifestYAML {
    struct EmitterError: Error, CustomStringConvertible {
        var description: String
    }

    static func document(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(value), as: UTF8.self)
        guard let root = try YAMLSource.parse(SourceText(name: "manifest", text: json)).documents.first else {
            throw EmitterError(description: "nothing to write")
        }
        return try emit(root)
    }

    /// libyaml's emitter with what it has written so far.
    private final class Writer {
        let emitter: UnsafeMutablePointer<yaml_emitter_t>
        var bytes: [UInt8] = []

        /// Only an emitter libyaml initialized makes a Writer (its deinit deletes it).
        static func make() throws -> Writer {
            let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
            guard yaml_emitter_initialize(emitter) == 1 else {
                emitter.deallocate()
                throw EmitterError(description: "cannot start the YAML emitter")
            }
            return Writer(emitter)
        }

        private init(_ emitter: UnsafeMutablePointer<yaml_emitter_t>) {
            self.emitter = emitter
            yaml_emitter_set_output(
                emitter,
                { context, buffer, size in
                    guard let context, let buffer else { return 0 }
                    let writer = Unmanaged<Writer>.fromOpaque(context).takeUnretainedValue()
                    writer.bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
                    return 1
                }, Unmanaged.passUnretained(self).toOpaque())
            yaml_emitter_set_encoding(emitter, YAML_UTF8_ENCODING)
            yaml_emitter_set_indent(emitter, 2)
            yaml_emitter_set_width(emitter, -1)
            yaml_emitter_set_unicode(emitter, 0)
            yaml_emitter_set_break(emitter, YAML_LN_BREAK)
        }

        deinit {
            yaml_emitter_delete(emitter)
            emitter.deallocate()
        }

        /// Makes one event with `make` and hands it to the emitter, which frees it.
        func emit(_ make: (UnsafeMutablePointer<yaml_event_t>) -> Int32) throws {
            var event = yaml_event_t()
            guard make(&event) == 1 else { throw EmitterError(description: "cannot make a YAML event") }
            guard yaml_emitter_emit(emitter, &event) == 1 else {
                let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "unknown error"
                throw EmitterError(description: "cannot write YAML: \(problem)")
            }
        }

        func emit(_ node: YAMLNode) throws {
            switch node.content {
            case let .scalar(scalar):
                // NUL-terminated, so that even an empty string has an address (libyaml asserts one).
                var text = scalar.text.utf8CString
                let style = ManifestYAML.scalarStyle(scalar)
                try text.withUnsafeMutableBufferPointer { bytes in
                    try bytes.withMemoryRebound(to: UInt8.self) { value in
                        try emit { yaml_scalar_event_initialize($0, nil, nil, value.baseAddress, Int32(value.count - 1), 1, 1, style) }
                    }
                }
            case let .sequence(items):
                try emit { yaml_sequence_start_event_initialize($0, nil, nil, 1, YAML_ANY_SEQUENCE_STYLE) }
                for item in items { try emit(item) }
                try emit { yaml_sequence_end_event_initialize($0) }
            case let .mapping(pairs):
                try emit { yaml_mapping_start_event_initialize($0, nil, nil, 1, YAML_ANY_MAPPING_STYLE) }
                for pair in pairs.sorted(by: { ($0.key.string ?? "") < ($1.key.string ?? "") }) {
                    try emit(pair.key)
                    try emit(pair.value)
                }
                try emit { yaml_mapping_end_event_initialize($0) }
            }
        }
    }

    /// One document, without `---`.
    static func emit(_ root: YAMLNode) throws -> String {
        let writer = try Writer.make()
        try writer.emit { yaml_stream_start_event_initialize($0, YAML_UTF8_ENCODING) }
        try writer.emit { yaml_document_start_event_initialize($0, nil, nil, nil, 1) }
        try writer.emit(root)
        try writer.emit { yaml_document_end_event_initialize($0, 1) }
        try writer.emit { yaml_stream_end_event_initialize($0) }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// A JSON string is written plain when it reads back as a string, else quoted; one with line
    /// breaks as a literal block. Numbers, booleans and null are written as they were.
    static func scalarStyle(_ scalar: YAMLScalar) -> yaml_scalar_style_t {
        guard scalar.style == .doubleQuoted else { return YAML_ANY_SCALAR_STYLE }
        if scalar.text.contains("\n") { return YAML_LITERAL_SCALAR_STYLE }
        return YAMLScalarTypes.resolve(scalar.text) == .str ? YAML_ANY_SCALAR_STYLE : YAML_SINGLE_QUOTED_SCALAR_STYLE
    }
}
