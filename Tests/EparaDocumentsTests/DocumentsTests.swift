import EparaCore
import EparaDocuments
import Foundation
import XCTest

/// The stage documents stand alone: this target links EparaDocuments (and EparaCore) only, not
/// the classifier, planner, simulator or report, and reads and checks every golden document.
final class DocumentsTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EndToEndTests/Fixtures/golden")

    func source(_ name: String) throws -> SourceText {
        try SourceText.load(Self.golden.appendingPathComponent(name).path)
    }

    func testEveryGoldenDocumentReadsAndPassesItsChecks() throws {
        let workload = try StageDocument<ClassifiedWorkload>.read(
            try source("edge-lab.classified.json"), kind: "ClassifiedWorkload",
            producedBy: "epara classify"
        ).value
        XCTAssertEqual(workload.services.count, 8)
        let plan = try StageDocument<Plan>.read(try source("edge-lab.plan.json"), kind: "Plan", producedBy: "epara plan").value
        XCTAssertEqual(plan.problems(), [])
        XCTAssertEqual(plan.settings?.maxBatch, 64)
        let run = try StageDocument<Run>.read(try source("edge-lab.run.json"), kind: "Run", producedBy: "epara serve").value
        XCTAssertEqual(run.problems(), [])
        let report = try StageDocument<Report>.read(try source("edge-lab.report.json"), kind: "Report", producedBy: "epara report").value
        XCTAssertFalse(report.runs.isEmpty)
    }

    func testEveryProblemIsLocatedAtItsField() throws {
        var text = try source("edge-lab.plan.json").text
        text = text.replacingOccurrences(of: #""batch" : 64,"#, with: #""batch" : 0,"#)
        do {
            _ = try StageDocument<Plan>.read(SourceText(name: "edited.json", text: text), kind: "Plan", producedBy: "epara plan")
            XCTFail("a batch of 0 was accepted")
        } catch {
            XCTAssertFalse(error.diagnostics.isEmpty)
            for d in error.diagnostics {
                XCTAssertEqual(d.location.file, "edited.json")
                XCTAssertTrue(d.path.hasSuffix(".batch"), d.path)
                // The line the diagnostic names holds the field.
                let line = text.split(separator: "\n", omittingEmptySubsequences: false)[d.location.line - 1]
                XCTAssertTrue(line.contains(#""batch" : 0"#), String(line))
            }
        }
    }
}
