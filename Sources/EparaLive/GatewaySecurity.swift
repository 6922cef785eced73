import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

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

    /// The listener's TLS configuration, read from the files now.
    public func serverConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        if let clientCA {
            // Client certificates name no host to check: the CA's signature is the check.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
        }
        return configuration
    }

    /// The peer client's TLS configuration: peers verified against `peerCA` (or the system's
    /// roots), this gateway's certificate presented as its own.
    public func peerClientConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let peerCA { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(peerCA)) }
        configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
        configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        return configuration
    }
}

/// A listener's TLS context, replaced in place when the files are read again (SIGHUP): new
/// connections get the new one, open ones keep theirs.
public final class ReloadableTLSContext: Sendable {
    let files: GatewayTLSFiles
    private let context: NIOLockedValueBox<NIOSSLContext>

    public init(files: GatewayTLSFiles) throws {
        self.files = files
        context = NIOLockedValueBox(try NIOSSLContext(configuration: try files.serverConfiguration()))
    }

    var current: NIOSSLContext { context.withLockedValue { $0 } }

    /// Reads the files again; on failure the context in use stays and the error is thrown.
    public func reload() throws {
        let fresh = try NIOSSLContext(configuration: try files.serverConfiguration())
        context.withLockedValue { $0 = fresh }
    }
}

/// Where a gateway may listen without tokens: this machine only.
public enum ListenAddress {
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}
