import Foundation
import XCTest

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An HTTP answer as a client sees it.
struct HTTPAnswer {
    var status: Int
    var headers: [String: String]
    var body: Data
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum HTTP {
    static func call(
        _ url: String, method: String = "GET", body: String? = nil, headers: [String: String] = [:],
        timeout: TimeInterval = 20
    ) async throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        request.timeoutInterval = timeout
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields[String(describing: name).lowercased()] = String(describing: value) }
        return HTTPAnswer(status: http.statusCode, headers: fields, body: data)
    }

    /// Polls `url` until it answers 200.
    static func waitUntilUp(_ url: String, seconds: Double = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await call(url, timeout: 1))?.status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func freePort() -> Int { 20_000 + Int.random(in: 0..<25_000) }
}

/// A background process (an `epara serve --engine live` gateway or a model server) whose
/// output goes to files, stopped when the test ends.
final class Background: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let name: String

    init(_ executable: URL, _ arguments: [String], name: String, in directory: URL, environment: [String: String]? = nil) throws {
        self.directory = directory
        self.name = name
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(Epara.quiet.merging(environment ?? [:]) { $1 }) { $1 }
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("\(name).out").path, contents: nil)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("\(name).err").path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: directory.appendingPathComponent("\(name).out"))
        process.standardError = try FileHandle(forWritingTo: directory.appendingPathComponent("\(name).err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    static func gateway(_ arguments: [String], name: String, in directory: URL, environment: [String: String]? = nil) throws -> Background {
        try Background(Epara.binary, ["serve"] + arguments, name: name, in: directory, environment: environment)
    }

    var stdout: Data { (try? Data(contentsOf: directory.appendingPathComponent("\(name).out"))) ?? Data() }
    var stderr: String { String(decoding: (try? Data(contentsOf: directory.appendingPathComponent("\(name).err"))) ?? Data(), as: UTF8.self) }

    /// SIGTERM, then the exit status (nil if it did not exit within `seconds`).
    func stop(seconds: Double = 15) -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    /// SIGKILL: the machine is gone.
    func killHard() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A real server a test runs (a model server, Prometheus): `variable`'s path, else `path`. When it
/// is missing the test is skipped, unless EPARA_REQUIRE_REAL_BACKENDS=1 (scripts/test, CI) says
/// it must run: then it fails. `install` says how to get it.
func realServer(_ variable: String, default path: URL, install: String) throws -> URL {
    let environment = ProcessInfo.processInfo.environment
    let url = environment[variable].map(URL.init(fileURLWithPath:)) ?? path
    guard FileManager.default.fileExists(atPath: url.path) else {
        let message = "\(url.path) is missing: \(install) (or set \(variable))"
        if environment["EPARA_REQUIRE_REAL_BACKENDS"] == "1" {
            XCTFail(message)
            throw XCTSkip(message)
        }
        throw XCTSkip(message)
    }
    return url
}

/// A scratch directory for one test.
func scratchDirectory(_ prefix: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// A plan for one of the live fixtures (classify + plan through the binary).
func livePlan(_ fixture: String, into directory: URL, arguments: [String] = []) throws -> URL {
    let classified = try Epara.run(["classify", Epara.fixture("live/\(fixture).yaml").path])
    XCTAssertEqual(classified.status, 0, classified.stderr)
    let plan = try Epara.run(["plan"] + arguments, stdin: classified.stdout)
    XCTAssertEqual(plan.status, 0, plan.stderr)
    let url = directory.appendingPathComponent("\(fixture).plan.json")
    try plan.stdout.write(to: url)
    return url
}

/// The `pair` fixture's Peers document: each of its two nodes at its own loopback port.
func pairPeers(edgePort: Int, peerPort: Int, scheme: String, in directory: URL) throws -> URL {
    let peers = directory.appendingPathComponent("peers.yaml")
    try """
    apiVersion: epara/v1
    kind: Peers
    peers:
      edge: \(scheme)://127.0.0.1:\(edgePort)
      peer: \(scheme)://127.0.0.1:\(peerPort)
    """.write(to: peers, atomically: true, encoding: .utf8)
    return peers
}

/// Separate client and peer tokens, as the pair tests' gateways get them from the environment.
let pairTokens = ["EPARA_CLIENT_TOKEN": "client-secret", "EPARA_PEER_TOKEN": "peer-secret"]
