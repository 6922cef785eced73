/// One request (or one video frame) on its way through the cluster. Small and copied by value:
/// the simulator holds millions of them in flight over a run but never all at once.
public struct Request: Sendable {
    /// Sequence number in arrival order, unique within a run.
    public var id: Int
    public var service: ServiceIndex
    /// Stream within the service (frequency-sensitive services); nil for a request of no stream.
    public var stream: Int32?
    /// Node where the request arrived.
    public var origin: NodeIndex
    /// Instance it is queued at or heading to; nil before dispatch.
    public var instance: InstanceIndex?
    /// Times the request was forwarded from one node's handler to another's.
    public var hops: Int16
    public var inputTokens: Int32
    public var outputTokens: Int32
    /// Seconds since the start of the run.
    public var arrival: Double
    /// Absolute time by which the answer (an LLM's first token) must be back at the origin.
    public var deadline: Double
    /// Network time of the answer back to the origin, seconds (set at dispatch).
    public var returnS: Double
    /// LLM: when the first token was produced (NaN before).
    public var firstToken: Double

    public init(
        id: Int, service: ServiceIndex, stream: Int32? = nil, origin: NodeIndex, arrival: Double, deadline: Double,
        inputTokens: Int32 = 0, outputTokens: Int32 = 0
    ) {
        self.id = id
        self.service = service
        self.stream = stream
        self.origin = origin
        self.instance = nil
        self.hops = 0
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.arrival = arrival
        self.deadline = deadline
        self.returnS = 0
        self.firstToken = .nan
    }

    /// The instance a dispatched request is at (only called where one was chosen).
    @inline(__always) var at: InstanceIndex { instance.unsafelyUnwrapped }

    /// LLM: arrival to its first token back at the origin, seconds (NaN before the first token).
    public var timeToFirstTokenS: Double { firstToken + returnS - arrival }

    /// LLM: mean time per output token after the first, for an answer back at the origin at
    /// `end`; nil for an answer of one token.
    public func timePerOutputTokenS(endingAt end: Double) -> Double? {
        outputTokens > 1 ? (end - returnS - firstToken) / Double(outputTokens - 1) : nil
    }
}
