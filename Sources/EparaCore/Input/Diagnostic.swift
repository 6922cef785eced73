/// Where in an input a value came from. Lines and columns count from 1.
public struct SourceLocation: Hashable, Sendable, Comparable, Codable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem with an input, located and attributed to a field path, rendered the way
/// compilers do (`file:line:col: error: path: message`) so editors can jump to it.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var location: SourceLocation
    /// Field path inside the document, such as `services[2].slo.latency`; empty for the whole document.
    public var path: String
    public var message: String

    public init(_ severity: Severity = .error, at location: SourceLocation, path: String, _ message: String) {
        self.severity = severity
        self.location = location
        self.path = path
        self.message = message
    }

    public var description: String {
        let prefix = "\(location.description): \(severity.rawValue): "
        return path.isEmpty ? prefix + message : prefix + "\(path): \(message)"
    }
}

/// What a stage reports when it refuses its input. The kind decides the exit code (sysexits.h).
public struct InputError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The input exists but is not acceptable (EX_DATAERR, 65).
        case badData
        /// An input file is missing or unreadable (EX_NOINPUT, 66).
        case missingInput
        /// Reading or writing failed (EX_IOERR, 74).
        case io
    }

    public var kind: Kind
    public var diagnostics: [Diagnostic]

    public init(_ kind: Kind, _ diagnostics: [Diagnostic]) {
        self.kind = kind
        self.diagnostics = diagnostics.sorted { ($0.location, $0.path) < ($1.location, $1.path) }
    }

    public init(_ kind: Kind, at location: SourceLocation, path: String = "", _ message: String) {
        self.init(kind, [Diagnostic(at: location, path: path, message)])
    }

    public var exitCode: Int32 {
        switch kind {
        case .badData: 65
        case .missingInput: 66
        case .io: 74
        }
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics while a document is read, so that one run reports every error of an input.
public final class DiagnosticSink {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public func error(_ location: SourceLocation, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(at: location, path: path, message))
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Throws every collected error at once, or returns when there is none.
    public func check() throws(InputError) {
        if hasErrors { throw InputError(.badData, diagnostics) }
    }
}
