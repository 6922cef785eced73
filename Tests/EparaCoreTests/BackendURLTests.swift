import XCTest

@testable import EparaCore

final class BackendURLTests: XCTestCase {
    func testTheServerAndThePathPrefixAreTakenApart() throws {
        let plain = try XCTUnwrap(BackendURL("http://10.0.0.7:8000"))
        XCTAssertEqual([plain.host, "\(plain.port)", plain.pathPrefix, "\(plain.tls)"], ["10.0.0.7", "8000", "", "false"])
        XCTAssertEqual(plain.hostHeader, "10.0.0.7:8000")

        let defaults = try XCTUnwrap(BackendURL("https://models.example/serving/"))
        XCTAssertEqual([defaults.host, "\(defaults.port)", defaults.pathPrefix, "\(defaults.tls)"], ["models.example", "443", "/serving", "true"])
        XCTAssertEqual(defaults.hostHeader, "models.example", "the scheme's own port is left out of Host")
        XCTAssertEqual(BackendURL("http://h")?.port, 80)

        let v6 = try XCTUnwrap(BackendURL("http://[::1]:9000"))
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.hostHeader, "[::1]:9000")
    }

    func testWhatDoesNotNameAServerIsRefused() {
        for text in [
            "ftp://h", "h:8000", "http://", "http://:8000", "http://h:0", "http://h:70000", "http://h:port", "http://u:p@h",
            "http://h/x?y=1", "http://h#top", "http://[::1", "http://[::1]8000", "http://h p",
        ] {
            XCTAssertNil(BackendURL(text), text)
        }
    }
}
