import EparaCore
import XCTest

@testable import EparaStore

/// `plan --prometheus` without a server: the PromQL it asks, how it reads `/api/v1/query`
/// answers (errors, empty results, NaN and infinities), and the ObservedDemand it makes of them.
final class PrometheusReaderTests: XCTestCase {
    let url = "http://prometheus:9090"

    func samples(_ json: String, status: Int = 200) throws(PrometheusError) -> [PrometheusSample] {
        try PrometheusResponse.samples(Array(json.utf8), status: status, query: "q", url: url)
    }

    func vector(_ series: [(labels: String, value: String)]) -> String {
        let result = series.map { #"{"metric": {\#($0.labels)}, "value": [1767225600.123, "\#($0.value)"]}"# }
        return #"{"status": "success", "data": {"resultType": "vector", "result": [\#(result.joined(separator: ","))]}}"#
    }

    func testAVectorIsReadWithItsLabelsAndValues() throws {
        let read = try samples(
            vector([(#""service": "photo", "node": "edge""#, "12.5"), (#""service": "photo", "node": "peer""#, "0")]))
        XCTAssertEqual(
            read,
            [
                PrometheusSample(labels: ["service": "photo", "node": "edge"], value: 12.5),
                PrometheusSample(labels: ["service": "photo", "node": "peer"], value: 0),
            ])
    }

    func testNaNAndInfinitiesAreLeftOut() throws {
        let read = try samples(
            vector([
                (#""service": "a""#, "NaN"), (#""service": "b""#, "+Inf"), (#""service": "c""#, "-Inf"), (#""service": "d""#, "2"),
            ]))
        XCTAssertEqual(read, [PrometheusSample(labels: ["service": "d"], value: 2)])
    }

    func testAnEmptyResultIsNoSamples() throws {
        XCTAssertEqual(try samples(vector([])), [])
        XCTAssertEqual(try samples(#"{"status":"success","data":{"resultType":"vector","result":[]},"warnings":["x"]}"#), [])
    }

    func testPrometheusErrorsAreBadAnswersWithWhatItSaid() {
        let json = #"{"status":"error","errorType":"bad_data","error":"1:12: parse error: unexpected \"]\""}"#
        XCTAssertThrowsError(try samples(json, status: 400)) { error in
            let error = error as! PrometheusError
            XCTAssertEqual(error.kind, .badAnswer)
            XCTAssertEqual(error.exitCode, 65)
            XCTAssertTrue(error.message.contains("HTTP 400") && error.message.contains("bad_data: 1:12: parse error"), error.message)
        }
        // 503 with Prometheus's own error body (a query timeout).
        XCTAssertThrowsError(try samples(#"{"status":"error","errorType":"timeout","error":"query timed out"}"#, status: 503)) { error in
            XCTAssertTrue((error as! PrometheusError).message.contains("timeout: query timed out"))
        }
    }

    func testAPageThatIsNotTheAPIsJSONIsABadAnswer() {
        for (body, status) in [("404 page not found\n", 404), ("<html><body>Bad Gateway</body></html>", 502), ("", 200), ("{}", 200)] {
            XCTAssertThrowsError(try samples(body, status: status), body) { error in
                let error = error as! PrometheusError
                XCTAssertEqual(error.exitCode, 65, body)
                XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message)")
            }
        }
    }

    func testAScalarIsNotAnInstantVector() {
        XCTAssertThrowsError(try samples(#"{"status":"success","data":{"resultType":"scalar","result":[1767225600,"3"]}}"#)) { error in
            XCTAssertTrue((error as! PrometheusError).message.contains("scalar result"), "\(error)")
        }
    }

    func testQueriesUseTheWindowInItsLargestExactUnit() {
        XCTAssertEqual(PrometheusQueries(windowMs: 300_000).window, "5m")
        XCTAssertEqual(PrometheusQueries(windowMs: 30_000).window, "30s")
        XCTAssertEqual(PrometheusQueries(windowMs: 7_200_000).window, "2h")
        XCTAssertEqual(PrometheusQueries(windowMs: 90_000).window, "90s")
        XCTAssertEqual(PrometheusQueries(windowMs: 1500).window, "1500ms")
        let queries = PrometheusQueries(windowMs: 20_000)
        XCTAssertEqual(queries.demand, "sum by (service, node) (max by (service, node, outcome) (rate(epara_requests_total[20s])))")
        XCTAssertEqual(queries.gapSquares, "increase(epara_arrival_gap_seconds_squared_total[20s])")
    }

    func testTheQueryIsPercentEncodedAfterTheBaseURL() {
        XCTAssertEqual(
            PrometheusReader.queryURL(base: "http://p:9090/prom", promql: "min by (peer) (x) == 0"),
            "http://p:9090/prom/api/v1/query?query=min%20by%20%28peer%29%20%28x%29%20%3D%3D%200")
        XCTAssertEqual(PrometheusReader(url: "http://p:9090/", windowMs: 1000).url, "http://p:9090")
        XCTAssertNil(PrometheusReader.queryURL(base: "ftp://p", promql: "x"))
        XCTAssertFalse(PrometheusReader.isHTTPURL("prometheus:9090"))
        XCTAssertTrue(PrometheusReader.isHTTPURL("https://prometheus.example"))
    }

    func sample(_ labels: [String: String], _ value: Double) -> PrometheusSample { PrometheusSample(labels: labels, value: value) }

    func testDemandHealthAndBurstinessMakeAnObservedDemand() throws {
        // Gaps of one process seen through two of its gateways (the same sums), and of another.
        let a = ["service": "photo", "instance": "h1:8080"], b = ["service": "photo", "instance": "h1:8081"]
        let c = ["service": "photo", "instance": "h2:8080"], few = ["service": "detect", "instance": "h1:8080"]
        let observation = PrometheusObservation(
            demand: [
                sample(["service": "photo", "node": "edge"], 20), sample(["service": "photo", "node": "peer"], 10),
                sample(["service": "detect", "node": "edge"], 0), sample(["node": "edge"], 3),
            ],
            nodesPresent: [sample(["node": "edge"], 6), sample(["node": "peer"], 6)],
            peersDown: [sample(["peer": "peer"], 0)],
            gapCount: [sample(a, 100), sample(b, 100), sample(c, 40), sample(few, 19)],
            gapSum: [sample(a, 10), sample(b, 10), sample(c, 8), sample(few, 1)],
            // photo: gaps of mean 0.1 s with CV 1 at h1 (E[g²] = 0.02), CV 0.5 at h2.
            gapSquares: [sample(a, 2), sample(b, 2), sample(c, 40 * 0.2 * 0.2 * 1.25), sample(few, 1)])
        let observed = try observation.observed(nodes: ["edge", "peer", "spare"], url: url, window: "5m")
        XCTAssertEqual(observed.demandPerS, ["photo": 30], "a pair without requests is left out, like the store does")
        XCTAssertEqual(observed.demandByOrigin, ["photo": ["edge": 20, "peer": 10]])
        XCTAssertEqual(observed.nodesDown, ["peer", "spare"], "routed around, and without series")
        XCTAssertEqual(observed.cv, ["photo": 1.0], "the largest process's CV; detect has fewer than 20 gaps")
        XCTAssertEqual(observed.source, "prometheus http://prometheus:9090 over 5m")
        XCTAssertNil(observed.runId)
        // With a state store's observation: demand adds up, the source is kept.
        let store = ObservedDemand(runId: "live-1", demandPerS: ["photo": 5], demandByOrigin: ["photo": ["edge": 5]], nodesDown: [], windowsRead: 5)
        let both = ObservedDemand.combined([store, observed])
        XCTAssertEqual(both.demandPerS, ["photo": 35])
        XCTAssertEqual(both.runId, "live-1")
        XCTAssertEqual(both.source, observed.source)
    }

    func testGatewaysThatStoppedWithinTheWindowAreDown() throws {
        let observation = PrometheusObservation(demand: [sample(["service": "photo", "node": "edge"], 2)], nodesPresent: [])
        XCTAssertEqual(try observation.observed(nodes: ["edge", "peer"], url: url, window: "5m").nodesDown, ["edge", "peer"])
    }

    func testAServerWithoutTheGatewaysSeriesSaysSo() {
        XCTAssertThrowsError(try PrometheusObservation(demand: [], nodesPresent: []).observed(nodes: ["edge"], url: url, window: "5m")) {
            error in
            XCTAssertEqual((error as! PrometheusError).exitCode, 65)
            XCTAssertTrue("\(error)".contains("no epara_requests_total series over the last 5m"), "\(error)")
        }
    }
}
