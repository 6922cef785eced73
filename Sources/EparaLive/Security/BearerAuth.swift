import Hummingbird

/// Bearer tokens: clients present theirs on every route but the health probes (`ClientPaths.open`);
/// other gateways present the peer token on `/v1/peer/*` (the client token when
/// no peer token is set, so that a client token never leaves the peer routes open). The
/// comparison takes the same time whatever the guess. The tokens are read on every request:
/// SIGHUP replaces them (`GatewayTokens`).
public struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    let tokens: GatewayTokens

    public init(tokens: GatewayTokens) { self.tokens = tokens }

    public init(clientToken: String?, peerToken: String?) {
        tokens = GatewayTokens(client: clientToken, peer: peerToken)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if ClientPaths.open.contains(path) { return try await next(request, context) }
        let isPeer = path.hasPrefix("/v1/peer/")
        let current = tokens.current
        guard let expected = isPeer ? current.peer : current.client else { return try await next(request, context) }
        let presented = Array((request.headers[.authorization] ?? "").utf8)
        var difference = presented.count == expected.count ? 0 : 1
        for (i, byte) in expected.enumerated() { difference |= Int(byte ^ (i < presented.count ? presented[i] : 0)) }
        guard difference == 0 else {
            let message = "missing or wrong \(isPeer ? "peer" : "client") bearer token (Authorization: Bearer <token>)"
            // Each client surface answers in its own error shape: OpenAI's clients read an error
            // object, the others (native, Open Inference Protocol) `{"error": message}`.
            if ClientPaths.isOpenAI(path) {
                return Gateway.openAIError(.unauthorized, message, type: "invalid_request_error", code: "invalid_api_key")
            }
            return Gateway.errorAnswer(.unauthorized, message)
        }
        return try await next(request, context)
    }
}

/// Which routes answer what way before a token is checked.
enum ClientPaths {
    /// Probes without a token: kubelet's and load balancers' (and the Open Inference Protocol's
    /// health routes, which its clients and KServe probe the same way).
    static let open: Set<String> = ["/healthz", "/readyz", "/v2/health/live", "/v2/health/ready"]

    /// Routes whose clients read OpenAI's error object.
    static func isOpenAI(_ path: String) -> Bool {
        path == "/v1/chat/completions" || path == "/v1/completions" || path == "/v1/models" || path.hasPrefix("/v1/models/")
    }
}
