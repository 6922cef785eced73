import Foundation

/// Certificates for the TLS tests, made by `openssl` in a scratch directory: a CA and, signed by
/// it, a gateway certificate (for 127.0.0.1 and localhost, good as server and as client) and a
/// client certificate; a second CA with a gateway certificate of its own (the reload test); and
/// a rogue CA with a client certificate no gateway trusts.
struct TestCertificates {
    let directory: URL

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func make(in directory: URL) throws -> TestCertificates {
        let made = TestCertificates(directory: directory)
        for ca in ["ca", "ca2", "rogue-ca"] {
            try made.openssl([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(ca).key", "-out", "\(ca).pem", "-days", "2", "-subj",
                "/CN=epara test \(ca)",
            ])
        }
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n".write(
            to: directory.appendingPathComponent("leaf.ext"), atomically: true, encoding: .utf8)
        for (leaf, ca) in [("gw", "ca"), ("client", "ca"), ("gw2", "ca2"), ("rogue", "rogue-ca")] {
            try made.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(leaf).key", "-out", "\(leaf).csr", "-subj", "/CN=\(leaf)"])
            try made.openssl([
                "x509", "-req", "-in", "\(leaf).csr", "-CA", "\(ca).pem", "-CAkey", "\(ca).key", "-CAcreateserial", "-out", "\(leaf).pem",
                "-days", "2", "-extfile", "leaf.ext",
            ])
        }
        return made
    }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                message: "openssl \(arguments.joined(separator: " ")) failed (apt-get install openssl): \(String(decoding: message, as: UTF8.self))")
        }
    }
}
