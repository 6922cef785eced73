import EparaCore

/// Every trace format `serve --trace` reads, and how a file is matched to one.
enum TraceFormats {
    /// In the order the error for an unrecognized file lists them. No two recognize one file.
    static let all: [any TraceFormat] = [
        CSVTrace.Format(), JSONLinesTrace.Format(), AzureLLMTrace.Format(), ServeGenTrace.Format(),
        MooncakeTrace.Format(), BurstGPTTrace.Format(), AzureFunctionsTrace.Format(),
    ]

    static func recognize(_ head: TraceHead) -> (any TraceFormat)? { all.first { $0.recognizes(head) } }

    /// The format of the file at `path`, or the located error for an empty or unrecognized one.
    static func recognize(path: String) throws(InputError) -> any TraceFormat {
        let start = SourceLocation(file: path, line: 1, column: 1)
        guard let head = try TraceHead.read(path: path) else { throw InputError(.badData, at: start, "empty trace") }
        guard let format = recognize(head) else {
            let expected = all.map(\.expected)
            throw InputError(
                .badData, at: start,
                "unrecognized trace: expected "
                    + expected.dropLast().joined(separator: ", ") + " or " + expected[expected.count - 1])
        }
        return format
    }
}
