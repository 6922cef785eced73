import Hummingbird

/// Bearer tokens: clients present theirs on every route but `/healthz` and `/readyz` (open for
/// load balancers and kubelet's probes); other gateways present the peer token on `/v1/peer/*` (the client token when
/// no peer token is set, so that a client token never leaves the peer routes open). The
/// comparison takes the same time whatever the guess.
public struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    let client: [UInt8]?
    let peer: [UInt8]?

    public init(clientToken: String?, peerToken: String?) {
        client = clientToken.map { Array("Bearer \($0)".utf8) }
        peer = (peerToken ?? clientToken).map { Array("Bearer \($0)".utf8) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/healthz" || path == "/readyz" { return try await next(request, context) }
        let isPeer = path.hasPrefix("/v1/peer/")
        guard let expected = isPeer ? peer : client else { return try await next(request, context) }
        let presented = Array((request.headers[.authorization] ?? "").utf8)
        var difference = presented.count == expected.count ? 0 : 1
        for (i, byte) in expected.enumerated() { difference |= Int(byte ^ (i < presented.count ? presented[i] : 0)) }
        guard difference == 0 else {
            let who = isPeer ? "peer" : "client"
            return Gateway.json(.unauthorized, ["error": "missing or wrong \(who) bearer token (Authorization: Bearer <token>)"])
        }
        return try await next(request, context)
    }
}
