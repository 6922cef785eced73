import EparaCore
import EparaDocuments

/// What a placement policy allows and does, as one row per policy: the planner reads these
/// fields instead of asking which policy it plans for.
struct PolicyRules {
    /// How a service's served requests count in the objective.
    enum Weighting {
        /// By the service's priority (EPARA and the simple baselines).
        case priority
        /// By the inverse of its demand, so each service's attainment counts alike (AlpaServe).
        case attainment
    }

    /// How instances are chosen from the candidates.
    enum Search {
        /// CELF greedy over `stages`, the better of unit-cost and cost-benefit.
        case greedy
        /// One full-device instance per service per round, on the next device in turn.
        case roundRobin
        /// AlpaServe's group configurations and greedy selective replication (`AlpaServeSearch`).
        case alpaServe
    }

    var weighting: Weighting
    /// EPARA's MF: frequency-sensitive services pack frames of a stream.
    var frameParallel: Bool
    /// MT: fractions of a device other than 1.
    var shares: Bool
    /// Single-device candidates for multi-GPU services and groups for single-GPU ones.
    var categoryUnaware: Bool
    /// Model-parallel groups (MP) at all.
    var modelParallel: Bool
    /// One market per origin node with instances only on that node, instead of one market per
    /// service reaching every node within its SLO.
    var localMarkets: Bool
    var search: Search
    /// Greedy in stages by category (priority services, single devices, model-parallel groups)
    /// instead of over every candidate at once.
    var stagedByCategory: Bool
    /// Replicas of bursty services in spare memory (BurstReplication).
    var burstReplicas: Bool
    /// How routing shares a service's demand over its instances.
    var dispatch: Dispatch
    /// How the request handler dispatches this policy's plans when `serve --dispatch` does not say.
    var servingDispatch: DispatchMode
    /// The parts `--without` may turn off with this policy.
    var ablations: Set<Ablation>

    static func rules(for policy: Policy, without: Set<Ablation>) -> PolicyRules {
        let modelParallel = !without.contains(.modelParallel)
        let burstReplicas = !without.contains(.burstReplicas)
        switch policy {
        case .epara where without.contains(.categories):
            return PolicyRules(
                weighting: .priority, frameParallel: false, shares: true, categoryUnaware: true,
                modelParallel: modelParallel, localMarkets: false, search: .greedy, stagedByCategory: false,
                burstReplicas: burstReplicas, dispatch: .nearest, servingDispatch: .bestCompletion, ablations: Set(Ablation.allCases))
        case .epara:
            return PolicyRules(
                weighting: .priority, frameParallel: true, shares: true, categoryUnaware: false,
                modelParallel: modelParallel, localMarkets: false, search: .greedy, stagedByCategory: true,
                burstReplicas: burstReplicas, dispatch: .nearest, servingDispatch: .bestCompletion, ablations: Set(Ablation.allCases))
        case .local:
            return PolicyRules(
                weighting: .priority, frameParallel: true, shares: true, categoryUnaware: false,
                modelParallel: modelParallel, localMarkets: true, search: .greedy, stagedByCategory: true,
                burstReplicas: burstReplicas, dispatch: .local, servingDispatch: .local, ablations: [])
        case .alpaserve:
            return PolicyRules(
                weighting: .attainment, frameParallel: false, shares: true, categoryUnaware: true,
                modelParallel: modelParallel, localMarkets: false, search: .alpaServe, stagedByCategory: false,
                burstReplicas: false, dispatch: .capacityOnly,
                // AlpaServe's controller sends a request to the replica that would answer first, as its simulator does.
                servingDispatch: .bestCompletion, ablations: [.modelParallel])
        case .roundRobin:
            return PolicyRules(
                weighting: .priority, frameParallel: false, shares: false, categoryUnaware: true,
                modelParallel: modelParallel, localMarkets: false, search: .roundRobin, stagedByCategory: false,
                burstReplicas: false, dispatch: .roundRobin, servingDispatch: .planWeights, ablations: [])
        }
    }

    func weight(of service: Service, demandPerS: Double) -> Double {
        switch weighting {
        case .priority: service.priority
        case .attainment: 1 / max(demandPerS, 1e-9)
        }
    }

    /// Single-device candidates: for single-GPU services, and for every service where categories
    /// are ignored or groups are not allowed.
    func allowsSingleDevice(_ ctx: ServiceContext) -> Bool { categoryUnaware || !ctx.isMultiGPU || !modelParallel }

    /// Model-parallel groups: for multi-GPU services, or every service where categories are ignored.
    func allowsGroups(_ ctx: ServiceContext) -> Bool { (categoryUnaware || ctx.isMultiGPU) && modelParallel }
}

extension Policy {
    /// How the request handler dispatches this policy's plans unless told otherwise: EPARA's
    /// handler and AlpaServe's controller by estimated completion, `local` the same among its
    /// own node's instances, `round-robin` by its plan's routing (equal shares).
    public var servingDispatch: DispatchMode { PolicyRules.rules(for: self, without: []).servingDispatch }

    /// The parts of EPARA `--without` may turn off with this policy: every one with EPARA's,
    /// model-parallel groups with AlpaServe's (single-device groups only, its sr-greedy), none
    /// with the others.
    public var ablations: Set<Ablation> { PolicyRules.rules(for: self, without: []).ablations }
}

extension Plan {
    /// How this plan is dispatched unless told otherwise (by its routing when it has no policy:
    /// nothing is placed).
    public var servingDispatch: DispatchMode { policy?.servingDispatch ?? .planWeights }
}
