/// The placement policies a plan can be made with (EPARA and the baselines).
public enum Policy: String, CaseIterable, Codable, Sendable {
    case epara
    case local
    case roundRobin = "round-robin"
    case alpaserve

    /// A name it does not know is an error that lists the ones it does (located by the reader).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let policy = Policy(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "unknown policy '\(name)' (expected one of \(Policy.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = policy
    }
}

/// How the request handler picks an instance for a request, in either engine.
public enum DispatchMode: String, Sendable, CaseIterable {
    /// EPARA: the instance with the best estimated completion from the last synced state.
    case bestCompletion = "best-completion"
    /// Follow the plan's routing weights (the baselines, and EPARA without information sync).
    case planWeights = "plan-weights"
    /// EPARA's handler kept to the node where the request arrives: the instance there with the
    /// best estimated completion (the `local` baseline), never forwarded.
    case local
}

/// Parts of EPARA an ablation turns off, to measure what each is worth.
public enum Ablation: String, CaseIterable, Codable, Sendable, Comparable {
    /// Category-driven allocation: no frame packing, single devices and model-parallel groups
    /// for every service alike, one greedy stage instead of priority / single / multi-device.
    case categories
    /// Model-parallel groups: every instance on one device.
    case modelParallel = "model-parallel"
    /// The burst phase: no replicas in spare memory beyond what covers the mean demand.
    case burstReplicas = "burst-replicas"

    public static func < (a: Ablation, b: Ablation) -> Bool { a.rawValue < b.rawValue }
}
