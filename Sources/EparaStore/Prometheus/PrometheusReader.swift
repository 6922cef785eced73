import AsyncHTTPClient
import EparaCore
import Foundation
import NIOCore

/// Reads observed demand from a Prometheus server's HTTP API (`GET /api/v1/query`): the
/// `PrometheusQueries` asked one after the other, their answers read by `PrometheusResponse` and
/// put together by `PrometheusObservation`. The only I/O of `plan --prometheus`.
public struct PrometheusReader: Sendable {
    /// The server's base URL, such as `http://prometheus:9090` (a path prefix is kept).
    public var url: String
    public var queries: PrometheusQueries
    public var timeoutS: Double

    public init(url: String, windowMs: Double, timeoutS: Double = 30) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        queries = PrometheusQueries(windowMs: windowMs)
        self.timeoutS = timeoutS
    }

    /// What the gateways Prometheus scrapes observed over the window, for a cluster of `nodes`.
    public func observedDemand(nodes: [String]) async throws(PrometheusError) -> ObservedDemand {
        var configuration = HTTPClient.Configuration()
        // A refused connection is an answer (nothing listens there), not a reason to try again
        // until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(5))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let result: Result<ObservedDemand, PrometheusError>
        do throws(PrometheusError) {
            let observation = PrometheusObservation(
                demand: try await query(queries.demand, on: client), nodesPresent: try await query(queries.nodesPresent, on: client),
                peersDown: try await query(queries.peersDown, on: client), gapCount: try await query(queries.gapCount, on: client),
                gapSum: try await query(queries.gapSum, on: client), gapSquares: try await query(queries.gapSquares, on: client))
            result = .success(try observation.observed(nodes: nodes, url: url, window: queries.window))
        } catch {
            result = .failure(error)
        }
        try? await client.shutdown()
        return try result.get()
    }

    /// One instant query's samples.
    func query(_ promql: String, on client: HTTPClient) async throws(PrometheusError) -> [PrometheusSample] {
        guard let address = Self.queryURL(base: url, promql: promql) else {
            throw PrometheusError(.unreachable, "cannot reach Prometheus: '\(url)' is not an http:// or https:// URL")
        }
        let status: Int, body: [UInt8]
        do {
            let response = try await client.execute(HTTPClientRequest(url: address), timeout: .milliseconds(Int64(timeoutS * 1000)))
            status = Int(response.status.code)
            body = Array(buffer: try await response.body.collect(upTo: 64 << 20))
        } catch {
            throw PrometheusError(.unreachable, "cannot reach Prometheus at \(url): \(Self.reason(error))")
        }
        return try PrometheusResponse.samples(body, status: status, query: promql, url: url)
    }

    /// An http:// or https:// URL with a host: what `--prometheus` takes.
    public static func isHTTPURL(_ text: String) -> Bool {
        (text.hasPrefix("http://") || text.hasPrefix("https://")) && URL(string: text)?.host.map { !$0.isEmpty } == true
    }

    /// `base/api/v1/query?query=…`, the query percent-encoded (nil unless http or https).
    static func queryURL(base: String, promql: String) -> String? {
        guard isHTTPURL(base) else { return nil }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        guard let encoded = promql.addingPercentEncoding(withAllowedCharacters: allowed) else { return nil }
        return base + "/api/v1/query?query=" + encoded
    }

    /// A transport error in one line: what the client library said, without its type's dump.
    static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused"
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "no answer in time"
            default: break
            }
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
