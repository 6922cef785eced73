/// EPARA's two axes and its four category labels, spelled here once for every stage.
///
/// A Services document may declare either axis by its name (`latency-sensitive`, `multi-gpu`)
/// or its short word (`latency`, `multi`); a label joins the request axis's word and the
/// resource axis's name (`latency/single-gpu`).
public protocol CategoryAxis: CaseIterable, RawRepresentable<String>, Sendable {
    /// The short word: the request axis's in labels, either axis's in a Services document.
    var word: String { get }
}

extension CategoryAxis {
    /// What a Services document may write: every name, then every short word.
    public static var spellings: [String] { allCases.map(\.rawValue) + allCases.map(\.word) }

    /// The category spelled `text` (its name or its short word).
    public init?(spelling text: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue == text || $0.word == text }) else { return nil }
        self = match
    }
}

/// EPARA's request-level axis.
public enum RequestCategory: String, Codable, Hashable, Sendable, CaseIterable, CategoryAxis {
    case latency = "latency-sensitive"
    case frequency = "frequency-sensitive"

    public var word: String {
        switch self {
        case .latency: "latency"
        case .frequency: "frequency"
        }
    }
}

/// EPARA's service-level axis.
public enum ResourceCategory: String, Codable, Hashable, Sendable, CaseIterable, CategoryAxis {
    case singleGPU = "single-gpu"
    case multiGPU = "multi-gpu"

    public var word: String {
        switch self {
        case .singleGPU: "single"
        case .multiGPU: "multi"
        }
    }
}

/// The labels documents carry for EPARA's four categories (`latency/single-gpu`, …).
public enum CategoryLabel {
    public static func of(_ request: RequestCategory, _ resource: ResourceCategory) -> String { "\(request.word)/\(resource.rawValue)" }

    /// The four, in the order classify's summary and the reports list them.
    public static let all = RequestCategory.allCases.flatMap { request in ResourceCategory.allCases.map { of(request, $0) } }

    /// classify's summary counts the services no configuration of the cluster serves under it.
    public static let unservable = "unservable"

    /// The request axis a label names.
    public static func request(of label: String) -> RequestCategory? {
        RequestCategory.allCases.first { label.hasPrefix($0.word + "/") }
    }
}
