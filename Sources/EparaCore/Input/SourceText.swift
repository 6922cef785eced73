import Foundation

/// The text of one input, with the name used in diagnostics (the path as given, or `<stdin>`).
public struct SourceText: Sendable {
    public var name: String
    public var text: String

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    /// Inputs larger than this are refused before parsing: no epara document is near it, and it
    /// bounds the memory and time a mistaken argument (a video file, a disk image) can cost.
    public static let maximumBytes = 64 << 20

    /// Reads a path, or standard input for `-`.
    public static func load(_ path: String) throws(InputError) -> SourceText {
        let name = path == "-" ? "<stdin>" : path
        let start = SourceLocation(file: name, line: 1, column: 1)
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputError(.missingInput, at: start, "no such file")
            }
            if isDirectory.boolValue {
                throw InputError(.missingInput, at: start, "is a directory, expected a YAML or JSON file")
            }
            // A pipe (`<(…)` in a shell, a FIFO) has no size to read up to: read it to its end.
            guard
                let contents = FileManager.default.contents(atPath: path)
                    ?? FileHandle(forReadingAtPath: path).map({ handle in
                        defer { try? handle.close() }; return handle.readDataToEndOfFile()
                    })
            else {
                throw InputError(.missingInput, at: start, "cannot be read (permission denied?)")
            }
            data = contents
        }
        return try decode(data, name: name)
    }

    /// Checks that bytes are UTF-8 text of a sane size, pointing at the first offending byte.
    public static func decode(_ data: Data, name: String) throws(InputError) -> SourceText {
        let start = SourceLocation(file: name, line: 1, column: 1)
        if data.count > maximumBytes {
            throw InputError(
                .badData, at: start,
                "input is \(data.count) bytes; the limit is \(maximumBytes) bytes")
        }
        guard let text = String(validatingUTF8: data) else {
            throw InputError(
                .badData, at: location(ofByte: invalidUTF8Offset(data), in: data, file: name),
                "input is not UTF-8 text (binary file?)")
        }
        if let nul = data.firstIndex(of: 0) {
            throw InputError(
                .badData, at: location(ofByte: nul - data.startIndex, in: data, file: name),
                "input contains a NUL byte (binary file?)")
        }
        return SourceText(name: name, text: text)
    }

    static func invalidUTF8Offset(_ data: Data) -> Int {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let b = bytes[offset]
            let length: Int
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return offset
            }
            if offset + length > bytes.count { return offset }
            for i in 1..<length where bytes[offset + i] & 0xC0 != 0x80 { return offset }
            offset += length
        }
        return offset
    }

    /// Line and column (from 1; columns count characters, as libyaml's marks do) of a byte
    /// offset in UTF-8 text.
    static func location(ofByte offset: Int, in bytes: some Collection<UInt8>, file: String) -> SourceLocation {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }
}

extension String {
    /// Strict UTF-8 decoding: nil on any invalid sequence, where `String(decoding:)` would repair.
    init?(validatingUTF8 data: Data) {
        guard let s = String(data: data, encoding: .utf8) else { return nil }
        self = s
    }
}
