import ArgumentParser
import EparaCore
import EparaDocuments
import EparaLive
import EparaServe
import Foundation

/// `serve --engine live`: which gateways run here, where they listen, the other gateways and
/// the model servers, the tokens, and the listeners' TLS and limits.
struct LiveGatewayOptions: ParsableArguments {
    @Flag(help: "Run every node's gateway in this process, on consecutive ports from --listen's.")
    var allNodes = false

    @Option(help: ArgumentHelp("Run this node's gateway only (the others run elsewhere; see --peers).", valueName: "name"))
    var node: String?

    @Option(help: ArgumentHelp("Address of the (first) gateway.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"

    @Option(
        help: ArgumentHelp(
            "A Peers document: the gateway URL of each node this process does not run (else the cluster's address fields).",
            valueName: "file"))
    var peers: String?

    @Option(
        help: ArgumentHelp(
            "A Backends document: the model server of each service (else the Services' backend; else emulated).",
            valueName: "file"))
    var backends: String?

    @Option(help: ArgumentHelp("A file holding the bearer token clients must present (or set EPARA_CLIENT_TOKEN).", valueName: "file"))
    var clientTokenFile: String?

    @Option(
        help: ArgumentHelp("A file holding the bearer token gateways present to each other (or set EPARA_PEER_TOKEN).", valueName: "file"))
    var peerTokenFile: String?

    @OptionGroup
    var security: GatewaySecurityOptions

    /// The listen address, once `validateForLive` has passed.
    var address: (host: String, port: Int)? { Self.hostPort(listen) }

    /// Checked when the engine is live: one node or all, a listen address, tokens off loopback.
    func validateForLive() throws {
        guard allNodes != (node != nil) else {
            throw ValidationError("--engine live needs --all-nodes (every node's gateway in this process) or --node NAME (one node's), not both")
        }
        guard let address else { throw ValidationError("--listen expects host:port, such as 127.0.0.1:8080, found '\(listen)'") }
        let environment = ProcessInfo.processInfo.environment
        try security.checkExposure(
            host: address.host, clientToken: clientTokenFile != nil || environment["EPARA_CLIENT_TOKEN"] != nil,
            peerToken: peerTokenFile != nil || environment["EPARA_PEER_TOKEN"] != nil)
    }

    /// Checked when the engine is the simulator: nothing here may be given.
    func refuseForSimulation() throws {
        if allNodes || node != nil || peers != nil || backends != nil {
            throw ValidationError("--all-nodes, --node, --peers and --backends are for --engine live")
        }
    }

    static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    /// How `LiveServer.run` runs this plan's gateways; files that cannot be read are located errors.
    func serverOptions(plan: Plan, planPath: String?, core: CoreConfig, windowS: Double, statePath: String?) throws -> LiveServerOptions {
        guard let address else { throw ValidationError("--listen expects host:port, found '\(listen)'") }
        if let node, !plan.cluster.nodes.contains(where: { $0.name == node }) {
            throw ValidationError("--node: the plan has no node '\(node)' (it has: \(plan.cluster.nodes.map(\.name).joined(separator: ", ")))")
        }
        let peerURLs = try StageIO.run { try peers.map { try PeersDocument.read(try SourceText.load($0), plan: plan) } ?? [:] }
        let table = try StageIO.run {
            try backends.map { BackendTable(plan: plan, document: try BackendsDocument.read(try SourceText.load($0), plan: plan)) }
        }
        let peerToken = try Self.token(file: peerTokenFile, environment: "EPARA_PEER_TOKEN")
        let engine = LiveOptions(core: core, hosted: node.map { [$0] }, peers: peerURLs, backends: table, peerToken: peerToken, windowS: windowS)
        return LiveServerOptions(
            host: ListenAddress.unbracketed(address.host), basePort: address.port, engine: engine,
            clientToken: try Self.token(file: clientTokenFile, environment: "EPARA_CLIENT_TOKEN"),
            peerToken: peerToken, syncIntervalS: core.syncIntervalS, statePath: statePath,
            // A plan from standard input cannot be re-read on SIGHUP.
            planPath: planPath.flatMap { $0 == "-" ? nil : $0 }, limits: security.limits, tls: security.tlsFiles,
            tokenFiles: TokenFiles(client: clientTokenFile, peer: peerTokenFile))
    }

    /// A bearer token from a file, else from the environment; nil when neither gives one.
    static func token(file: String?, environment: String) throws -> String? {
        var token = ProcessInfo.processInfo.environment[environment]
        if let file {
            token = try StageIO.run { try SourceText.load(file).text }.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let t = token, t.isEmpty { throw ValidationError("the token from \(file ?? environment) is empty") }
        return token
    }
}
