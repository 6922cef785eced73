import XCTest

@testable import EparaCapacity

/// The search on attainment curves known in closed form: it brackets the answer, narrows it to
/// the tolerance, measures each load once, and says when there is nothing to bracket.
final class CapacitySearchTests: XCTestCase {
    /// Attainment exp(−(k/4)³): 0.99 is met up to k = 4·(−ln 0.99)^(1/3) ≈ 0.863, 0.9 up to ≈ 1.889.
    func curve(_ k: Double) -> Double { exp(-pow(k / 4, 3)) }

    func point(_ k: Double, _ attainments: [Double], worst: String = "s") -> LoadPoint {
        LoadPoint(
            scale: k, attainmentBySeed: attainments, goodputBySeed: attainments.map { $0 * 100 * k },
            services: [worst: attainments.min() ?? 0, "other": 1])
    }

    func testFindsTheHighestLoadMeetingEachTarget() throws {
        var search = CapacitySearch(options: CapacitySearchOptions(targets: [0.99, 0.9], tolerance: 0.02))
        var calls: [Double] = []
        let results = search.run { k in
            calls.append(k)
            return point(k, [curve(k)])
        }
        for (result, exact) in zip(results, [4 * pow(-log(0.99), 1.0 / 3), 4 * pow(-log(0.9), 1.0 / 3)]) {
            XCTAssertTrue(result.bracketed)
            XCTAssertLessThanOrEqual(result.scale, exact)
            XCTAssertGreaterThan(try XCTUnwrap(result.missedAt), exact)
            XCTAssertLessThanOrEqual(result.missedAt! / result.scale, 1.02 + 1e-9)
            XCTAssertEqual(result.scaleBySeed, [result.scale])
            XCTAssertEqual(result.breaksFirst, "s", "the service with the lowest attainment where the target was missed")
            XCTAssertEqual(result.goodputPerS, curve(result.scale) * 100 * result.scale, accuracy: 1e-9)
        }
        XCTAssertEqual(Set(calls).count, calls.count, "every load measured once, shared by both targets")
        XCTAssertEqual(search.measured.map(\.scale), calls.sorted())
    }

    func testSaysWhenNothingMissesOrNothingMeets() {
        var easy = CapacitySearch(options: CapacitySearchOptions(targets: [0.99], maxScale: 16))
        let unbounded = easy.run { point($0, [1]) }[0]
        XCTAssertEqual(unbounded.scale, 16)
        XCTAssertNil(unbounded.missedAt)
        XCTAssertFalse(unbounded.bracketed)
        var hopeless = CapacitySearch(options: CapacitySearchOptions(targets: [0.99], minScale: 1.0 / 8))
        let none = hopeless.run { point($0, [0.5]) }[0]
        XCTAssertEqual(none.scale, 0)
        XCTAssertEqual(none.missedAt, 1.0 / 8)
        XCTAssertFalse(none.bracketed)
    }

    func testEachSeedsCapacityComesFromTheLoadsMeasured() {
        // Seed 2's curve is half as wide: its capacity is about half of seed 1's.
        var search = CapacitySearch(options: CapacitySearchOptions(targets: [0.9], tolerance: 0.01))
        let result = search.run { k in point(k, [curve(k), curve(2 * k)]) }[0]
        XCTAssertEqual(result.scaleBySeed.count, 2)
        XCTAssertGreaterThan(result.scaleBySeed[0], result.scaleBySeed[1])
        XCTAssertLessThanOrEqual(result.scaleBySeed[1], 4 * pow(-log(0.9), 1.0 / 3) / 2)
        // The search follows the mean; both seeds' answers bracket it.
        XCTAssertLessThanOrEqual(result.scaleBySeed[1], result.scale)
        XCTAssertGreaterThanOrEqual(result.scaleBySeed[0], result.scale)
    }

    func testWhatBreaksIsAServiceThatHeldNotOneNeverServed() {
        var search = CapacitySearch(options: CapacitySearchOptions(targets: [0.9]))
        let result = search.run { k in
            LoadPoint(scale: k, attainmentBySeed: [curve(k)], goodputBySeed: [k], services: ["never": 0, "photo": curve(k), "chat": 1])
        }[0]
        XCTAssertEqual(result.breaksFirst, "photo")
    }

    /// Attainment that dips and recovers (a plan for more demand serving it better): the
    /// answer is the first crossing, and the load above it that met the target is reported.
    func testALoadAboveTheCrossingThatMetTheTargetIsReported() {
        var search = CapacitySearch(options: CapacitySearchOptions(targets: [0.99, 0.9], tolerance: 0.05))
        let results = search.run { k in point(k, [k >= 0.9 && k < 1.1 ? 0.95 : curve(k / 3)]) }
        XCTAssertLessThan(results[0].scale, 1.1)
        XCTAssertNotNil(results[0].metAbove, "2× met 99% again")
        XCTAssertGreaterThan(results[0].metAbove!, results[0].missedAt!)
        XCTAssertNil(results[1].metAbove)
    }
}
