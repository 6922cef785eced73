/// What a run observed about the present: demand as it arrived and which nodes are down.
/// The state store produces it; `plan --state` feeds it to placement.
public struct ObservedDemand: Hashable, Sendable, Codable {
    public var runId: String?
    /// Mean arrival rate per service over the windows read.
    public var demandPerS: [String: Double]
    /// The same, by the node where requests arrived.
    public var demandByOrigin: [String: [String: Double]]
    public var nodesDown: [String]
    public var windowsRead: Int

    public init(runId: String?, demandPerS: [String: Double], demandByOrigin: [String: [String: Double]], nodesDown: [String],
                windowsRead: Int) {
        self.runId = runId
        self.demandPerS = demandPerS
        self.demandByOrigin = demandByOrigin
        self.nodesDown = nodesDown
        self.windowsRead = windowsRead
    }

    public static let empty = ObservedDemand(runId: nil, demandPerS: [:], demandByOrigin: [:], nodesDown: [], windowsRead: 0)
}
