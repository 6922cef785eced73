import EparaCore
import EparaStore
import Foundation
import XCTest

final class StateStoreTests: XCTestCase {
    func windows(_ run: String, service: String, node: String, arrivals: [Int], length: Double = 10) -> [WindowStats] {
        arrivals.enumerated().map { i, n in
            WindowStats(
                runId: run, windowStartS: Double(i) * length, windowLengthS: length, service: service, node: node,
                arrivals: n, completedInSLO: n, completedLate: 0, dropped: 0, failed: 0)
        }
    }

    func testObservedDemandIsTheMeanRateOfTheLastWindows() throws {
        let store = try StateStore()
        XCTAssertEqual(try store.observedDemand(), .empty)
        let w =
            windows("r1", service: "chat", node: "a", arrivals: [100, 100, 20, 20, 20, 20, 20])
            + windows("r1", service: "chat", node: "b", arrivals: [0, 0, 0, 0, 0, 0, 10])
        try store.record(
            runId: "r1", engine: "sim", planDigest: "p", traceDigest: "t", summaryJSON: "{}", windows: w,
            health: [
                NodeHealth(runId: "r1", timeS: 0, node: "a", up: true),
                NodeHealth(runId: "r1", timeS: 0, node: "b", up: true),
                NodeHealth(runId: "r1", timeS: 30, node: "b", up: false),
            ])
        let state = try store.observedDemand(lastWindows: 5)
        XCTAssertEqual(state.runId, "r1")
        XCTAssertEqual(state.windowsRead, 5)
        XCTAssertEqual(state.demandByOrigin["chat"]?["a"] ?? -1, 2.0, accuracy: 1e-12)  // 100 arrivals in 50 s
        XCTAssertEqual(state.demandByOrigin["chat"]?["b"] ?? -1, 0.2, accuracy: 1e-12)
        XCTAssertEqual(state.demandPerS["chat"] ?? -1, 2.2, accuracy: 1e-12)
        XCTAssertEqual(state.nodesDown, ["b"])
    }

    /// The burstiness of a service: the CV of its arrival gaps over the windows read, each
    /// origin weighted by its gaps; none where too few gaps were seen to say.
    func testObservedCVComesFromTheWindowsGaps() throws {
        let store = try StateStore()
        var random = SeededRandom(seed: 9)
        func gammaWindow(_ start: Double, cv: Double, count: Int) -> GapWindow {
            let shape = 1 / (cv * cv)
            var sum = 0.0, squares = 0.0
            for _ in 0..<count {
                let gap = random.gamma(shape: shape, scale: 0.5 / shape)
                sum += gap
                squares += gap * gap
            }
            return GapWindow(runId: "r", windowStartS: start, service: "bert", gaps: count, sumS: sum, squaresS2: squares)
        }
        let gaps =
            (0..<5).map { gammaWindow(Double($0) * 10, cv: 4, count: 4000) }
            + [GapWindow(runId: "r", windowStartS: 40, service: "quiet", gaps: 3, sumS: 6, squaresS2: 20)]
        try store.record(
            runId: "r", engine: "sim", planDigest: "p", traceDigest: "t", summaryJSON: "{}",
            windows: windows("r", service: "bert", node: "a", arrivals: [4000, 4000, 4000, 4000, 4000]), health: [],
            gaps: gaps)
        let state = try store.observedDemand(lastWindows: 5)
        XCTAssertEqual(state.cvByService["bert"] ?? 0, 4, accuracy: 0.4)
        XCTAssertNil(state.cvByService["quiet"], "three gaps say nothing about burstiness")
    }

    func testLatestRunWinsAndRecordingAgainReplaces() throws {
        let store = try StateStore()
        try store.record(
            runId: "r1", engine: "sim", planDigest: "p", traceDigest: "t", summaryJSON: "{}",
            windows: windows("r1", service: "s", node: "a", arrivals: [10]), health: [])
        try store.record(
            runId: "r2", engine: "sim", planDigest: "p", traceDigest: "t", summaryJSON: "{}",
            windows: windows("r2", service: "s", node: "a", arrivals: [30]), health: [])
        XCTAssertEqual(try store.observedDemand().demandPerS["s"], 3)
        try store.record(
            runId: "r2", engine: "sim", planDigest: "p", traceDigest: "t", summaryJSON: "{}",
            windows: windows("r2", service: "s", node: "a", arrivals: [50]), health: [])
        XCTAssertEqual(try store.observedDemand().demandPerS["s"], 5)
    }

    func testFileStoreUsesWALAndMigrationsAreRecorded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("epara-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try StateStore(path: path)
        XCTAssertEqual(try store.journalMode(), "wal")
        XCTAssertEqual(try store.appliedMigrations(), ["v1: runs, windows, node health, plans", "v2: gaps between arrivals per window"])
        try store.record(planDigest: "sha256:x", policy: "epara", document: "{}")
        // Reopening applies nothing twice and keeps the data.
        let again = try StateStore.open(existing: path)
        XCTAssertEqual(try again.planDocument(digest: "sha256:x"), "{}")
    }

    func testOpeningMissingOrForeignFilesIsAnInputError() throws {
        XCTAssertThrowsError(try StateStore.open(existing: "/no/such/store.sqlite")) { error in
            XCTAssertEqual((error as! InputError).exitCode, 66)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("epara-\(UUID().uuidString).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("this is not sqlite, just text that is long enough to have a header".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try StateStore.open(existing: path)) { error in
            XCTAssertEqual((error as! InputError).exitCode, 65)
        }
    }
}
