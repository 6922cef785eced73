import Hummingbird

/// Clients must present `Authorization: Bearer <token>`; `/healthz` stays open for load
/// balancers and probes. The comparison takes the same time whatever the guess.
public struct BearerAuth<Context: RequestContext>: RouterMiddleware {
    let expected: [UInt8]

    public init(token: String) { expected = Array("Bearer \(token)".utf8) }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/healthz" { return try await next(request, context) }
        let presented = Array((request.headers[.authorization] ?? "").utf8)
        var difference = presented.count == expected.count ? 0 : 1
        for (i, byte) in expected.enumerated() { difference |= Int(byte ^ (i < presented.count ? presented[i] : 0)) }
        guard difference == 0 else {
            return Gateway.json(.unauthorized, ["error": "missing or wrong bearer token (Authorization: Bearer <token>)"])
        }
        return try await next(request, context)
    }
}
