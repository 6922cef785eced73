import EparaCore
import XCTest

@testable import EparaServe

/// The Faults document: nodes down and up, link degradation, lost sync messages, read with
/// durations and every error located.
final class FaultPlanTests: XCTestCase {
    func error(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testFaultDocumentsReadWithDurationsAndLocatedErrors() throws {
        let cluster = try ServeFixtures.examplePlan().cluster
        let plan = try FaultPlan.read(
            SourceText(
                name: "f.yaml",
                text: """
                    apiVersion: epara/v1
                    kind: Faults
                    sync_loss: 0.3
                    events:
                      - {at: 30s, node: orin-nx-1, state: down, for: 1m}
                      - {at: 10s, link: [campus, factory], bandwidth: 10Mbps, latency: 40ms, for: 5s}
                    """), cluster: cluster)
        XCTAssertEqual(plan.syncLoss, 0.3)
        XCTAssertEqual(plan.events.map(\.atS), [10, 15, 30, 90])
        XCTAssertEqual(
            plan.events.map(\.description),
            [
                "link campus-factory 10.0 Mbps, 40.0 ms", "link campus-factory restored",
                "node orin-nx-1 down", "node orin-nx-1 up",
            ])
        XCTAssertEqual(
            error {
                _ = try FaultPlan.read(
                    SourceText(
                        name: "f.yaml",
                        text: """
                            apiVersion: epara/v1
                            kind: Faults
                            sync_loss: 1.5
                            events:
                              - {at: 30s, node: orin-nx-3, state: down}
                              - {at: 1s, link: [campus, mars], bandwidth: 1Mbps, latency: 1ms}
                              - {at: 2s, node: orin-nx-1, state: sideways}
                            """), cluster: cluster)
            },
            """
            f.yaml:3:12: error: sync_loss: expected a probability from 0 to 1, found 1.5
            f.yaml:5:21: error: events[0].node: unknown node 'orin-nx-3'; did you mean 'orin-nx-1'?
            f.yaml:6:20: error: events[1].link: unknown site 'mars'
            f.yaml:7:38: error: events[2].state: expected one of down, up, found the string "sideways"
            """)
    }
}
