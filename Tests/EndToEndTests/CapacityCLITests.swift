import Foundation
import XCTest

/// `epara capacity`: the operator's question, end to end through the built binary.
final class CapacityCLITests: XCTestCase {
    func classified() throws -> Data {
        let result = try Epara.run(["classify"] + CLITests.example)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    func testCapacityOfTheExampleIsADocumentWithItsSettingsAndAPage() throws {
        let page = FileManager.default.temporaryDirectory.appendingPathComponent("epara-capacity-\(getpid()).html")
        defer { try? FileManager.default.removeItem(at: page) }
        let result = try Epara.run(
            [
                "capacity", "-", "--policy", "epara", "--policy", "local", "--target", "0.9", "--seeds", "1",
                "--duration", "20s", "--warmup", "5s", "--tolerance", "0.15", "--html", page.path,
            ],
            stdin: try classified(), timeout: 240)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "", "progress only on a terminal")
        let document = try JSONSerialization.jsonObject(with: result.stdout) as! [String: Any]
        XCTAssertEqual(document["kind"] as? String, "Capacity")
        let settings = document["settings"] as! [String: Any]
        XCTAssertEqual(settings["targets"] as? [Double], [0.9])
        XCTAssertEqual(settings["seeds"] as? [Int], [1])
        XCTAssertEqual((settings["services"] as? [[String: Any]])?.count, 8, "every service's SLO and demand beside the figures")
        let policies = document["policies"] as! [[String: Any]]
        XCTAssertEqual(policies.map { $0["policy"] as? String }, ["epara", "local"])
        let epara = (policies[0]["capacities"] as! [[String: Any]])[0]
        let scale = try XCTUnwrap(epara["scale"] as? Double)
        let missed = try XCTUnwrap(epara["missed_at"] as? Double, "the search bracketed EPARA's capacity")
        XCTAssertGreaterThan(scale, 0)
        XCTAssertLessThanOrEqual(missed / scale, 1.15 + 1e-6)
        XCTAssertNotNil(epara["breaks_first"] as? String)
        // Every load measured is listed with its attainment.
        let points = policies[0]["points"] as! [[String: Any]]
        XCTAssertTrue(points.contains { ($0["scale"] as? Double) == scale && ($0["attainment"] as! Double) >= 0.9 })
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("<table>") && html.contains("<th>breaks first</th>"))
    }

    func testCapacityRefusesBadOptionsAndInput() throws {
        var result = try Epara.run(["capacity", "-", "--target", "1.5"], stdin: try classified())
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--target must be between 0 and 1"), result.stderr)
        result = try Epara.run(["capacity", "-", "--duration", "10s", "--warmup", "30s"], stdin: try classified())
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--warmup (30s) must be shorter than --duration (10s)"), result.stderr)
        let plan = Epara.packageRoot.appendingPathComponent("Tests/EndToEndTests/Fixtures/golden/edge-lab.plan.json").path
        result = try Epara.run(["capacity", plan])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("error: kind: expected kind ClassifiedWorkload"), result.stderr)
        result = try Epara.run(
            ["capacity", "-", "--trace", "chat=/nonexistent.csv", "--seeds", "1", "--duration", "5s", "--warmup", "1s"],
            stdin: try classified(), timeout: 60)
        XCTAssertEqual(result.status, 66, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("/nonexistent.csv:1:1: error: cannot open trace"), result.stderr)
        XCTAssertEqual(result.stdout, Data())
    }
}
