import ArgumentParser
import EparaCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The edges of every stage: reading inputs, writing the result, turning refusals into exit codes.
enum StageIO {
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Reads every path (`-` is standard input); with none and a pipe on stdin, reads stdin.
    static func load(_ paths: [String]) throws -> [SourceText] {
        var paths = paths
        if paths.isEmpty {
            guard !stdinIsTerminal else {
                throw ValidationError("give input files, or - to read standard input")
            }
            paths = ["-"]
        }
        if paths.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("standard input (-) can be read only once")
        }
        return try paths.map { path in try SourceText.load(path) }
    }

    static func writeStdout(_ data: Data) throws {
        do {
            try FileHandle.standardOutput.write(contentsOf: data)
        } catch {
            throw InputError(.io, at: SourceLocation(file: "<stdout>", line: 1, column: 1), "cannot write: \(error)")
        }
    }

    static func writeStdout(_ text: String) throws {
        try writeStdout(Data(text.utf8))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Runs a stage body and returns what it made, reporting refusals on stderr with the exit
    /// code their kind calls for.
    @discardableResult
    static func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InputError {
            printError(error.description)
            throw ExitCode(error.exitCode)
        }
    }

    @discardableResult
    static func runAsync<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as InputError {
            printError(error.description)
            throw ExitCode(error.exitCode)
        }
    }
}
