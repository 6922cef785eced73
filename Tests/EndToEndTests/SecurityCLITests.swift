import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import XCTest

/// Gateways on a network, through the built binary (docs/security.md): tokens required off
/// loopback unless `--insecure`; TLS, mutual TLS between two gateway processes that forward to
/// each other over HTTPS; certificates re-read on SIGHUP; unusable TLS files refused.
final class SecurityCLITests: XCTestCase {
    func testOffLoopbackAGatewayNeedsBothTokensOrInsecure() async throws {
        let directory = try scratchDirectory("epara-security-tokens")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try livePlan("pair", into: directory)
        let port = HTTP.freePort()
        let base = ["serve", plan.path, "--engine", "live", "--node", "edge", "--listen", "0.0.0.0:\(port)"]
        let none = try Epara.run(base, timeout: 10)
        XCTAssertEqual(none.status, 64, none.stderr)
        XCTAssertTrue(none.stdout.isEmpty)
        XCTAssertTrue(none.stderr.contains("needs a client token (--client-token-file or EPARA_CLIENT_TOKEN) and a peer token"), none.stderr)
        XCTAssertTrue(none.stderr.contains("--insecure listens without them"), none.stderr)
        let clientOnly = try Epara.run(base, environment: ["EPARA_CLIENT_TOKEN": "c"], timeout: 10)
        XCTAssertEqual(clientOnly.status, 64)
        XCTAssertTrue(clientOnly.stderr.contains("needs a peer token"), clientOnly.stderr)

        // --insecure starts, and says what it gives up.
        let insecure = try Background.gateway(Array(base.dropFirst()) + ["--insecure"], name: "insecure", in: directory)
        let up = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up)
        XCTAssertEqual(insecure.stop(), 0)
        XCTAssertTrue(insecure.stderr.contains("warning epara.live: listen=0.0.0.0:\(port)"), insecure.stderr)
        XCTAssertTrue(insecure.stderr.contains("--insecure: listening off loopback without a client token and a peer token"), insecure.stderr)

        // With both tokens it starts without a warning.
        let tokens = ["EPARA_CLIENT_TOKEN": "client-secret", "EPARA_PEER_TOKEN": "peer-secret"]
        let secured = try Background.gateway(Array(base.dropFirst()), name: "secured", in: directory, environment: tokens)
        let securedUp = await HTTP.waitUntilUp("http://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(securedUp)
        let anonymous = try await HTTP.call("http://127.0.0.1:\(port)/v1/services/photo/infer", method: "POST")
        XCTAssertEqual(anonymous.status, 401)
        XCTAssertEqual(secured.stop(), 0)
        XCTAssertFalse(secured.stderr.contains("--insecure"), secured.stderr)
    }

    /// Two gateway processes with TLS and mutual TLS, forwarding to each other over HTTPS: a
    /// client with a certificate the CA signed is served (part of its photos by the peer); one
    /// without a certificate, or with one a rogue CA signed, is refused at the handshake; plain
    /// HTTP to the TLS port fails cleanly.
    func testMutualTLSBetweenTwoGatewaysAndTheirClients() async throws {
        let directory = try scratchDirectory("epara-security-tls")
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try TestCertificates.make(in: directory)
        let plan = try livePlan("pair", into: directory)
        let edgePort = HTTP.freePort(), peerPort = HTTP.freePort()
        let peers = try pairPeers(edgePort: edgePort, peerPort: peerPort, scheme: "https", in: directory)
        let tokens = pairTokens
        let common = [
            "--engine", "live", "--peers", peers.path, "--sync-interval", "200ms", "--dispatch", "plan-weights",
            "--tls-cert", certificates.path("gw.pem"), "--tls-key", certificates.path("gw.key"),
            "--tls-client-ca", certificates.path("ca.pem"), "--tls-peer-ca", certificates.path("ca.pem"),
        ]
        let edge = try Background.gateway(
            [plan.path, "--node", "edge", "--listen", "127.0.0.1:\(edgePort)"] + common, name: "edge", in: directory, environment: tokens)
        let peer = try Background.gateway(
            [plan.path, "--node", "peer", "--listen", "127.0.0.1:\(peerPort)"] + common, name: "peer", in: directory, environment: tokens)
        let client = try TLSClient(
            ca: certificates.path("ca.pem"), certificate: certificates.path("client.pem"), key: certificates.path("client.key"))
        defer { client.close() }
        let edgeUp = await client.waitUntilUp("https://127.0.0.1:\(edgePort)/healthz")
        let peerUp = await client.waitUntilUp("https://127.0.0.1:\(peerPort)/healthz")
        XCTAssertTrue(edgeUp && peerUp, "edge: \(edge.stderr)\npeer: \(peer.stderr)")

        let auth = [("authorization", "Bearer client-secret")]
        var statuses: [Int] = []
        for _ in 0..<60 {
            statuses.append(try await client.call("https://127.0.0.1:\(edgePort)/v1/services/photo/infer", method: .POST, headers: auth).status)
        }
        XCTAssertEqual(Set(statuses), [200])
        try await Task.sleep(for: .milliseconds(500))
        let state = try await client.call("https://127.0.0.1:\(edgePort)/v1/state", headers: auth)
        let json = try JSONSerialization.jsonObject(with: Data(state.body.utf8)) as? [String: Any]
        let peerState = (json?["peers"] as? [[String: Any]])?.first
        XCTAssertEqual(peerState?["up"] as? Bool, true, "the peer syncs over mutual TLS: \(state.body)")
        XCTAssertGreaterThan(peerState?["forwarded"] as? Int ?? 0, 0, "photos forwarded to the peer over mutual TLS: \(state.body)")

        // No client certificate, or one from a CA the gateways do not trust: refused.
        for (name, refused) in [
            ("no certificate", try TLSClient(ca: certificates.path("ca.pem"))),
            (
                "a rogue CA's certificate",
                try TLSClient(ca: certificates.path("ca.pem"), certificate: certificates.path("rogue.pem"), key: certificates.path("rogue.key"))
            ),
        ] {
            let clock = ContinuousClock()
            let start = clock.now
            do {
                let answer = try await refused.call("https://127.0.0.1:\(edgePort)/healthz")
                XCTFail("\(name): answered \(answer.status)")
            } catch {}
            XCTAssertLessThan(clock.now - start, .seconds(5), name)
            refused.close()
        }
        // Plain HTTP to the TLS port: an error, at once.
        do {
            let answer = try await HTTP.call("http://127.0.0.1:\(edgePort)/healthz", timeout: 5)
            XCTFail("plain HTTP answered \(answer.status)")
        } catch {}

        XCTAssertEqual(edge.stop(), 0)
        XCTAssertEqual(peer.stop(), 0)
    }

