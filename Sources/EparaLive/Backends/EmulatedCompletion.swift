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

    var usage: CompletionBody.Usage { CompletionBody.Usage(promptTokens: promptTokens, completionTokens: tokens) }

    var object: String { api == .chat ? "chat.completion" : "text_completion" }

    /// The whole answer.
    func body() -> CompletionBody {
        let choice =
            api == .chat
            ? CompletionBody.Choice(index: 0, message: .init(role: "assistant", content: text), finishReason: "stop")
            : CompletionBody.Choice(index: 0, text: text, finishReason: "stop")
        return CompletionBody(id: id, object: object, created: created, model: model, choices: [choice], usage: usage)
    }

    /// The event carrying token `k` (counted from 0; the first also says the role, in a chat).
    func tokenEvent(_ k: Int) -> ByteBuffer {
        let choice =
            api == .chat
            ? CompletionBody.Choice(index: 0, delta: .init(role: k == 0 ? "assistant" : nil, content: Self.word(k)))
            : CompletionBody.Choice(index: 0, text: Self.word(k))
        return event(chunk(choices: [choice]))
    }

    /// The events after the last token: the finish reason, the usage when asked, `[DONE]`.
    func closingEvents() -> ByteBuffer {
        let choice =
            api == .chat
            ? CompletionBody.Choice(index: 0, delta: .init(), finishReason: "stop") : CompletionBody.Choice(index: 0, text: "", finishReason: "stop")
        var out = event(chunk(choices: [choice]))
        if includeUsage {
            var last = chunk(choices: [])
            last.usage = usage
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

    private func chunk(choices: [CompletionBody.Choice]) -> CompletionBody {
        CompletionBody(id: id, object: api == .chat ? "chat.completion.chunk" : "text_completion", created: created, model: model, choices: choices)
    }

    private func event(_ body: CompletionBody) -> ByteBuffer {
        let data = (try? Gateway.answerEncoder.encode(body)) ?? Data("{}".utf8)
        var out = ByteBuffer()
        out.writeString("data: ")
        out.writeBytes(data)
        out.writeString("\n\n")
        return out
    }
}

/// OpenAI's completion, whole (`chat.completion`, `text_completion`) or a stream's chunk: a
/// chat's choices carry a message or a delta, a text completion's their text.
struct CompletionBody: Encodable {
    struct Message: Encodable {
        var role: String?
        var content: String?
    }

    struct Choice: Encodable {
        var index: Int
        var message: Message?
        var delta: Message?
        var text: String?
        var finishReason: String?

        init(index: Int, message: Message? = nil, delta: Message? = nil, text: String? = nil, finishReason: String? = nil) {
            self.index = index
            self.message = message
            self.delta = delta
            self.text = text
            self.finishReason = finishReason
        }
    }

    struct Usage: Encodable {
        var promptTokens: Int
        var completionTokens: Int
        var totalTokens: Int

        init(promptTokens: Int, completionTokens: Int) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            totalTokens = promptTokens + completionTokens
        }
    }

    var id: String
    var object: String
    var created: Int
    var model: String
    var choices: [Choice]
    var usage: Usage?
}
