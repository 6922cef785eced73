import EparaDeploy
import XCTest

final class KubeNamesTests: XCTestCase {
    func testObjectNamesAreDNSLabels() {
        XCTAssertEqual(KubeNames.object("epara", "gateway", "gpu-server-a"), "epara-gateway-gpu-server-a")
        XCTAssertEqual(KubeNames.object("epara", "chat@gpu-server-a/rtx-4090#0"), "epara-chat-gpu-server-a-rtx-4090-0")
        XCTAssertEqual(KubeNames.object("Edge_Lab"), "edge-lab")
        XCTAssertEqual(KubeNames.object("4090-box"), "x-4090-box", "a Service name starts with a letter")
        XCTAssertEqual(KubeNames.object("--a--"), "a")
    }

    func testLongNamesAreCutWithADigestAndStayDistinct() {
        let a = KubeNames.object("epara", String(repeating: "segment-site-a-", count: 6) + "orin-nano-17#0")
        let b = KubeNames.object("epara", String(repeating: "segment-site-a-", count: 6) + "orin-nano-18#0")
        XCTAssertEqual(a.count, 63)
        XCTAssertNotEqual(a, b)
        for name in [a, b] {
            XCTAssertNotNil(name.range(of: "^[a-z]([-a-z0-9]*[a-z0-9])?$", options: .regularExpression), name)
        }
    }

    /// Names that would meet once cleaned (`chat-a@x`, `chat@a-x`) are told apart by a digest.
    func testDistinctNamesCarryTheirDigest() {
        let a = KubeNames.object(["epara", "chat-a@x"], distinct: true), b = KubeNames.object(["epara", "chat@a-x"], distinct: true)
        XCTAssertEqual(KubeNames.object("epara", "chat-a@x"), KubeNames.object("epara", "chat@a-x"))
        XCTAssertNotEqual(a, b)
        XCTAssertTrue(a.hasPrefix("epara-chat-a-x-"), a)
    }

    func testLabelValues() {
        XCTAssertEqual(KubeNames.labelValue("chat@gpu-server-a#0"), "chat_gpu-server-a_0")
        XCTAssertEqual(KubeNames.labelValue("latency-sensitive"), "latency-sensitive")
        XCTAssertEqual(KubeNames.labelValue("#x#"), "x")
        let long = KubeNames.labelValue(String(repeating: "x", count: 100))
        XCTAssertEqual(long.count, 63)
        XCTAssertNotNil(long.range(of: "^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", options: .regularExpression), long)
    }
}
