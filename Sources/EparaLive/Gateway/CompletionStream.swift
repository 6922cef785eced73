import EparaCore
import Foundation
import NIOCore

/// An OpenAI-compatible server's streamed answer (server-sent events), read as it comes: the
/// gateway always asks an LLM server for a stream, so it sees the first token when the server
/// sends it and counts the tokens after. For a client that asked for a stream, each event is
/// passed on (less the usage chunk the gateway asked for and the client did not); for one that
/// did not, the events are put back together into the one answer the server would have sent.
struct CompletionStream {
    let api: ClientAPI
    /// The client asked for `stream_options.include_usage` itself.
    let clientWantsUsage: Bool
    private var events = ServerSentEvents()
    private var id: String?
    private var model: String?
    private var created: Int?
    private var fingerprint: String?
    private var texts: [Int: String] = [:]
    private var finishReasons: [Int: String] = [:]
    private var usage: [String: Any]?
    /// Events that carried text: the token count when the server sends no usage.
    private(set) var textEvents = 0
    private(set) var done = false

    init(api: ClientAPI, clientWantsUsage: Bool) {
        self.api = api
        self.clientWantsUsage = clientWantsUsage
    }

    /// Output tokens: as the server's usage says, else one per event that carried text.
    var outputTokens: Int32 {
        if let tokens = usage?["completion_tokens"] as? Int { return Int32(clamping: tokens) }
        return Int32(clamping: textEvents)
    }

    /// Takes the next bytes of the stream; returns the whole events among them to pass on to a
    /// streaming client, as they came.
    mutating func take(_ chunk: ByteBuffer) -> ByteBuffer {
        var out = ByteBuffer()
        for event in events.take(chunk.readableBytesView) where read(event.data) { out.writeBytes(event.raw) }
        return out
    }

    /// Reads one event's data; false when it is not to be passed on (a usage chunk the client
    /// did not ask for).
    private mutating func read(_ data: String) -> Bool {
        if data.isEmpty { return true }
        if data == "[DONE]" {
            done = true
            return true
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any] else { return true }
        id = id ?? object["id"] as? String
        model = model ?? object["model"] as? String
        created = created ?? object["created"] as? Int
        fingerprint = fingerprint ?? object["system_fingerprint"] as? String
        if let usage = object["usage"] as? [String: Any] { self.usage = usage }
        let choices = object["choices"] as? [[String: Any]] ?? []
        var carriedText = false
        for choice in choices {
            let index = choice["index"] as? Int ?? 0
            let text: String? =
                api == .chat ? (choice["delta"] as? [String: Any])?["content"] as? String : choice["text"] as? String
            if let text, !text.isEmpty {
                texts[index, default: ""] += text
                carriedText = true
            }
            if let reason = choice["finish_reason"] as? String { finishReasons[index] = reason }
        }
        if carriedText { textEvents += 1 }
        return !(choices.isEmpty && object["usage"] != nil && !clientWantsUsage)
    }

    /// The answer as the server sends it without a stream (`chat.completion` or `text_completion`).
    /// A server that sent no usage (some ignore `stream_options`) gets one from the tokens counted
    /// and the gateway's estimate of the prompt (`promptTokens`).
    func assembled(promptTokens: Int32 = 0) -> ByteBuffer {
        let indices = Set(texts.keys).union(finishReasons.keys).sorted()
        let choices: [[String: Any]] = (indices.isEmpty ? [0] : indices).map { index in
            let text = texts[index] ?? ""
            var choice: [String: Any] = ["index": index, "finish_reason": finishReasons[index] ?? NSNull()]
            if api == .chat {
                choice["message"] = ["role": "assistant", "content": text]
            } else {
                choice["text"] = text
            }
            return choice
        }
        var object: [String: Any] = [
            "id": id ?? "", "object": api == .chat ? "chat.completion" : "text_completion", "created": created ?? 0,
            "model": model ?? "", "choices": choices,
        ]
        object["usage"] =
            usage ?? [
                "prompt_tokens": Int(promptTokens), "completion_tokens": textEvents, "total_tokens": Int(promptTokens) + textEvents,
            ]
        if let fingerprint { object["system_fingerprint"] = fingerprint }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    /// Whether a client's OpenAI body asks for the usage chunk of a stream.
    static func wantsUsage(_ body: ByteBuffer) -> Bool {
        guard let fields = JSONFields.scan(Array(body.readableBytesView)),
            let options = fields.first(where: { $0.key == "stream_options" })?.raw,
            let inner = JSONFields.scan(Array(options)),
            let include = inner.first(where: { $0.key == "include_usage" })?.raw
        else { return false }
        return String(decoding: include, as: UTF8.self) == "true"
    }
}
