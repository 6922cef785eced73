/// What `epara profile` measures, and what it calls the result.
public struct ProfileOptions: Sendable {
    public enum API: String, Sendable, CaseIterable {
        /// OpenAI-compatible LLM servers (vLLM, llama.cpp's server, SGLang, Ollama).
        case openai
        /// KServe v2 / Open Inference Protocol servers (Triton, MLServer).
        case kserveV2 = "kserve-v2"
    }

    /// The server's base URL (`http://127.0.0.1:8000`).
    public var url: String
    public var api: API
    /// The model's name at the server.
    public var serverModel: String
    /// The catalog's names for what was measured: the profile is written for this model on
    /// this device type.
    public var model: String
    public var device: String
    /// Requests run together for each point of the curve (1, 2, 4, … up to the server's
    /// concurrency).
    public var concurrency: [Int]
    /// Prompt lengths of the prefill measurements, in tokens as the server counts them
    /// (the prompt is made of a repeated word; the server's usage gives the real count).
    public var promptTokens: [Int]
    /// Output tokens of each decode measurement.
    public var decodeTokens: Int
    /// Measurements per point; the median is kept.
    public var repeats: Int
    /// KServe v2: the inference request's body (its inputs), sent as it is.
    public var kserveBody: [UInt8]?
    public var timeoutS: Double

    public init(
        url: String, api: API, serverModel: String, model: String, device: String, concurrency: [Int] = [1, 2, 4],
        promptTokens: [Int] = [64, 256, 512, 1024], decodeTokens: Int = 48, repeats: Int = 3, kserveBody: [UInt8]? = nil,
        timeoutS: Double = 120
    ) {
        self.url = url.hasSuffix("/") ? String(url.dropLast()) : url
        self.api = api
        self.serverModel = serverModel
        self.model = model
        self.device = device
        self.concurrency = concurrency
        self.promptTokens = promptTokens
        self.decodeTokens = decodeTokens
        self.repeats = repeats
        self.kserveBody = kserveBody
        self.timeoutS = timeoutS
    }

    /// Powers of two up to `limit`, and `limit` itself.
    public static func concurrencyLevels(upTo limit: Int) -> [Int] {
        var levels: [Int] = []
        var k = 1
        while k < limit {
            levels.append(k)
            k *= 2
        }
        levels.append(max(limit, 1))
        return levels
    }
}
