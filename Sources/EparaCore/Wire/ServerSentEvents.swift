/// Server-sent events (`text/event-stream`) split out of a byte stream as it comes, in whatever
/// pieces the network delivers: each event is its raw bytes (to pass on as they came) and its
/// `data:` lines joined. OpenAI-compatible servers stream completions this way; the gateway and
/// `epara profile` read them.
public struct ServerSentEvents: Sendable {
    public struct Event: Sendable {
        /// The event as it came, its blank line included.
        public var raw: ArraySlice<UInt8>
        /// Its `data:` lines' values, joined by newlines ("" when it has none).
        public var data: String
    }

    private var pending: [UInt8] = []

    public init() {}

    /// The events completed by `bytes`; an incomplete one waits for the next bytes.
    public mutating func take(_ bytes: some Sequence<UInt8>) -> [Event] {
        pending.append(contentsOf: bytes)
        var events: [Event] = []
        var start = 0
        var i = 0
        while i + 1 < pending.count {
            // An event ends at a blank line: "\n\n", or "\r\n\r\n" (a CR before the second LF).
            let crlf = pending[i + 1] == 0x0D && i + 2 < pending.count && pending[i + 2] == 0x0A
            if pending[i] == 0x0A, pending[i + 1] == 0x0A || crlf {
                let end = crlf ? i + 3 : i + 2
                let raw = pending[start..<end]
                events.append(Event(raw: raw, data: Self.data(of: raw)))
                start = end
                i = end
            } else {
                i += 1
            }
        }
        if start > 0 { pending.removeFirst(start) }
        return events
    }

    static func data(of raw: ArraySlice<UInt8>) -> String {
        var lines: [Substring] = []
        for line in String(decoding: raw, as: UTF8.self).split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
        where line.hasPrefix("data:") {
            let value = line.dropFirst(5)
            lines.append(value.first == " " ? value.dropFirst() : value)
        }
        return lines.joined(separator: "\n")
    }
}
