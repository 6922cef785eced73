import Foundation
import XCTest

/// A `serve` process killed with SIGKILL at any moment — mid-run, mid-write — leaves a state
/// store that opens: `plan --state` and `report --state` read what was committed before (SQLite's
/// write-ahead log rolls a torn transaction back). Sixteen kills at moments spread over a run.
final class StoreCrashTests: XCTestCase {
    func testAStoreKilledWhileWrittenStillReads() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epara-kill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = directory.appendingPathComponent("state.sqlite").path
        let plan = Epara.fixture("golden/edge-lab.plan.json").path
        let classified = Epara.fixture("golden/edge-lab.classified.json").path
        // One whole run first, so that there is something committed to read afterwards.
        let first = try Epara.run(["serve", plan, "--duration", "5s", "--state", store])
        XCTAssertEqual(first.status, 0, first.stderr)

        // How long a run takes here, so the kills land before, during and after its write.
        let clock = ContinuousClock()
        let start = clock.now
        _ = try Epara.run(["serve", plan, "--duration", "20s", "--state", directory.appendingPathComponent("timing.sqlite").path])
        let runS = Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds)

        var killed = 0
        for k in 0..<16 {
            let process = Process()
            process.executableURL = Epara.binary
            process.arguments = ["serve", plan, "--duration", "20s", "--seed", "\(k + 2)", "--state", store]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // From 30% to 110% of a run, spread evenly (golden-ratio steps): most kills land in the
            // simulation, some in the write, some after it.
            let delay = runS * (0.3 + 0.8 * (Double(k) * 0.618_034).truncatingRemainder(dividingBy: 1))
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()

            let report = try Epara.run(["report", "--state", store, "--format", "json"])
            XCTAssertEqual(report.status, 0, "kill \(k) after \(delay) s: report --state: \(report.stderr)")
            let replanned = try Epara.run(["plan", classified, "--state", store])
            XCTAssertEqual(replanned.status, 0, "kill \(k) after \(delay) s: plan --state: \(replanned.stderr)")
        }
        XCTAssertGreaterThan(killed, 8, "most runs were killed")
    }
}
