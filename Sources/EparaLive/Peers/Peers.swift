import AsyncHTTPClient
import EparaCore
import EparaPlan
import EparaServe
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOSSL

/// A request on its way from its origin's gateway to the gateway of its instance's node. Times
/// are relative (the two machines' clocks need not agree): how old it is and how long it has
/// left.
public struct ForwardedRequest: Codable, Sendable, Equatable {
    public var service: String
    public var origin: String
    public var instance: String
    public var hops: Int
    public var ageS: Double
    public var deadlineInS: Double
    public var inputTokens: Int32
    public var outputTokens: Int32
    /// Network time of the answer back to the origin, seconds (the core's estimate).
    public var returnS: Double

    /// The most gateways a request may pass through: forwarding stops long before this (the
    /// core's `maxOffload`), so more says the header was not written by a gateway.
    public static let maximumHops = 64

    /// What is wrong with a request a peer sent, if anything: it comes off the network, and a
    /// number outside its range must be a 400, not a trap further in.
    public var problem: String? {
        if hops < 0 || hops > Self.maximumHops { return "hops \(hops) outside 0…\(Self.maximumHops)" }
        if !ageS.isFinite || ageS < 0 { return "age_s must be a finite number of seconds ≥ 0, found \(ageS)" }
        if !deadlineInS.isFinite { return "deadline_in_s must be a finite number of seconds, found \(deadlineInS)" }
        if !returnS.isFinite || returnS < 0 { return "return_s must be a finite number of seconds ≥ 0, found \(returnS)" }
        if inputTokens < 0 || outputTokens < 0 { return "token counts must be ≥ 0" }
        return nil
    }
}

/// Nanoseconds for a sleep or a timeout of `seconds`, whatever the number: negative and NaN are
/// 0, anything over a day (or infinite) a day, instead of trapping in the conversion.
func boundedNanoseconds(_ seconds: Double) -> Int64 {
    guard seconds > 0 else { return 0 }
    return Int64(min(seconds, 86_400) * 1e9)
}

/// What a node tells its peers every sync period: seconds of work ahead of each of its
/// instances.
public struct SyncReport: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var id: String
        public var backlogS: Double
    }

    public var node: String
    public var instances: [Entry]
}

/// The wire format between gateways: `POST /v1/peer/requests` (the forwarded request in a
/// header, the client's payload as the body; the answer streams back with the outcome in
/// headers) and `POST /v1/peer/sync` (a `SyncReport` as JSON). Both carry the peer token.
public enum PeerWire {
    public static let forwardHeader = "epara-forward"
    public static let apiHeader = "epara-api"
    public static let streamHeader = "epara-stream"
    public static let tokensHeader = "epara-output-tokens"
    public static let outcomeHeader = "epara-outcome"
    public static let reasonHeader = "epara-reason"
    public static let replyStatusHeader = "epara-reply-status"

    static func encode<T: Encodable>(_ value: T) -> String {
        let data = (try? JSONOutput.encoder(pretty: false).encode(value)) ?? Data()
        return data.base64EncodedString()
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) -> T? {
        guard let data = Data(base64Encoded: text) else { return nil }
        return try? JSONOutput.decoder().decode(type, from: data)
    }

    static func outcome(named name: String) -> Outcome? { Outcome.allCases.first { $0.name == name } }
    static func reason(named name: String) -> EndReason { EndReason.allCases.first { $0.name == name } ?? .none }
}

enum PeerFailure: Error, CustomStringConvertible {
    case refused(Int, String)
    case malformed(String)

    var description: String {
        switch self {
        case let .refused(status, body): "peer answered \(status): \(body)"
        case let .malformed(what): "peer sent \(what)"
        }
    }
}

/// Calls other nodes' gateways: forwards requests and sends sync reports.
final class PeerClient: Sendable {
    /// The client in use, and those it replaced (closed at shutdown: calls may still run on them).
    private let clients: NIOLockedValueBox<(current: HTTPClient, replaced: [HTTPClient])>
    /// The peer token presented on every call; SIGHUP may replace it (`replaceToken`).
    private let currentToken: NIOLockedValueBox<String?>

    var client: HTTPClient { clients.withLockedValue { $0.current } }
    var token: String? { currentToken.withLockedValue { $0 } }

    init(token: String?, tls: TLSConfiguration?) {
        clients = NIOLockedValueBox((Self.makeClient(tls: tls), []))
        currentToken = NIOLockedValueBox(token)
    }

    /// A rotated peer token: the next call presents it.
    func replaceToken(_ token: String?) { currentToken.withLockedValue { $0 = token } }

