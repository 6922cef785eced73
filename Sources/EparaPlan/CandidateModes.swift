/// A candidate's parallel modes as bits, not a list of strings: millions of candidates are made
/// at fleet scale, and a list is a heap object each (memory, and a retain on every copy).
struct CandidateModes: OptionSet, Hashable {
    let rawValue: UInt8

    static let batching = CandidateModes(rawValue: 1 << 0)
    static let modelParallel = CandidateModes(rawValue: 1 << 1)
    static let tensorParallel = CandidateModes(rawValue: 1 << 2)
    static let pipelineParallel = CandidateModes(rawValue: 1 << 3)
    static let gpuSharing = CandidateModes(rawValue: 1 << 4)
    static let framePacking = CandidateModes(rawValue: 1 << 5)

    /// Each mode with its name in a plan, in the order a plan lists them (BS, MP, TP, PP, MT, MF).
    static let named: [(CandidateModes, String)] = [
        (.batching, "BS"), (.modelParallel, "MP"), (.tensorParallel, "TP"), (.pipelineParallel, "PP"), (.gpuSharing, "MT"),
        (.framePacking, "MF"),
    ]

    var names: [String] { Self.named.compactMap { contains($0.0) ? $0.1 : nil } }
}