    /// SIGHUP re-reads the certificate files: new connections get the new certificate; files
    /// that cannot be used are logged and the certificate in use stays.
    func testSIGHUPReloadsTheCertificates() async throws {
        let directory = try scratchDirectory("epara-security-reload")
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificates = try TestCertificates.make(in: directory)
        let plan = try livePlan("pair", into: directory)
        let live = (cert: directory.appendingPathComponent("live.pem"), key: directory.appendingPathComponent("live.key"))
        func install(_ leaf: String) throws {
            for (from, to) in [("\(leaf).pem", live.cert), ("\(leaf).key", live.key)] {
                try? FileManager.default.removeItem(at: to)
                try FileManager.default.copyItem(atPath: certificates.path(from), toPath: to.path)
            }
        }
        try install("gw")
        let port = HTTP.freePort()
        let gateway = try Background.gateway(
            [
                plan.path, "--engine", "live", "--node", "edge", "--listen", "127.0.0.1:\(port)", "--tls-cert", live.cert.path, "--tls-key",
                live.key.path,
            ],
            name: "edge", in: directory)
        let first = try TLSClient(ca: certificates.path("ca.pem"))
        let second = try TLSClient(ca: certificates.path("ca2.pem"))
        defer {
            first.close()
            second.close()
        }
        let up = await first.waitUntilUp("https://127.0.0.1:\(port)/healthz")
        XCTAssertTrue(up, gateway.stderr)

        try install("gw2")
        kill(gateway.process.processIdentifier, SIGHUP)
        let reloaded = await second.waitUntilUp("https://127.0.0.1:\(port)/healthz", seconds: 5)
        XCTAssertTrue(reloaded, "after SIGHUP the certificate from the second CA is served: \(gateway.stderr)")
        do {
            _ = try await first.call("https://127.0.0.1:\(port)/healthz")
            XCTFail("the first CA's clients no longer match the certificate")
        } catch {}
        XCTAssertTrue(gateway.stderr.contains("certificates reloaded"), gateway.stderr)

        try "not a certificate".write(to: live.cert, atomically: true, encoding: .utf8)
        kill(gateway.process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        XCTAssertTrue(gateway.stderr.contains("certificates not reloaded; the ones in use stay"), gateway.stderr)
        let still = try await second.call("https://127.0.0.1:\(port)/healthz")
        XCTAssertEqual(still.status, 200)
        XCTAssertEqual(gateway.stop(), 0)
    }

    /// SIGHUP re-reads the token files: a rotated client token is the only one accepted from the
    /// next request on, and a rotated peer token is what the gateways present to each other (each
    /// keeps counting the other up); an empty token file is logged and the tokens in use stay.
    func testTokensRotateOnSIGHUPWithoutARestart() async throws {
        let directory = try scratchDirectory("epara-security-tokens")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try livePlan("pair", into: directory)
        let edgePort = HTTP.freePort(), peerPort = HTTP.freePort()
        let peers = try pairPeers(edgePort: edgePort, peerPort: peerPort, scheme: "http", in: directory)
        let clientFile = directory.appendingPathComponent("client.token"), peerFile = directory.appendingPathComponent("peer.token")
        try "client-one\n".write(to: clientFile, atomically: true, encoding: .utf8)
        try "peer-one\n".write(to: peerFile, atomically: true, encoding: .utf8)
        let common = [
            "--engine", "live", "--peers", peers.path, "--sync-interval", "200ms", "--client-token-file", clientFile.path,
            "--peer-token-file", peerFile.path,
        ]
        let edge = try Background.gateway([plan.path, "--node", "edge", "--listen", "127.0.0.1:\(edgePort)"] + common, name: "edge", in: directory)
        let peer = try Background.gateway([plan.path, "--node", "peer", "--listen", "127.0.0.1:\(peerPort)"] + common, name: "peer", in: directory)
        let edgeUp = await HTTP.waitUntilUp("http://127.0.0.1:\(edgePort)/healthz")
        let peerUp = await HTTP.waitUntilUp("http://127.0.0.1:\(peerPort)/healthz")
        XCTAssertTrue(edgeUp && peerUp)
        func status(_ token: String, port: Int, path: String = "/v1/state") async throws -> Int {
            try await HTTP.call("http://127.0.0.1:\(port)\(path)", headers: ["Authorization": "Bearer \(token)"]).status
        }
        func sees(_ port: Int, up node: String) async throws -> Bool {
            let state = try await HTTP.call("http://127.0.0.1:\(port)/v1/state", headers: ["Authorization": "Bearer client-two"])
            return (state.json["peers"] as? [[String: Any]])?.first { $0["node"] as? String == node }?["up"] as? Bool ?? false
        }
        let before = try await status("client-one", port: edgePort)
        XCTAssertEqual(before, 200)

        try "client-two\n".write(to: clientFile, atomically: true, encoding: .utf8)
        try "peer-two\n".write(to: peerFile, atomically: true, encoding: .utf8)
        kill(edge.process.processIdentifier, SIGHUP)
        kill(peer.process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        let old = try await status("client-one", port: edgePort), new = try await status("client-two", port: edgePort)
        XCTAssertEqual(old, 401, "the old client token is refused")
        XCTAssertEqual(new, 200, "the new one is accepted: \(edge.stderr)")
        let oldPeer = try await HTTP.call(
            "http://127.0.0.1:\(peerPort)/v1/peer/sync", method: "POST", body: #"{"node": "edge", "instances": []}"#,
            headers: ["Authorization": "Bearer peer-one"])
        XCTAssertEqual(oldPeer.status, 401, "the old peer token is refused")
        // Several sync periods under the new peer token: each still counts the other up.
        try await Task.sleep(for: .milliseconds(1200))
        let edgeSeesPeer = try await sees(edgePort, up: "peer"), peerSeesEdge = try await sees(peerPort, up: "edge")
        XCTAssertTrue(edgeSeesPeer && peerSeesEdge, "the gateways present the rotated peer token: \(edge.stderr)\n\(peer.stderr)")
        XCTAssertTrue(edge.stderr.contains("tokens reloaded"), edge.stderr)

        try "".write(to: clientFile, atomically: true, encoding: .utf8)
        kill(edge.process.processIdentifier, SIGHUP)
        try await Task.sleep(for: .milliseconds(500))
        XCTAssertTrue(edge.stderr.contains("tokens not reloaded; the ones in use stay"), edge.stderr)
        let kept = try await status("client-two", port: edgePort)
        XCTAssertEqual(kept, 200)
        XCTAssertEqual(edge.stop(), 0)
        XCTAssertEqual(peer.stop(), 0)
    }

    func testUnusableTLSFilesAreRefused() throws {
        let directory = try scratchDirectory("epara-security-files")
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = try livePlan("pair", into: directory)
        let base = ["serve", plan.path, "--engine", "live", "--node", "edge", "--listen", "127.0.0.1:\(HTTP.freePort())"]
        let missing = try Epara.run(base + ["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"], timeout: 10)
        XCTAssertEqual(missing.status, 66, missing.stderr)
        XCTAssertTrue(missing.stderr.hasPrefix("epara: cannot use the TLS files"), missing.stderr)
        XCTAssertFalse(missing.stderr.contains("listening"), missing.stderr)
        let half = try Epara.run(base + ["--tls-cert", "/nonexistent/cert.pem"], timeout: 10)
        XCTAssertEqual(half.status, 64)
        XCTAssertTrue(half.stderr.contains("--tls-cert and --tls-key go together"), half.stderr)
    }
}

/// An HTTPS client that trusts one CA and may present a certificate.
final class TLSClient: Sendable {
    let client: HTTPClient

    init(ca: String, certificate: String? = nil, key: String? = nil) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        if let certificate, let key {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(3), read: .seconds(5))
        // Each call on a new connection: a reloaded certificate shows on the next call.
        configuration.connectionPool = .init(idleTimeout: .milliseconds(1))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func call(_ url: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if method == .POST { request.body = .bytes(ByteBuffer(string: "{}")) }
        let response = try await client.execute(request, timeout: .seconds(10))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    func waitUntilUp(_ url: String, seconds: Double = 20) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if (try? await call(url))?.status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    func close() { try? client.syncShutdown() }
}
