import EparaClassify
import EparaCore
import EparaDocuments
import EparaPlan
import EparaServe
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import XCTest

@testable import EparaLive

/// The gateway in front of a model server that batches by itself: each request is its own call,
/// up to the server's concurrency; first tokens and the pace of the rest are measured on a
/// stream the gateway asks for, and a client that did not ask for one gets the answer put back
/// together.
final class SelfBatchingServerTests: XCTestCase {
    /// An OpenAI-compatible server that batches perfectly: every request gets a token each
    /// `tokenS` however many run at once (its first after one `tokenS`), as many as `max_tokens`.
    /// It records the most requests it ever ran at once.
    static func perfectServer(tokenS: Double, running: NIOLockedValueBox<(now: Int, most: Int)>) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("v1/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
            let tokens = object["max_tokens"] as? Int ?? 16
            let stream = object["stream"] as? Bool ?? false
            let usage = (object["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false
            running.withLockedValue {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            @Sendable func chunk(_ text: String, finish: String?) -> String {
                let reason = finish.map { "\"\($0)\"" } ?? "null"
                return
                    #"data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny","choices":[{"index":0,"text":"\#(text)","finish_reason":\#(reason)}]}"#
                    + "\n\n"
            }
            guard stream else {
                try await Task.sleep(for: .seconds(tokenS * Double(tokens)))
                running.withLockedValue { $0.now -= 1 }
                let text = String(repeating: "a ", count: tokens)
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: ResponseBody(
                        byteBuffer: ByteBuffer(
                            string:
                                #"{"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny","choices":[{"index":0,"text":"\#(text)","finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":\#(tokens),"total_tokens":\#(tokens + 4)}}"#
                        )))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream"],
                body: ResponseBody { writer in
                    for k in 0..<tokens {
                        try await Task.sleep(for: .seconds(tokenS))
                        try await writer.write(ByteBuffer(string: chunk("a ", finish: k == tokens - 1 ? "length" : nil)))
                    }
                    running.withLockedValue { $0.now -= 1 }
                    if usage {
                        try await writer.write(
                            ByteBuffer(
                                string:
                                    #"data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"tiny","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":\#(tokens),"total_tokens":\#(tokens + 4)}}"#
                                    + "\n\n"))
                    }
                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                    try await writer.finish(nil)
                })
        }
        return router
    }

    /// One LLM service (TTFT and TPOT bounds) with one instance on one node.
    static func chatPlan(ttftMs: Double, tpotMs: Double) throws -> Plan {
        let chat = Service(
            name: "chat", model: "llama-3-8b-q4", slo: SLO(ttftMs: ttftMs, tpotMs: tpotMs),
            demand: Demand(ratePerS: 1, inputTokens: 16, outputTokens: 8), origin: ["n1"])
        let cluster = Cluster(
            name: "t", nodes: [ClusterNode(name: "n1", site: "s", devices: [DeviceGroup(type: "rtx-4090", count: 1)])], network: Network())
        var plan = try Planner.plan(
            Classifier.classify(Workload(cluster: cluster, services: [chat], catalog: BuiltinCatalog.load())),
            options: PlanOptions(allowPartial: true))
        plan.instances = [plan.instances[0]]
        return plan
    }

    /// A live engine whose `chat` instance calls the server on `serverPort`.
    static func engine(_ plan: Plan, serverPort: Int, maxConcurrency: Int) -> LiveEngine {
        let target = BackendTarget(kind: .openai, url: "http://127.0.0.1:\(serverPort)", model: "tiny", maxConcurrency: maxConcurrency)
        let backends = BackendTable(plan: plan, document: BackendsDocument(entries: [.init(service: "chat", target: target)]))
        return LiveEngine(plan: plan, options: LiveOptions(core: CoreConfig(syncIntervalS: 0.1), backends: backends))
    }

    func testRequestsRunTogetherAtTheServersPaceAndAreJudgedOnWhatWasMeasured() async throws {
        let running = NIOLockedValueBox((now: 0, most: 0))
        let server = Application(
            router: Self.perfectServer(tokenS: 0.02, running: running), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { client in
            let plan = try Self.chatPlan(ttftMs: 500, tpotMs: 60)
            let engine = Self.engine(plan, serverPort: client.port!, maxConcurrency: 32)
            let started = ContinuousClock.now
            // 16 clients at once, 10 tokens each: a server that batches answers them all in about
            // 10 × 20 ms; lockstep batches or one at a time would take several times that.
            let answers = try await withThrowingTaskGroup(of: LiveAnswer.self) { group in
                for k in 0..<16 {
                    group.addTask {
                        let body = #"{"model": "chat", "prompt": "hello", "max_tokens": 10}"#
                        return try await engine.submit(
                            service: "chat", inputTokens: 4, outputTokens: 10,
                            payload: Payload(api: .completion, body: ByteBuffer(string: body), stream: k % 2 == 0))
                    }
                }
                var all: [LiveAnswer] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            // Streams are read to their end by their clients.
            var streamedTexts: [String] = []
            var wholeTexts: [String] = []
            for answer in answers {
                let reply = try XCTUnwrap(answer.reply)
                XCTAssertEqual(reply.status, 200)
                if let rest = reply.rest {
                    var text = String(buffer: reply.first)
                    for try await chunk in rest { text += String(buffer: chunk) }
                    streamedTexts.append(text)
                } else {
                    wholeTexts.append(String(buffer: reply.first))
                }
            }
            let elapsed = ContinuousClock.now - started
            XCTAssertLessThan(elapsed, .milliseconds(1000), "16 requests of 10 tokens at 20 ms a token took \(elapsed)")
            XCTAssertEqual(running.withLockedValue { $0.most }, 16, "all sixteen ran on the server at once")
            XCTAssertEqual(streamedTexts.count, 8)
            for text in streamedTexts {
                XCTAssertEqual(text.components(separatedBy: "\"text\":\"a \"").count - 1, 10, "every token passed on")
                XCTAssertFalse(text.contains("\"usage\""), "the usage chunk the gateway asked for is not passed on")
                XCTAssertTrue(text.hasSuffix("data: [DONE]\n\n"))
            }
            XCTAssertEqual(wholeTexts.count, 8)
            for text in wholeTexts {
                let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                XCTAssertEqual(object["object"] as? String, "text_completion")
                let choice = try XCTUnwrap((object["choices"] as? [[String: Any]])?.first)
                XCTAssertEqual(choice["text"] as? String, String(repeating: "a ", count: 10))
                XCTAssertEqual(choice["finish_reason"] as? String, "length")
                XCTAssertEqual((object["usage"] as? [String: Any])?["completion_tokens"] as? Int, 10)
            }
            // Let the streams' ends reach the engine, then read the Run.
            try await Task.sleep(for: .milliseconds(100))
            let run = engine.run()
            let service = run.services[0]
            XCTAssertEqual(service.counts.completedInSlo, 16)
            let ttft = try XCTUnwrap(service.ttftMs), tpot = try XCTUnwrap(service.tpotMs)
            XCTAssertEqual(ttft.count, 16)
            XCTAssertGreaterThan(ttft.p50, 19)
            XCTAssertLessThan(ttft.p50, 100)
            XCTAssertGreaterThan(tpot.p50, 17)
            XCTAssertLessThan(tpot.p50, 40)
            let pace = try XCTUnwrap(engine.serverPace(instance: plan.instances[0].id))
            XCTAssertEqual(pace.observed, 16)
            XCTAssertEqual(pace.inFlight, 0)
            XCTAssertEqual(pace.perTokenS, 0.02, accuracy: 0.01)
            await engine.shutdown()
        }
    }

    func testTheServersConcurrencyBoundsTheCallsAndTheRestWaitByDeadline() async throws {
        let running = NIOLockedValueBox((now: 0, most: 0))
        let server = Application(
            router: Self.perfectServer(tokenS: 0.01, running: running), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { client in
            let plan = try Self.chatPlan(ttftMs: 5000, tpotMs: 100)
            let engine = Self.engine(plan, serverPort: client.port!, maxConcurrency: 3)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<9 {
                    group.addTask {
                        let answer = try await engine.submit(
                            service: "chat", inputTokens: 4, outputTokens: 5,
                            payload: Payload(api: .completion, body: ByteBuffer(string: #"{"model": "chat", "prompt": "x", "max_tokens": 5}"#)))
                        XCTAssertEqual(answer.result.outcome, .completedInSlo)
                    }
                }
                try await group.waitForAll()
            }
            XCTAssertEqual(running.withLockedValue { $0.most }, 3, "never more calls than the server runs")
            await engine.shutdown()
        }
    }

    func testAStreamIsPutBackTogetherAsTheServerWouldHaveAnsweredIt() {
        var stream = CompletionStream(api: .chat, clientWantsUsage: false)
        let events = [
            #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"g","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#,
            #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"g","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#,
            #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"g","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
            #"data: {"id":"c1","object":"chat.completion.chunk","created":7,"model":"g","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
            "data: [DONE]",
        ].map { $0 + "\r\n\r\n" }.joined()
        // Split at awkward places: events come in whatever pieces TCP makes.
        let bytes = Array(events.utf8)
        var passedOn = ""
        var start = 0
        for cut in [5, 80, 81, 200, 333, bytes.count] where cut > start && cut <= bytes.count {
            passedOn += String(buffer: stream.take(ByteBuffer(bytes: bytes[start..<cut])))
            start = cut
        }
        XCTAssertTrue(stream.done)
        XCTAssertEqual(stream.outputTokens, 2, "from the usage chunk")
        XCTAssertEqual(stream.textEvents, 2)
        XCTAssertFalse(passedOn.contains("usage"), "a client that did not ask gets no usage chunk")
        XCTAssertTrue(passedOn.contains("\"Hel\"") && passedOn.hasSuffix("data: [DONE]\r\n\r\n"))
        let object = try? JSONSerialization.jsonObject(with: Data(stream.assembled().readableBytesView)) as? [String: Any]
        XCTAssertEqual(object?["object"] as? String, "chat.completion")
        XCTAssertEqual(object?["id"] as? String, "c1")
        let choice = (object?["choices"] as? [[String: Any]])?.first
        XCTAssertEqual((choice?["message"] as? [String: Any])?["content"] as? String, "Hello")
        XCTAssertEqual(choice?["finish_reason"] as? String, "stop")
        XCTAssertEqual((object?["usage"] as? [String: Any])?["total_tokens"] as? Int, 5)
        XCTAssertTrue(CompletionStream.wantsUsage(ByteBuffer(string: #"{"stream": true, "stream_options": {"include_usage": true}}"#)))
        XCTAssertFalse(CompletionStream.wantsUsage(ByteBuffer(string: #"{"stream": true}"#)))
    }

    func testMaxConcurrencyIsReadAndCheckedInTheBackendsDocument() throws {
        let plan = try Self.chatPlan(ttftMs: 500, tpotMs: 60)
        let good = SourceText(
            name: "b.yaml",
            text: """
                apiVersion: epara/v1
                kind: Backends
                backends:
                  - {service: chat, type: openai, url: "http://127.0.0.1:8000", max_concurrency: 4}
                """)
        let table = BackendTable(plan: plan, document: try BackendsDocument.read(good, plan: plan))
        XCTAssertEqual(table.target(service: "chat", node: "n1").maxConcurrency, 4)
        XCTAssertEqual(BackendTarget(kind: .openai, url: "http://x", model: "m").maxConcurrency, 64, "the default for OpenAI servers")
        for (line, expected) in [
            (
                "{service: chat, type: openai, url: \"http://127.0.0.1:8000\", max_concurrency: 0}",
                "b.yaml:4:82: error: backends[0].max_concurrency: expected a whole number from 1"
            ),
            ("{service: chat, type: emulated, max_concurrency: 4}", "max_concurrency applies to model servers"),
        ] {
            let bad = SourceText(name: "b.yaml", text: "apiVersion: epara/v1\nkind: Backends\nbackends:\n  - \(line)\n")
            XCTAssertThrowsError(try BackendsDocument.read(bad, plan: plan)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error)")
            }
        }
    }
}
