import EparaCore
import EparaProfile
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import XCTest

/// `epara profile`'s measurements against an OpenAI-compatible server whose pace is known: one
/// token every 20 ms however many requests run (SelfBatchingServerTests.perfectServer).
final class ProfilerTests: XCTestCase {
    func testAServersPaceBecomesACatalogProfile() async throws {
        let running = NIOLockedValueBox((now: 0, most: 0))
        let server = Application(
            router: SelfBatchingServerTests.perfectServer(tokenS: 0.02, running: running),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { client in
            let options = ProfileOptions(
                url: "http://127.0.0.1:\(client.port!)", api: .openai, serverModel: "tiny", model: "llama-3-8b-q4", device: "rtx-4090",
                concurrency: [1, 2, 4], promptTokens: [16, 64], decodeTokens: 12, repeats: 2)
            let lines = NIOLockedValueBox<[String]>([])
            let measured = try await Profiler.measure(options, command: "epara profile …", date: "2026-12-07") { line in
                lines.withLockedValue { $0.append(line) }
            }
            XCTAssertEqual(measured.steps.map(\.concurrency), [1, 2, 4])
            for step in measured.steps {
                XCTAssertEqual(step.ms, 20, accuracy: 6, "a perfect server's step is its token time at any concurrency")
            }
            XCTAssertEqual(running.withLockedValue { $0.most }, 4)
            XCTAssertTrue(lines.withLockedValue { $0 }.contains { $0.hasPrefix("decode with 4 running") })
            // The Catalog document reads back as a profile of that model and device.
            let yaml = ProfileCatalog.yaml(measured)
            let catalog = try DocumentReader.catalog([SourceText(name: "profile.yaml", text: yaml)], builtin: BuiltinCatalog.load())
            let profile = try XCTUnwrap(catalog.profile(model: "llama-3-8b-q4", device: "rtx-4090"))
            XCTAssertEqual(profile.points.map(\.batch), [1, 2, 4])
            XCTAssertNotNil(profile.prefillMsPerToken)
            XCTAssertTrue(profile.source.contains("measured by epara profile on 2026-12-07 against http://127.0.0.1:"))
        }
    }

    func testAnUnreachableServerAndAWrongAnswerAreSaidApart() async throws {
        let closed = ProfileOptions(url: "http://127.0.0.1:1", api: .openai, serverModel: "m", model: "m", device: "d", repeats: 1)
        do throws(ProfileError) {
            _ = try await Profiler.measure(closed, command: "", date: "") { _ in }
            XCTFail("measured a server that is not there")
        } catch {
            XCTAssertEqual(error.kind, .unreachable)
            XCTAssertEqual(error.exitCode, 74)
            XCTAssertTrue(error.message.contains("cannot reach the model server at http://127.0.0.1:1"), error.message)
        }
        // A server that answers, but not as an OpenAI-compatible one.
        let router = Router()
        router.post("v1/completions") { _, _ -> Response in
            Response(status: .notFound, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"error": "model 'nope' not found"}"#)))
        }
        let server = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { client in
            let options = ProfileOptions(
                url: "http://127.0.0.1:\(client.port!)", api: .openai, serverModel: "nope", model: "m", device: "d", repeats: 1)
            do throws(ProfileError) {
                _ = try await Profiler.measure(options, command: "", date: "") { _ in }
                XCTFail("measured a server that does not know the model")
            } catch {
                XCTAssertEqual(error.exitCode, 65)
                XCTAssertTrue(error.message.contains("answered 404 for model 'nope'"), error.message)
                XCTAssertTrue(error.message.contains("--server-model"), error.message)
            }
        }
    }
}
