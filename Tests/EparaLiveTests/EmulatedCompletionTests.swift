import EparaCore
import EparaLive
import EparaServe
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// The emulated backend answers OpenAI clients as a model server would: the tokens asked for,
/// `usage` filled, and a stream of one chunk per token at the latency model's pace.
final class EmulatedCompletionTests: XCTestCase {
    func testAWholeAnswerHasTheTokensAskedForAndItsUsage() async throws {
        let plan = try SelfBatchingServerTests.chatPlan(ttftMs: 2000, tpotMs: 200)
        let app = Application(router: Gateway.router(engine: LiveEngine(plan: plan), node: "n1"))
        try await app.test(.router) { client in
            let body = #"{"model": "chat", "messages": [{"role": "user", "content": "hello there"}], "max_tokens": 8}"#
            try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: body)) { response in
                XCTAssertEqual(response.status, .ok)
                let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                XCTAssertEqual(object["object"] as? String, "chat.completion")
                let message = try XCTUnwrap(((object["choices"] as? [[String: Any]])?.first)?["message"] as? [String: Any])
                XCTAssertEqual(message["role"] as? String, "assistant")
                XCTAssertEqual(message["content"] as? String, "This answer comes from epara's emulated backend.")
                let usage = try XCTUnwrap(object["usage"] as? [String: Any])
                XCTAssertEqual(usage["completion_tokens"] as? Int, 8)
                XCTAssertEqual(usage["total_tokens"] as? Int, 8 + (usage["prompt_tokens"] as? Int ?? -100))
            }
        }
    }

    /// With no time to wait (time_scale 0) a streaming request gets its first token, its
    /// answer and its end in the visit that admits it, before its submitter waits: the answer
    /// handed over early must still reach the submitter.
    func testAStreamThatEndsBeforeItsSubmitterWaitsIsStillAnswered() async throws {
        let plan = try SelfBatchingServerTests.chatPlan(ttftMs: 2000, tpotMs: 200)
        let source = SourceText(
            name: "backends.yaml",
            text: """
                apiVersion: epara/v1
                kind: Backends
                backends:
                  - {service: chat, type: emulated, time_scale: 0}
                """)
        let backends = BackendTable(plan: plan, document: try BackendsDocument.read(source, plan: plan))
        let engine = LiveEngine(plan: plan, options: LiveOptions(backends: backends))
        let body = #"{"model": "chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 3, "stream": true}"#
        // A lost answer would leave its submitter waiting forever: the test waits 30 s, then fails.
        let answered = expectation(description: "every request answered")
        Task {
            for _ in 0..<20 {
                let answer = try await engine.submit(
                    service: "chat", inputTokens: 16, outputTokens: 3, payload: Payload(api: .chat, body: ByteBuffer(string: body), stream: true))
                let reply = try XCTUnwrap(answer.reply)
                var text = String(buffer: reply.first)
                for try await chunk in try XCTUnwrap(reply.rest) { text += String(buffer: chunk) }
                XCTAssertTrue(text.hasSuffix("data: [DONE]\n\n"), text)
            }
            answered.fulfill()
        }
        await fulfillment(of: [answered], timeout: 30)
        let run = engine.run()
        XCTAssertEqual(run.services.first?.counts.arrivals, 20)
        XCTAssertEqual(run.services.first?.counts.completedInSlo, 20)
    }

    func testAStreamHasOneChunkPerTokenAtTheDecodePaceThenTheUsageAndDone() async throws {
        let plan = try SelfBatchingServerTests.chatPlan(ttftMs: 2000, tpotMs: 200)
        let engine = LiveEngine(plan: plan)
        let body =
            #"{"model": "chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20, "stream": true, "stream_options": {"include_usage": true}}"#
        let answer = try await engine.submit(
            service: "chat", inputTokens: 16, outputTokens: 20, payload: Payload(api: .chat, body: ByteBuffer(string: body), stream: true))
        let reply = try XCTUnwrap(answer.reply, "a streaming client is answered at the first token")
        XCTAssertEqual(reply.contentType, "text/event-stream")
        let rest = try XCTUnwrap(reply.rest)
        let clock = ContinuousClock()
        let started = clock.now
        var text = String(buffer: reply.first)
        var arrivals: [Duration] = []
        for try await chunk in rest {
            arrivals.append(clock.now - started)
            text += String(buffer: chunk)
        }
        let events = text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        XCTAssertEqual(events.last, "data: [DONE]")
        let objects = try events.dropLast().map { event in
            try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(event.dropFirst("data: ".count).utf8)) as? [String: Any])
        }
        let contents = objects.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }
        XCTAssertEqual(contents.count, 20, "one chunk per token")
        XCTAssertTrue(contents.joined().hasPrefix("This answer comes from epara's emulated backend.This answer"), contents.joined())
        XCTAssertEqual(((objects.first?["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["role"] as? String, "assistant")
        let usage = try XCTUnwrap(objects.last?["usage"] as? [String: Any], "the usage chunk the client asked for")
        XCTAssertEqual(usage["completion_tokens"] as? Int, 20)
        // 19 tokens after the first at the latency model's decode step (about 10 ms for an 8B
        // model at 4 bits on an RTX 4090): spread over time, not one burst.
        let model = plan.catalog.model("llama-3-8b-q4")!, device = plan.catalog.device("rtx-4090")!
        let stepS = LatencyModel(catalog: plan.catalog).decodeStepMs(model, on: device, batch: 1, context: 16) / 1000
        let spread = (arrivals.last ?? .zero) - (arrivals.first ?? .zero)
        XCTAssertGreaterThan(spread, .seconds(15 * stepS), "tokens came at the decode pace: \(arrivals)")
        let run = engine.run()
        XCTAssertEqual(run.services[0].counts.completedInSlo, 1)
        await engine.shutdown()
    }
}
