import EparaLive
import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest

/// The gateway's HTTP surface over a live engine on the emulated backend.
final class GatewayTests: XCTestCase {
    func app() throws -> some ApplicationProtocol {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 100)
        return Application(router: Gateway.router(engine: LiveEngine(plan: plan), node: "n1"))
    }

    func testHealthAndInference() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(String(buffer: response.body), #"{"node":"n1","status":"ok"}"#)
            }
            try await client.execute(uri: "/v1/services/s/infer", method: .post, body: ByteBuffer(string: "{}")) { response in
                XCTAssertEqual(response.status, .ok)
                let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
                XCTAssertEqual(object["outcome"] as? String, "completed_in_slo")
                // At least the batch's 10 ms; the upper bound leaves room for a busy machine's
                // scheduling and still catches a unit slip (seconds for milliseconds).
                let latencyMs = object["latency_ms"] as! Double
                XCTAssertGreaterThanOrEqual(latencyMs, 9.5, "a 10 ms batch on the emulated backend")
                XCTAssertLessThan(latencyMs, 200, "a 10 ms batch on the emulated backend")
            }
        }
    }

    /// A scrape of a fresh gateway finds every series at zero (and which epara it is): idle is
    /// not missing.
    func testMetricsExistBeforeTheFirstRequest() async throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 100)
        let metrics = GatewayMetrics(version: "9.9.9")
        metrics.prepare(node: "n1", services: plan.services.map(\.name))
        let app = Application(router: Gateway.router(engine: LiveEngine(plan: plan), node: "n1", metrics: metrics))
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                XCTAssertTrue(text.contains(#"epara_build_info{version="9.9.9"} 1"#), text)
                for outcome in ["completed_in_slo", "completed_late", "dropped", "failed"] {
                    XCTAssertTrue(text.contains(#"epara_requests_total{node="n1",service="s",outcome="\#(outcome)"} 0"#), text)
                }
                XCTAssertTrue(text.contains(#"epara_request_latency_seconds_count{service="s"} 0"#), text)
                for instance in plan.instances.filter({ $0.devices[0].node == "n1" }).map(\.id) {
                    XCTAssertTrue(text.contains(#"epara_instance_live{node="n1",service="s",instance="\#(instance)"} 1"#), text)
                    XCTAssertTrue(text.contains(#"epara_instance_requests_in_flight{node="n1",service="s",instance="\#(instance)"} 0"#), text)
                }
            }
        }
    }

    func testMetricsCountRequestsByOutcomeInPrometheusFormat() async throws {
        try await app().test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/services/s/infer", method: .post) { XCTAssertEqual($0.status, .ok) }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                XCTAssertEqual(response.headers[.contentType], "text/plain; version=0.0.4")
                let text = String(buffer: response.body)
                XCTAssertTrue(text.contains("# TYPE epara_requests_total counter"), text)
                XCTAssertTrue(text.contains(#"epara_requests_total{node="n1",service="s",outcome="completed_in_slo"} 3"#), text)
                XCTAssertTrue(text.contains(#"epara_request_latency_seconds_count{service="s"} 3"#), text)
            }
        }
    }

    func testStateListsTheNodesInstances() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v1/state", method: .get) { response in
                XCTAssertEqual(response.status, .ok)
                let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as! [String: Any]
                XCTAssertEqual(object["node"] as? String, "n1")
                XCTAssertEqual(object["up"] as? Bool, true)
                let instances = object["instances"] as! [[String: Any]]
                XCTAssertFalse(instances.isEmpty, "the plan has an instance on n1")
                XCTAssertTrue(
                    instances.allSatisfy { ($0["id"] as! String).contains("@n1/") && $0["service"] as? String == "s" && $0["load"] as? Int == 0 })
            }
        }
    }

    func testErrorsAreJSONWithTheRightStatus() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/v1/services/nope/infer", method: .post) { response in
                XCTAssertEqual(response.status, .notFound)
                XCTAssertEqual(String(buffer: response.body), #"{"error":"unknown service 'nope'"}"#)
            }
            try await client.execute(uri: "/v1/services/s/infer", method: .post, body: ByteBuffer(string: "[1, 2")) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(String(buffer: response.body).contains("must be a JSON object"))
            }
            try await client.execute(uri: "/v1/services/s/infer", method: .post, body: ByteBuffer(string: #"{"tokens": 3}"#)) { response in
                XCTAssertEqual(response.status, .badRequest)
                XCTAssertTrue(String(buffer: response.body).contains("unknown field 'tokens'"))
            }
        }
    }

    func testWithAClientTokenRequestsWithoutItAreRefused() async throws {
        let plan = try LiveEngineTests.plan(rate: 10, sloMs: 100)
        let app = Application(router: Gateway.router(engine: LiveEngine(plan: plan), node: "n1", clientToken: "s3cret"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/services/s/infer", method: .post) { response in
                XCTAssertEqual(response.status, .unauthorized)
                XCTAssertTrue(String(buffer: response.body).contains("bearer token"))
            }
            try await client.execute(uri: "/v1/services/s/infer", method: .post, headers: [.authorization: "Bearer s3cre"]) { response in
                XCTAssertEqual(response.status, .unauthorized)
            }
            try await client.execute(uri: "/v1/services/s/infer", method: .post, headers: [.authorization: "Bearer s3cret"]) { response in
                XCTAssertEqual(response.status, .ok)
            }
            try await client.execute(uri: "/metrics", method: .get) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/healthz", method: .get) { XCTAssertEqual($0.status, .ok, "probes need no token") }
            try await client.execute(uri: "/readyz", method: .get) { response in
                XCTAssertEqual(response.status, .ok, "the readiness probe needs none either")
                let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
                XCTAssertEqual(body["status"] as? String, "ready")
                XCTAssertEqual(body["policy"] as? String, plan.policy?.rawValue)
                XCTAssertEqual(body["instances"] as? Int, plan.instances.count)
            }
            try await client.execute(uri: "/readyzz", method: .get) { XCTAssertEqual($0.status, .unauthorized, "only the exact path is open") }
        }
    }

    func testStatusFollowsHowTheRequestEnded() {
        XCTAssertEqual(Gateway.status(for: LiveResult(id: 0, outcome: .completedInSlo, reason: .none, latencyS: 0)), .ok)
        XCTAssertEqual(Gateway.status(for: LiveResult(id: 0, outcome: .completedLate, reason: .none, latencyS: 0)), .gatewayTimeout)
        XCTAssertEqual(Gateway.status(for: LiveResult(id: 0, outcome: .dropped, reason: .deadlineUnreachable, latencyS: 0)), .tooManyRequests)
        XCTAssertEqual(Gateway.status(for: LiveResult(id: 0, outcome: .failed, reason: .nodeDown, latencyS: 0)), .serviceUnavailable)
    }
}
