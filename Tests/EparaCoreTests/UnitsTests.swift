import XCTest

@testable import EparaCore

final class UnitsTests: XCTestCase {
    func testDurations() {
        XCTAssertEqual(Quantity.duration.parse("250ms"), 250)
        XCTAssertEqual(Quantity.duration.parse("2s"), 2000)
        XCTAssertEqual(Quantity.duration.parse("1.5s"), 1500)
        XCTAssertEqual(Quantity.duration.parse("10us"), 0.01)
        XCTAssertEqual(Quantity.duration.parse("2min"), 120_000)
        XCTAssertNil(Quantity.duration.parse("250"))
        XCTAssertNil(Quantity.duration.parse("-1s"))
        XCTAssertNil(Quantity.duration.parse("ms"))
        XCTAssertNil(Quantity.duration.parse("5 parsecs"))
    }

    func testBandwidthMemoryRates() {
        XCTAssertEqual(Quantity.bandwidth.parse("100Mbps"), 100)
        XCTAssertEqual(Quantity.bandwidth.parse("1Gbps"), 1000)
        XCTAssertEqual(Quantity.bandwidth.parse("25GB/s"), 200_000)
        XCTAssertEqual(Quantity.memory.parse("24GiB"), 24)
        XCTAssertEqual(Quantity.memory.parse("512MiB"), 0.5)
        XCTAssertEqual(Quantity.memory.parse("8GB")!, 8e9 / 1_073_741_824, accuracy: 1e-12)
        XCTAssertEqual(Quantity.dataSize.parse("300KB"), 300_000)
        XCTAssertEqual(Quantity.rate.parse("30/s"), 30)
        XCTAssertEqual(Quantity.rate.parse("600/min"), 10)
        XCTAssertEqual(Quantity.compute.parse("312TFLOPS"), 312)
        XCTAssertEqual(Quantity.compute.parse("614GOPS")!, 0.614, accuracy: 1e-12)
        XCTAssertEqual(Quantity.count.parse("8.03B")!, 8.03e9, accuracy: 1)
        XCTAssertNil(Quantity.rate.parse("1e999/s"))
    }

    func testSuggestions() {
        XCTAssertEqual(Suggestion.closest(to: "sit", in: ["name", "site", "devices"]), "site")
        XCTAssertEqual(Suggestion.closest(to: "rtx-4091", in: ["rtx-4090", "rtx-3090", "l4"]), "rtx-4090")
        XCTAssertNil(Suggestion.closest(to: "zzzzzz", in: ["name", "site"]))
    }

    func testLinkTransfer() {
        // 300 KB over 100 Mbps: 24 ms on the wire plus the link's latency.
        XCTAssertEqual(Link(bandwidthMbps: 100, latencyMs: 8).transferMs(bytes: 300_000), 32, accuracy: 1e-9)
    }
}
