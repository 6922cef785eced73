/// The placement policies a plan can be made with (EPARA and the baselines).
public enum Policy: String, CaseIterable, Codable, Sendable {
    case epara
    case local
    case roundRobin = "round-robin"
    case alpaserve
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
