import EparaCore
import XCTest

/// Several state stores (gateways on separate machines) read as one observation.
final class ObservedDemandTests: XCTestCase {
    func testStoresOfSeparateGatewaysAddUp() {
        let edge = ObservedDemand(
            runId: "live-1", demandPerS: ["photo": 30, "chat": 1], demandByOrigin: ["photo": ["edge": 30], "chat": ["edge": 1]],
            nodesDown: ["peer"], windowsRead: 5)
        let peer = ObservedDemand(runId: "live-2", demandPerS: ["photo": 10], demandByOrigin: ["photo": ["peer": 10]], nodesDown: [], windowsRead: 3)
        let both = ObservedDemand.combined([edge, peer])
        XCTAssertEqual(both.runId, "live-1+live-2")
        XCTAssertEqual(both.demandPerS, ["photo": 40, "chat": 1])
        XCTAssertEqual(both.demandByOrigin, ["photo": ["edge": 30, "peer": 10], "chat": ["edge": 1]])
        XCTAssertEqual(both.nodesDown, ["peer"], "a node any gateway saw down")
        XCTAssertEqual(both.windowsRead, 3, "as many windows as the shortest store has")
        XCTAssertEqual(ObservedDemand.combined([edge]), edge)
        XCTAssertEqual(ObservedDemand.combined([]), .empty)
    }
}
