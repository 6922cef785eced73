import HTTPTypes

// The header names the gateway reads and writes, made once: `HTTPField.Name(_:)` validates its
// text, which a route should not redo (and force-unwrap) on every request.
extension HTTPField.Name {
    /// A forwarded request, base64 JSON (`ForwardedRequest`), from another gateway.
    static let eparaForward = HTTPField.Name(PeerWire.forwardHeader)!
    /// The client API a forwarded request's body speaks.
    static let eparaAPI = HTTPField.Name(PeerWire.apiHeader)!
    /// "1" when a forwarded request's client asked for a stream.
    static let eparaStream = HTTPField.Name(PeerWire.streamHeader)!
    /// A forwarded request's output tokens.
    static let eparaOutputTokens = HTTPField.Name(PeerWire.tokensHeader)!
    /// How a request ended (`completed_in_slo`, …), on every answer.
    static let eparaOutcome = HTTPField.Name(PeerWire.outcomeHeader)!
    /// Why a forwarded request was dropped or failed.
    static let eparaReason = HTTPField.Name(PeerWire.reasonHeader)!
    /// The model server's status, on a forwarded request's answer.
    static let eparaReplyStatus = HTTPField.Name(PeerWire.replyStatusHeader)!
    /// The gateway's latency for a client API's request, milliseconds.
    static let eparaLatencyMs = HTTPField.Name("epara-latency-ms")!
    /// The Open Inference Protocol's binary extension: the length of the JSON header.
    static let inferenceHeaderContentLength = HTTPField.Name("Inference-Header-Content-Length")!
}
