import EparaServe

/// What the client-facing routes (`/v1/models`, `/v2/models/{service}`) say of a service.
public struct ServiceSummary: Sendable, Equatable {
    public var name: String
    public var isLLM: Bool
    /// EPARA's category label, `latency/single-gpu` etc.
    public var category: String
    /// Instances of it in the plan in force (0: not ready).
    public var instances: Int

    init(_ deployment: Deployment, index: ServiceIndex) {
        let info = deployment.services[index]
        name = info.name
        isLLM = info.isLLM
        category = info.category
        instances = deployment.instancesOf[index].count
    }
}