    static func makeClient(tls: TLSConfiguration?) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        // A peer that refuses the connection is down: the request goes elsewhere at once.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(2))
        configuration.tlsConfiguration = tls
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// New TLS (certificates re-read on SIGHUP): later calls go through a client made with it;
    /// the old one is closed once the longest call it can still carry is over.
    func replaceTLS(_ tls: TLSConfiguration?) {
        let fresh = Self.makeClient(tls: tls)
        let old = clients.withLockedValue { clients in
            let old = clients.current
            clients.replaced.append(old)
            clients.current = fresh
            return old
        }
        Task { [clients] in
            try? await Task.sleep(for: .seconds(Self.longestForwardS))
            let retired = clients.withLockedValue { clients in
                guard let k = clients.replaced.firstIndex(where: { $0 === old }) else { return false }
                clients.replaced.remove(at: k)
                return true
            }
            if retired { try? await old.shutdown() }
        }
    }

    /// A forwarded request's call lasts at most its deadline plus this margin (see `forward`).
    static let forwardMarginS = 600.0
    static let longestForwardS = forwardMarginS + 3600

    func shutdown() async {
        let all = clients.withLockedValue { [$0.current] + $0.replaced }
        for client in all { try? await client.shutdown() }
    }

    func forward(_ request: ForwardedRequest, payload: Payload?, to base: String) async throws -> (Outcome, EndReason, Reply?) {
        var http = HTTPClientRequest(url: base + "/v1/peer/requests")
        http.method = .POST
        http.headers.add(name: PeerWire.forwardHeader, value: PeerWire.encode(request))
        if let payload {
            http.headers.add(name: PeerWire.apiHeader, value: payload.api.rawValue)
            if payload.stream { http.headers.add(name: PeerWire.streamHeader, value: "1") }
            http.headers.add(name: PeerWire.tokensHeader, value: String(payload.outputTokens))
            http.body = .bytes(payload.body)
        }
        if let token { http.headers.add(name: "authorization", value: "Bearer \(token)") }
        // The request cannot be answered usefully after its deadline plus a generous margin
        // for a long generation; the model server's own timeout bounds it too.
        let response = try await client.execute(
            http, timeout: .nanoseconds(boundedNanoseconds(max(request.deadlineInS, 0) + Self.forwardMarginS)))
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 16)).map { String(buffer: $0) } ?? ""
            throw PeerFailure.refused(Int(response.status.code), body)
        }
        guard let outcomeName = response.headers.first(name: PeerWire.outcomeHeader), let outcome = PeerWire.outcome(named: outcomeName) else {
            throw PeerFailure.malformed("no \(PeerWire.outcomeHeader) header")
        }
        let reason = PeerWire.reason(named: response.headers.first(name: PeerWire.reasonHeader) ?? "")
        guard let replyStatus = response.headers.first(name: PeerWire.replyStatusHeader).flatMap(Int.init) else {
            return (outcome, reason, nil)
        }
        return (outcome, reason, try await Self.reply(response, status: replyStatus, streaming: payload?.stream ?? false))
    }

    /// A forwarded request's answer: read whole, or its first chunk now and the rest as it streams.
    static func reply(_ response: HTTPClientResponse, status: Int, streaming: Bool) async throws -> Reply {
        let contentType = response.headers.first(name: "content-type") ?? "application/json"
        guard streaming else {
            return Reply(status: status, contentType: contentType, first: try await response.body.collect(upTo: 64 << 20))
        }
        let body = response.body
        let chunks = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            let task = Task {
                do {
                    for try await chunk in body { continuation.yield(chunk) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        // One consumer at a time: this iterator takes the first chunk, the client's the rest.
        var iterator = chunks.makeAsyncIterator()
        let first = try await iterator.next() ?? ByteBuffer()
        return Reply(status: status, contentType: contentType, first: first, rest: chunks)
    }

    /// Sends a sync report (encoded once for every peer).
    func sync(_ report: ByteBuffer, to base: String, timeoutS: Double) async throws {
        var http = HTTPClientRequest(url: base + "/v1/peer/sync")
        http.method = .POST
        http.headers.add(name: "content-type", value: "application/json")
        if let token { http.headers.add(name: "authorization", value: "Bearer \(token)") }
        http.body = .bytes(report)
        let response = try await client.execute(http, timeout: .nanoseconds(boundedNanoseconds(max(timeoutS, 0.05))))
        _ = try await response.body.collect(upTo: 1 << 16)
    }
}
