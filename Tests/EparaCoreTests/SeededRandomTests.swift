import EparaCore
import XCTest

final class SeededRandomTests: XCTestCase {
    /// `init(state:)` is SplitMix64 as its reference code seeds it (these are its first values
    /// from 0), which the benchmark's and the planner tests' generated workloads were drawn with.
    func testStateStartsTheReferenceSequence() {
        var random = SeededRandom(state: 0)
        XCTAssertEqual([random.next(), random.next(), random.next()], [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
    }

    /// `init(seed:)` starts one step further on.
    func testSeedIsTheStateOneStepOn() {
        var seeded = SeededRandom(seed: 42), stated = SeededRandom(state: 42)
        _ = stated.next()
        XCTAssertEqual((0..<4).map { _ in seeded.next() }, (0..<4).map { _ in stated.next() })
    }
}
