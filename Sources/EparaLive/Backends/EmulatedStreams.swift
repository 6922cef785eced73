import EparaServe
import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// How an emulated stream learns that its request ended: the rest of its tokens go out at once,
/// then its closing events.
final class EmulatedStreamEnd: Sendable {
    private let ended = NIOLockedValueBox(false)
    private let signal: AsyncStream<Void>.Continuation
    let waiting: AsyncStream<Void>

    init() { (waiting, signal) = AsyncStream<Void>.makeStream() }

    var hasEnded: Bool { ended.withLockedValue { $0 } }

    func end() {
        ended.withLockedValue { $0 = true }
        signal.yield()
        signal.finish()
    }
}

// The emulated backend's LLM answers, streamed as a model server streams them: the client's
// answer starts at the request's first token (when the core's chunked prefill produces it), then
// a token about every decode step (the latency model's step at the instance's batch, scaled by
// the backend's time_scale), the rest at once when the core says the answer is complete.
extension LiveEngine {
    func emulatedFirstToken(_ s: EngineState, _ r: Request, paceS: Double) {
        guard let held = s.inFlight[r.id], let payload = held.payload, payload.stream, payload.api != .native, !held.fromPeer,
            let instance = r.instance, !target(s, instance: instance).isReal
        else { return }
        let completion = EmulatedCompletion(
            id: "epara-\(r.id)", created: Int(Date().timeIntervalSince1970), model: s.deployment.services[r.service].name,
            api: payload.api, promptTokens: Int(r.inputTokens), tokens: Int(max(r.outputTokens, 1)),
            includeUsage: CompletionStream.wantsUsage(payload.body))
        let pace = paceS * target(s, instance: instance).timeScale
        let (out, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let end = EmulatedStreamEnd()
        s.inFlight[r.id]?.emulatedStream = end
        answerEarly(s, r, Reply(status: 200, contentType: "text/event-stream", first: completion.tokenEvent(0), rest: out))
        spawn(
            s,
            {
                for k in 1..<max(completion.tokens, 1) {
                    if !end.hasEnded { await Self.sleep(pace) }
                    continuation.yield(completion.tokenEvent(k))
                }
                for await _ in end.waiting {}
                continuation.yield(completion.closingEvents())
                continuation.finish()
            }, then: { _, _ in })
    }
}
