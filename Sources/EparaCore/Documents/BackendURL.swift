/// A model server's base URL, taken apart once: `http://host:port/prefix` or `https://…`. The
/// gateways connect to `host:port` and put `prefix` before every path they call.
public struct BackendURL: Hashable, Sendable {
    public var tls: Bool
    /// A name or an address; an IPv6 address without its brackets.
    public var host: String
    public var port: Int
    /// What comes before the API's paths (`/serving` in `http://h:8000/serving`); empty for none.
    public var pathPrefix: String

    /// The URL's parts, or nil when it is not `http[s]://host[:port][/path]` (no credentials,
    /// query or fragment: a base URL names a server, not a request).
    /// `text` without the slashes that end it (`http://h:8000/` names the same server).
    public static func withoutTrailingSlashes(_ text: String) -> String {
        var text = text
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    public init?(_ text: String) {
        let tls: Bool
        let rest: Substring
        if text.hasPrefix("http://") {
            (tls, rest) = (false, text.dropFirst(7))
        } else if text.hasPrefix("https://") {
            (tls, rest) = (true, text.dropFirst(8))
        } else {
            return nil
        }
        guard !rest.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" || $0 == " " }) else { return nil }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        let path = Self.withoutTrailingSlashes(String(rest[slash...]))
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            authority = authority[authority.index(after: close)...]
            if !authority.isEmpty {
                guard authority.hasPrefix(":") else { return nil }
                portText = authority.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        let port: Int
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { return nil }
            port = value
        } else {
            port = tls ? 443 : 80
        }
        self.tls = tls
        self.host = String(host)
        self.port = port
        self.pathPrefix = path
    }

    /// The `Host` header's value: the host (an IPv6 address in brackets), with the port unless it
    /// is the scheme's own.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (tls ? 443 : 80) ? name : "\(name):\(port)"
    }
}
