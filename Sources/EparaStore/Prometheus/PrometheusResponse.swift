import EparaCore
import Foundation

/// One series of an instant vector: its labels and its value.
public struct PrometheusSample: Hashable, Sendable {
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String], value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// Why a Prometheus server could not say what `plan --prometheus` asked: it could not be
/// reached (exit 74, I/O), or it answered something else than an instant vector (exit 65: an
/// error of its own, a page that is not its API's JSON, or no epara series at all).
public typealias PrometheusError = RemoteError

/// The JSON of `GET /api/v1/query` (https://prometheus.io/docs/prometheus/latest/querying/api/),
/// read into samples.
public enum PrometheusResponse {
    /// The samples of an instant-vector answer. Samples whose value is NaN or ±Inf (a ratio over
    /// an empty range, an overflow) say nothing about demand and are left out. `status`: the
    /// HTTP status; `query` and `url` only word the errors.
    public static func samples(_ body: [UInt8], status: Int, query: String, url: String) throws(PrometheusError) -> [PrometheusSample] {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: Data(body))
        } catch {
            let text = String(decoding: body.prefix(200), as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
            throw PrometheusError(
                .badAnswer,
                "Prometheus at \(url) answered HTTP \(status) with something that is not its query API's JSON: \(text.isEmpty ? "(empty)" : text)")
        }
        guard envelope.status == "success", (200..<300).contains(status) else {
            let what = [envelope.errorType, envelope.error].compactMap { $0 }.joined(separator: ": ")
            throw PrometheusError(.badAnswer, "Prometheus at \(url) refused `\(query)` (HTTP \(status)): \(what.isEmpty ? "no error given" : what)")
        }
        guard let data = envelope.data, data.resultType == "vector", let series = data.series else {
            throw PrometheusError(
                .badAnswer, "Prometheus at \(url) answered `\(query)` with a \(envelope.data?.resultType ?? "missing") result, not an instant vector")
        }
        return series.compactMap { s in
            guard let value = Double(s.value), value.isFinite else { return nil }
            return PrometheusSample(labels: s.metric, value: value)
        }
    }

    struct Envelope: Decodable {
        var status: String
        var data: ResultData?
        var errorType: String?
        var error: String?
    }

    struct ResultData: Decodable {
        var resultType: String
        /// The result when it is a vector (a scalar's or a string's is not read).
        var series: [Series]?

        enum CodingKeys: String, CodingKey { case resultType, result }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            resultType = try container.decode(String.self, forKey: .resultType)
            series = resultType == "vector" ? try container.decode([Series].self, forKey: .result) : nil
        }
    }

    struct Series: Decodable {
        var metric: [String: String]
        /// The sample's value as Prometheus writes it: a string, `"NaN"`, `"+Inf"` and `"-Inf"` included.
        var value: String

        enum CodingKeys: String, CodingKey { case metric, value }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            metric = try container.decodeIfPresent([String: String].self, forKey: .metric) ?? [:]
            var pair = try container.nestedUnkeyedContainer(forKey: .value)
            _ = try pair.decode(Double.self)
            value = try pair.decode(String.self)
        }
    }
}
