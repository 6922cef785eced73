import NIOCore
import NIOEmbedded
import XCTest

@testable import EparaLive

/// The read deadlines' state machine on an embedded event loop whose clock the test moves: slow
/// heads and bodies close the connection; answering, pipelining and a body answered early
/// do not, and never leave the next request without a deadline.
final class RequestDeadlinesTests: XCTestCase {
    func connection() throws -> (EmbeddedChannel, RequestDeadlines) {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, RequestDeadlines(timeout: .seconds(1)))
    }

    func after(_ channel: EmbeddedChannel, _ milliseconds: Int64) {
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(milliseconds))
    }

    func testASlowHeadOrBodyClosesTheConnection() throws {
        let (slowHead, deadlines) = try connection()
        deadlines.bytesArrived(on: slowHead)
        after(slowHead, 900)
        deadlines.bytesArrived(on: slowHead)  // more bytes of the same head: the clock runs on
        XCTAssertTrue(slowHead.isActive)
        after(slowHead, 200)
        XCTAssertFalse(slowHead.isActive, "the head took longer than the read timeout")

        let (slowBody, body) = try connection()
        body.bytesArrived(on: slowBody)
        body.headArrived(on: slowBody)
        after(slowBody, 1100)
        XCTAssertFalse(slowBody.isActive, "the body took longer than the read timeout")
    }

    func testNoDeadlineWhileTheGatewayAnswersOrBetweenRequests() throws {
        let (channel, deadlines) = try connection()
        deadlines.bytesArrived(on: channel)
        deadlines.headArrived(on: channel)
        deadlines.bodyEnded()
        after(channel, 60_000)  // a long generation
        XCTAssertTrue(channel.isActive)
        deadlines.answered(on: channel)
        after(channel, 60_000)  // idle between requests: the idle timeout's business
        XCTAssertTrue(channel.isActive)
        deadlines.bytesArrived(on: channel)
        after(channel, 1100)
        XCTAssertFalse(channel.isActive, "the next request's head has its deadline")
    }

    /// A 401 sent before the body has arrived: the rest of the body still has its deadline, and
    /// the next request gets one too (the machine is not left waiting for a second answer).
    func testABodyAnsweredEarlyLeavesTheNextRequestADeadline() throws {
        let (channel, deadlines) = try connection()
        deadlines.bytesArrived(on: channel)
        deadlines.headArrived(on: channel)
        deadlines.answered(on: channel)
        after(channel, 500)
        deadlines.bodyEnded()
        after(channel, 5_000)
        XCTAssertTrue(channel.isActive)
        deadlines.bytesArrived(on: channel)
        after(channel, 1100)
        XCTAssertFalse(channel.isActive)
    }

    /// A second request pipelined behind a long answer: its body is not timed while the first
    /// answer is owed (the gateway stops reading meanwhile), and is once it has gone out.
    func testAPipelinedRequestIsTimedOnlyOnceTheEarlierAnswerIsOut() throws {
        let (channel, deadlines) = try connection()
        deadlines.bytesArrived(on: channel)
        deadlines.headArrived(on: channel)
        deadlines.bodyEnded()
        deadlines.bytesArrived(on: channel)
        deadlines.headArrived(on: channel)
        after(channel, 30_000)
        XCTAssertTrue(channel.isActive, "the first answer is still streaming")
        deadlines.answered(on: channel)
        after(channel, 1100)
        XCTAssertFalse(channel.isActive, "the second body, now the client's to send, took too long")
    }

    func testLoopbackIsThisMachineOnly() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"] {
            XCTAssertTrue(ListenAddress.isLoopback(host), host)
        }
        for host in ["0.0.0.0", "10.0.0.5", "::", "[::]", "127.evil.example", "127.0.0.1.example", "gpu-server-a", "::ffff:10.0.0.1", ""] {
            XCTAssertFalse(ListenAddress.isLoopback(host), host)
        }
    }
}
