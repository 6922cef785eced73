import EparaCore

/// Where one instance's requests go.
public struct BackendTarget: Sendable, Equatable {
    public var kind: BackendKind
    /// Base URL of the model server (`http://host:port`), nil for the emulated backend.
    public private(set) var url: String?
    /// `url` taken apart, once (every call reads it); nil when there is none or it names no server.
    public private(set) var endpoint: BackendURL?
    /// The model's name at the server (default: the service's name).
    public var model: String
    /// Longest wait for the server's first answer before the call counts as failed.
    public var timeoutS: Double
    /// Emulated backend: multiplies the latency model's time (0 answers at once, which leaves
    /// the gateway's own cost to measure).
    public var timeScale: Double
    /// Requests the model server runs at once (vLLM `--max-num-seqs`, llama.cpp `--parallel`,
    /// Triton's dynamic batch): the gateway keeps up to this many calls open to it and queues
    /// the rest by deadline.
    public var maxConcurrency: Int

    /// Calls kept open to a server whose Backends entry does not say: enough for vLLM's and
    /// SGLang's batches on a small GPU (a server running fewer queues the rest itself, which
    /// the gateway sees as a slower first answer); KServe v2 servers batch images in smaller
    /// groups.
    public static func defaultConcurrency(_ kind: BackendKind) -> Int {
        switch kind {
        case .openai: 64
        case .kserveV2: 16
        case .emulated: 1
        }
    }

    public init(
        kind: BackendKind, url: String? = nil, model: String, timeoutS: Double = 60, timeScale: Double = 1, maxConcurrency: Int? = nil
    ) {
        self.kind = kind
        self.url = url.map(BackendURL.withoutTrailingSlashes)
        endpoint = self.url.flatMap(BackendURL.init)
        self.model = model
        self.timeoutS = timeoutS
        self.timeScale = timeScale
        self.maxConcurrency = maxConcurrency ?? Self.defaultConcurrency(kind)
    }

    public var isReal: Bool { kind != .emulated }
}
