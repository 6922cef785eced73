import Foundation
import NIOCore

/// What the emulated backend answers an OpenAI-compatible client for an LLM service: as many
/// tokens as the request asked for (`max_tokens`, else 256) of filler text, one word a token, in
/// OpenAI's shapes — a whole `chat.completion` (or `text_completion`) with `usage`, or a stream
/// of one chunk per token, the last with `finish_reason`, a usage chunk when the client asked
/// (`stream_options.include_usage`), then `[DONE]`. A dry run thus looks like a model server to
/// the client's own code.
struct EmulatedCompletion {
    var id: String
    var created: Int
    var model: String
    var api: ClientAPI
    var promptTokens: Int
    var tokens: Int
    var includeUsage: Bool

    init(id: String, created: Int, model: String, api: ClientAPI, promptTokens: Int, tokens: Int, includeUsage: Bool) {
        self.id = id
        self.created = created
        self.model = model
        self.api = api
        self.promptTokens = promptTokens
        self.tokens = tokens
        self.includeUsage = includeUsage
    }

    /// The answer to request `id`, parsed as `parsed`.
    init(_ parsed: OpenAIRequest, api: ClientAPI, id: Int) {
        self.init(
            id: "epara-\(id)", created: Int(Date().timeIntervalSince1970), model: parsed.model, api: api,
            promptTokens: Int(parsed.inputTokens), tokens: Int(max(parsed.outputTokens, 1)),
            includeUsage: CompletionStream.wantsUsage(parsed.body))
    }

    static let words = ["This", " answer", " comes", " from", " epara's", " emulated", " backend", "."]

    static func word(_ k: Int) -> String { words[k % words.count] }

    var text: String { (0..<tokens).map(Self.word).joined() }

    var usage: [String: Any] { ["prompt_tokens": promptTokens, "completion_tokens": tokens, "total_tokens": promptTokens + tokens] }

    var object: String { api == .chat ? "chat.completion" : "text_completion" }

    /// The whole answer.
    func body() -> [String: Any] {
        let choice: [String: Any] =
            api == .chat
            ? ["index": 0, "message": ["role": "assistant", "content": text], "finish_reason": "stop"]
            : ["index": 0, "text": text, "finish_reason": "stop"]
        return ["id": id, "object": object, "created": created, "model": model, "choices": [choice], "usage": usage]
    }

    /// The event carrying token `k` (counted from 0; the first also says the role, in a chat).
    func tokenEvent(_ k: Int) -> ByteBuffer {
        var delta: [String: Any] = ["content": Self.word(k)]
        if k == 0 { delta["role"] = "assistant" }
        let choice: [String: Any] = api == .chat ? ["index": 0, "delta": delta] : ["index": 0, "text": Self.word(k)]
        return event(chunk(choices: [choice]))
    }

    /// The events after the last token: the finish reason, the usage when asked, `[DONE]`.
    func closingEvents() -> ByteBuffer {
        let choice: [String: Any] =
            api == .chat ? ["index": 0, "delta": [String: Any](), "finish_reason": "stop"] : ["index": 0, "text": "", "finish_reason": "stop"]
        var out = event(chunk(choices: [choice]))
        if includeUsage {
            var last = chunk(choices: [])
            last["usage"] = usage
            var usageEvent = event(last)
            out.writeBuffer(&usageEvent)
        }
        out.writeString("data: [DONE]\n\n")
        return out
    }

    /// Every event at once (a stream the engine had no first token for).
    func allEvents() -> ByteBuffer {
        var out = ByteBuffer()
        for k in 0..<tokens {
            var e = tokenEvent(k)
            out.writeBuffer(&e)
        }
        var closing = closingEvents()
        out.writeBuffer(&closing)
        return out
    }

    private func chunk(choices: [[String: Any]]) -> [String: Any] {
        ["id": id, "object": api == .chat ? "chat.completion.chunk" : "text_completion", "created": created, "model": model, "choices": choices]
    }

    private func event(_ fields: [String: Any]) -> ByteBuffer {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        var out = ByteBuffer()
        out.writeString("data: ")
        out.writeBytes(data)
        out.writeString("\n\n")
        return out
    }
}
