import ArgumentParser
import EparaLive
import Foundation

/// `serve --engine live`'s options for a gateway on a network: TLS, limits, and the escape from
/// the rule that a gateway off loopback needs tokens (docs/security.md).
struct GatewaySecurityOptions: ParsableArguments {
    @Flag(
        help: ArgumentHelp(
            "Listen off loopback without a client token and a peer token: anyone who reaches the port can send work, also as a peer (logged as a warning at every start)."
        ))
    var insecure = false

    @Option(help: ArgumentHelp("Serve HTTPS with this certificate (PEM, the chain); needs --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The certificate's private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(
        help: ArgumentHelp(
            "Mutual TLS: every connection (peers and clients) must present a certificate this CA signed (PEM).",
            valueName: "file"))
    var tlsClientCa: String?

    @Option(
        help: ArgumentHelp(
            "The CA that signed the peers' certificates, for calls to https:// peers (default: the system's roots); this gateway presents its own certificate to them.",
            valueName: "file"))
    var tlsPeerCa: String?

    @Option(help: ArgumentHelp("Largest request head (request line and headers) in bytes; over it, 431.", valueName: "bytes"))
    var maxHeaderSize: Int = GatewayLimits().maxHeaderBytes

    @Option(
        help: ArgumentHelp(
            "A request's head must arrive within this of its first byte, and its body within this of its head; else the connection closes.",
            valueName: "duration"))
    var readTimeout = DurationArgument("10s")

    @Option(help: ArgumentHelp("Close a connection with no request in progress after this long.", valueName: "duration"))
    var idleTimeout = DurationArgument("60s")

    @Option(help: ArgumentHelp("Connections one client address may hold open; more are closed as they arrive.", valueName: "n"))
    var maxConnectionsPerClient: Int = GatewayLimits().maxConnectionsPerClient

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsCert == nil, tlsClientCa != nil || tlsPeerCa != nil {
            throw ValidationError("--tls-client-ca and --tls-peer-ca need --tls-cert and --tls-key")
        }
        guard (1024...(1 << 20)).contains(maxHeaderSize) else { throw ValidationError("--max-header-size must be from 1024 to 1048576 bytes") }
        guard maxConnectionsPerClient >= 1 else { throw ValidationError("--max-connections-per-client must be at least 1") }
        try readTimeout.requirePositive("--read-timeout")
        try idleTimeout.requirePositive("--idle-timeout")
    }

    var limits: GatewayLimits {
        GatewayLimits(
            maxHeaderBytes: maxHeaderSize, readTimeoutS: readTimeout.seconds,
            idleTimeoutS: idleTimeout.seconds,
            maxConnectionsPerClient: maxConnectionsPerClient)
    }

    var tlsFiles: GatewayTLSFiles? {
        guard let tlsCert, let tlsKey else { return nil }
        return GatewayTLSFiles(certificate: tlsCert, key: tlsKey, clientCA: tlsClientCa, peerCA: tlsPeerCa)
    }

    /// Off loopback a gateway needs both tokens, unless `--insecure` says otherwise.
    func checkExposure(host: String, clientToken: Bool, peerToken: Bool) throws {
        guard !ListenAddress.isLoopback(host), !insecure, !(clientToken && peerToken) else { return }
        let missing = [
            clientToken ? nil : "a client token (--client-token-file or EPARA_CLIENT_TOKEN)",
            peerToken ? nil : "a peer token (--peer-token-file or EPARA_PEER_TOKEN)",
        ]
        .compactMap { $0 }.joined(separator: " and ")
        throw ValidationError(
            "--listen \(host): a gateway reachable from the network needs \(missing), or anyone who reaches it can send it work (see docs/security.md); --insecure listens without them"
        )
    }
}
