import Foundation
import Logging
import NIOConcurrencyHelpers

/// The bearer tokens a process's gateways check, replaceable while they run: SIGHUP re-reads
/// the token files, so a token is rotated without a restart (requests in flight finish under
/// the token they came with; the next request is checked against the new one).
public final class GatewayTokens: Sendable {
    /// `Authorization` values as bytes, compared on every request without building a string.
    struct Expected: Sendable {
        var client: [UInt8]?
        /// What other gateways present: the peer token, else the client token (so that a client
        /// token never leaves the peer routes open).
        var peer: [UInt8]?
    }

    private let expected: NIOLockedValueBox<Expected>

    public init(client: String?, peer: String?) {
        expected = NIOLockedValueBox(Self.expected(client: client, peer: peer))
    }

    static func expected(client: String?, peer: String?) -> Expected {
        Expected(client: client.map { Array("Bearer \($0)".utf8) }, peer: (peer ?? client).map { Array("Bearer \($0)".utf8) })
    }

    var current: Expected { expected.withLockedValue { $0 } }

    /// Whether any route is guarded (a process without tokens adds no middleware).
    public var guards: Bool { current.client != nil || current.peer != nil }

    public func replace(client: String?, peer: String?) {
        let next = Self.expected(client: client, peer: peer)
        expected.withLockedValue { $0 = next }
    }
}

/// Where a process's tokens come from: files (re-read on SIGHUP) or the environment (fixed for
/// the process's life).
public struct TokenFiles: Sendable, Equatable {
    public var client: String?
    public var peer: String?

    public init(client: String? = nil, peer: String? = nil) {
        self.client = client
        self.peer = peer
    }

    public var isEmpty: Bool { client == nil && peer == nil }

    /// A token file's text, trimmed; an empty or unreadable file is an error (a gateway must not
    /// fall back to no token at all).
    public static func read(_ path: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw TokenFileError.empty(path) }
        return text
    }
}

public enum TokenFileError: Error, CustomStringConvertible {
    case empty(String)
    public var description: String {
        switch self {
        case let .empty(path): "the token file \(path) is empty"
        }
    }
}
