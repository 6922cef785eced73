import ArgumentParser
import EparaCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `-o FILE` / `--output FILE`: where a stage's document goes. Written whole to a temporary file
/// beside the target and renamed over it only once the stage has succeeded, so that a failed
/// stage leaves the target as it was — not created, not truncated — and `make` does not take a
/// half-written or empty file for an up-to-date one.
struct OutputOptions: ParsableArguments {
    @Option(
        name: [.customShort("o"), .long],
        help: ArgumentHelp(
            "Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).",
            valueName: "file"))
    var output: String?

    /// The file named, nil for standard output.
    var file: String? { output == "-" ? nil : output }

    /// Whether the result goes to a terminal (tables by default there, JSON elsewhere).
    var isTerminal: Bool { file == nil && StageIO.stdoutIsTerminal }

    func validate() throws {
        if let output, output.isEmpty { throw ValidationError("--output needs a file name (or - for standard output)") }
    }

    func write(_ text: String) throws { try write(Data(text.utf8)) }

    func write(_ data: Data) throws {
        guard let file else { return try StageIO.writeStdout(data) }
        try Self.replace(file, with: data)
    }

    /// `data` into `path` by a rename within its directory: readers see the old file or the new
    /// one, never a part.
    static func replace(_ path: String, with data: Data) throws {
        let target = URL(fileURLWithPath: path)
        let directory = target.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        func failed(_ why: String) -> InputError {
            InputError(.io, at: SourceLocation(file: path, line: 1, column: 1), "cannot write the output: \(why)")
        }
        guard FileManager.default.createFile(atPath: temporary.path, contents: data) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory)
            throw failed(exists && isDirectory.boolValue ? "cannot create a file in \(directory.path)" : "no directory \(directory.path)")
        }
        guard rename(temporary.path, target.path) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw failed(why)
        }
    }
}
