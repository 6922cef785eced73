import XCTest

@testable import EparaServe

/// The values the simulator copies millions of times a run stay as small as they were packed:
/// a typed index or an optional that grew them would cost every request (docs/serve.md §5).
final class ValueLayoutTests: XCTestCase {
    func testARequestAndAnEventKeepTheirSize() {
        XCTAssertEqual(MemoryLayout<ServiceIndex>.size, 4)
        XCTAssertEqual(MemoryLayout<NodeIndex?>.size, 5, "an optional index is its 32 bits and a tag")
        XCTAssertLessThanOrEqual(MemoryLayout<Request>.stride, 72, "the optional stream's tag fits in the padding it had")
        XCTAssertLessThanOrEqual(MemoryLayout<Arrival>.stride, 40)
        XCTAssertLessThanOrEqual(MemoryLayout<Event>.stride, 32, "a kind and one packed integer after time and order")
    }
}
