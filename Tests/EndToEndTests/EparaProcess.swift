import Foundation
import XCTest

/// Runs the built `epara` binary the way a shell would.
struct EparaResult {
    var status: Int32
    var stdout: Data
    var stderr: String
    var seconds: Double
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

enum Epara {
    /// Root of the package, for examples/, man/ and completions/.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var binary: URL {
        // The test bundle sits next to the products it was built with (on Linux its bundle
        // URL is the products directory itself; on macOS it is the .xctest bundle inside it).
        let bundle = Bundle(for: Marker.self).bundleURL
        let candidates = [bundle.appendingPathComponent("epara"), bundle.deletingLastPathComponent().appendingPathComponent("epara")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    final class Marker {}

    /// Plans are not simulated unless a test asks (`plan`'s simulation refinement takes tens of
    /// seconds in a debug build; `PlanSearchCLITests` runs it).
    static let quiet = ["EPARA_SEARCH_BUDGET": "0"]

    static func fixture(_ path: String) -> URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent(path)
    }

    @discardableResult
    static func run(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil, timeout: TimeInterval = 30,
        in directory: URL? = nil, executable: URL? = nil
    ) throws -> EparaResult {
        let process = Process()
        process.executableURL = executable ?? binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(quiet.merging(environment ?? [:]) { $1 }) { $1 }
        process.currentDirectoryURL = directory ?? packageRoot
        // Files rather than pipes: a large output cannot fill a pipe and block the child.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("epara-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        let inURL = scratch.appendingPathComponent("stdin")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: stdin ?? Data())
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        defer { try? out.close(); try? err.close(); try? input.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let start = Date()
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning {
            process.terminate()
            XCTFail("\(process.executableURL?.lastPathComponent ?? "") \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        let stdoutData = try Data(contentsOf: outURL), stderrData = try Data(contentsOf: errURL)
        return EparaResult(
            status: process.terminationStatus, stdout: stdoutData,
            stderr: String(decoding: stderrData, as: UTF8.self), seconds: seconds)
    }
}
