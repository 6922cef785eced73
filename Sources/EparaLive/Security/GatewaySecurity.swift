import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a gateway's listener puts up with from a client it does not trust: how big a request
/// head may be, how long a request may take to arrive, how long a connection may sit idle, and
/// how many connections one address may hold (docs/security.md).
public struct GatewayLimits: Sendable, Equatable {
    /// Largest request head (request line and headers), bytes; over it the answer is 431.
    public var maxHeaderBytes: Int
    /// From a request's first byte to its complete head, and from the head to the end of its body.
    public var readTimeoutS: Double
    /// A connection with no request in progress is closed after this long.
    public var idleTimeoutS: Double
    /// Connections one client address may hold open at once; more are closed as they arrive.
    public var maxConnectionsPerClient: Int

    public init(maxHeaderBytes: Int = 16 << 10, readTimeoutS: Double = 10, idleTimeoutS: Double = 60, maxConnectionsPerClient: Int = 256) {
        self.maxHeaderBytes = maxHeaderBytes
        self.readTimeoutS = readTimeoutS
        self.idleTimeoutS = idleTimeoutS
        self.maxConnectionsPerClient = maxConnectionsPerClient
    }
}

/// The files a gateway's TLS is made from. `clientCA` turns on mutual TLS: every connection
/// must present a certificate that CA signed. `peerCA` is what the gateway trusts when it calls
/// its peers over https (the system's roots when nil); its own certificate is its client
/// certificate for peers that require one.
public struct GatewayTLSFiles: Sendable, Equatable {
    public var certificate: String
    public var key: String
    public var clientCA: String?
    public var peerCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil, peerCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
        self.peerCA = peerCA
    }

    /// The listener's TLS context and the peer client's configuration, from one reading of the
    /// files: the peer side verified against `peerCA` (or the system's roots) and presenting
    /// this gateway's certificate. Both are built (and so checked) before either is used.
    public func load() throws -> (server: NIOSSLContext, peer: TLSConfiguration) {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        let key = NIOSSLPrivateKeySource.privateKey(try NIOSSLPrivateKey(file: self.key, format: .pem))
        var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: key)
        server.minimumTLSVersion = .tlsv12
        if let clientCA {
            // Client certificates name no host to check: the CA's signature is the check (and
            // NIOSSL fails a handshake without one).
            server.certificateVerification = .noHostnameVerification
            server.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
        }
        var peer = TLSConfiguration.makeClientConfiguration()
        peer.minimumTLSVersion = .tlsv12
        if let peerCA { peer.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(peerCA)) }
        peer.certificateChain = chain
        peer.privateKey = key
        _ = try NIOSSLContext(configuration: peer)
        return (try NIOSSLContext(configuration: server), peer)
    }
}

/// A listener's TLS context, replaced in place when the files are read again (SIGHUP): new
/// connections get the new one, open ones keep theirs.
public final class ReloadableTLSContext: Sendable {
    let files: GatewayTLSFiles
    private let context: NIOLockedValueBox<NIOSSLContext>
    /// The peer client's configuration from the same reading of the files.
    let peerConfiguration: TLSConfiguration

    public init(files: GatewayTLSFiles) throws {
        self.files = files
        let loaded = try files.load()
        context = NIOLockedValueBox(loaded.server)
        peerConfiguration = loaded.peer
    }

    var current: NIOSSLContext { context.withLockedValue { $0 } }

    /// Reads the files again and returns the peer client's new configuration; on failure
    /// nothing changes and the error is thrown.
    public func reload() throws -> TLSConfiguration {
        let loaded = try files.load()
        context.withLockedValue { $0 = loaded.server }
        return loaded.peer
    }
}

/// Where a gateway may listen without tokens: this machine only.
public enum ListenAddress {
    /// `localhost`, or an address literal in 127.0.0.0/8, `::1` or `::ffff:127.0.0.0/104`. Any
    /// other name counts as off loopback: it is resolved when the listener binds.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = unbracketed(host)
        if bare.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, bare, &v4) == 1 { return withUnsafeBytes(of: &v4) { $0[0] == 127 } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, bare, &v6) == 1 else { return false }
        return withUnsafeBytes(of: &v6) { b in
            let loopback = b.prefix(15).allSatisfy { $0 == 0 } && b[15] == 1
            let mapped = b.prefix(10).allSatisfy { $0 == 0 } && b[10] == 0xff && b[11] == 0xff && b[12] == 127
            return loopback || mapped
        }
    }

    /// An IPv6 address as `--listen` writes it (`[::1]`), as a socket wants it (`::1`).
    public static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }
}
