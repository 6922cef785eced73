import EparaClassify
import EparaCore

public struct PlanOptions: Sendable {
    public var policy: Policy
    /// EPARA with parts turned off (ablations); empty for the full method.
    public var without: Set<Ablation> = []
    public var observed: ObservedDemand?
    public var previous: Plan?
    public var allowPartial: Bool
    /// CELF lazy evaluation (false: plain greedy, for comparison).
    public var lazy: Bool
    public var memoryHeadroom: Double
    public var maxBatch: Int
    /// Placement window: a move's model-load time is charged against this much service.
    public var windowS: Double
    /// A new placement must beat the previous one by this fraction of φ to replace it.
    public var hysteresis: Double
    /// Capacity placement aims for, as a multiple of the demand: requests do not arrive evenly,
    /// and a device planned to 100% busy misses deadlines whenever a burst comes. Shortfalls and
    /// predictions are still judged against the demand itself.
    public var provision: Double = 1.25
    /// The judge of the simulation refinement (nil: plans are not simulated).
    public var simulator: (any PlanSimulator)?
    /// How much the refinement may simulate.
    public var searchBudget: SearchBudget = .none
    /// Drawn as the refinement simulates (a terminal's progress bar; nil: nothing shown).
    public var progress: ProgressBar?

    public init(
        policy: Policy = .epara, observed: ObservedDemand? = nil, previous: Plan? = nil, allowPartial: Bool = false,
        lazy: Bool = true, memoryHeadroom: Double = 0.9, maxBatch: Int = 64, windowS: Double = 60, hysteresis: Double = 0.02
    ) {
        self.policy = policy
        self.observed = observed
        self.previous = previous
        self.allowPartial = allowPartial
        self.lazy = lazy
        self.memoryHeadroom = memoryHeadroom
        self.maxBatch = maxBatch
        self.windowS = windowS
        self.hysteresis = hysteresis
    }
}

/// The cluster cannot carry the workload; each shortfall says what is missing.
public struct PlanShortfallError: Error, Sendable {
    public var shortfalls: [Shortfall]
}

public enum Planner {
    public static func plan(_ workload: ClassifiedWorkload, options: PlanOptions = PlanOptions()) throws(PlanShortfallError) -> Plan {
        var solved = Problem(workload: workload, options: options).solve()
        // Headroom must not cost real demand: where the provisioned plan leaves demand unserved,
        // plan for the demand alone and keep whichever serves more.
        if options.provision > 1, !solved.shortfalls.isEmpty {
            var exact = options
            exact.provision = 1
            let tight = Problem(workload: workload, options: exact).solve()
            // Without --allow-partial a plan with shortfalls is refused, however much it serves
            // (a simulated prediction can favour it: the services it starves are small).
            let covers = !options.allowPartial && tight.shortfalls.isEmpty
            if covers || tight.predicted.goodputPerS > solved.predicted.goodputPerS + 1e-9 { solved = tight }
        }
        // The settings asked for (replanning asks again, the fallback included), not the fallback's.
        solved.settings = PlanSettings(options)
        // Nothing changed, in the inputs or the placement: hand back the plan in force, byte for byte.
        if var previous = options.previous, previous.inputDigest == solved.inputDigest, previous.deployment == solved.deployment {
            previous.moves = []
            solved = previous
        }
        if !options.allowPartial && !solved.shortfalls.isEmpty {
            throw PlanShortfallError(shortfalls: solved.shortfalls)
        }
        return solved
    }
}

/// One planning problem: the slots, services, candidates and markets of a policy.
struct Problem {
    let workload: ClassifiedWorkload
    let options: PlanOptions
    let latency: LatencyModel
    let slots: [Slot]
    let slotIndex: [String: [Int]]
    let contexts: [ServiceContext]
    let rules: PolicyRules
    /// One offer per class of equivalent devices (false: one per device, as a reference for tests).
    let groupsEquivalentDevices: Bool

    init(workload: ClassifiedWorkload, options: PlanOptions, groupsEquivalentDevices: Bool = true) {
        self.workload = workload
        self.options = options
        self.groupsEquivalentDevices = groupsEquivalentDevices
        let rules = PolicyRules.rules(for: options.policy, without: options.without)
        self.rules = rules
        latency = LatencyModel(catalog: workload.catalog)
        let down = Set(options.observed?.nodesDown ?? [])
        let typeNames = Set(workload.cluster.nodes.filter { !down.contains($0.name) }.flatMap { $0.devices.map(\.type) }).sorted()
        let typeIndex = Dictionary(uniqueKeysWithValues: typeNames.enumerated().map { ($1, $0) })
        var slots: [Slot] = []
        for node in workload.cluster.nodes.sorted(by: { $0.name < $1.name }) where !down.contains(node.name) {
            for group in node.devices {
                guard let type = workload.catalog.device(group.type) else { continue }
                for k in 0..<group.count {
                    slots.append(
                        Slot(
                            ref: DeviceRef(node: node.name, device: type.name, index: k), node: node, type: type,
                            typeIndex: typeIndex[type.name]!, usableMemoryGib: type.memoryGib * options.memoryHeadroom,
                            runtimeOverheadGib: latency.runtimeOverheadGib(on: type)))
                }
            }
        }
        self.slots = slots
        var index: [String: [Int]] = [:]
        for (i, slot) in slots.enumerated() { index["\(slot.ref.node)|\(slot.ref.device)", default: []].append(i) }
        slotIndex = index
        let upNodes = workload.cluster.nodes.filter { !down.contains($0.name) }.map(\.name).sorted()
        contexts = workload.services.enumerated().compactMap { i, classified in
            guard classified.servable, let model = workload.catalog.model(classified.spec.model) else { return nil }
            let service = classified.spec
            let demand = options.observed?.demandPerS[service.name] ?? service.offeredRate
            var origins: [(String, Double)]
            if let observed = options.observed?.demandByOrigin[service.name], !observed.isEmpty {
                origins = observed.keys.sorted().filter { upNodes.contains($0) }.map { ($0, observed[$0]!) }
            } else {
                let names =
                    service.origin.isEmpty
                    ? upNodes
                    : upNodes.filter { node in
                        service.origin.contains(node) || service.origin.contains(workload.cluster.node(node)?.site ?? "")
                    }
                origins = names.map { ($0, demand / Double(max(names.count, 1))) }
            }
            return ServiceContext(
                index: i, classified: classified, model: model,
                weight: rules.weight(of: service, demandPerS: demand), demandPerS: demand,
                origins: origins)
        }
    }

    /// What makes two devices interchangeable for one service: every fact a candidate's value
    /// reads from its device (`CandidateTable`).
    struct DeviceClassKey: Hashable {
        var type: Int
        /// With local markets, the node (its market); otherwise nil.
        var node: String?
        var network: [Double]
        var carries: [Bool]
        var inPreviousPlan: Bool
        /// Set only when devices are not grouped (each its own class).
        var slot: Int?
    }

    /// The searches a policy's planning runs, each from what the one before found.
    var searches: [any PlacementSearch] {
        let first: any PlacementSearch
        switch rules.search {
        case .alpaServe: return [AlpaServeSearch.Step()]
        case .roundRobin: first = RoundRobinSearch()
        case .greedy: first = SubmodularGreedy()
        }
        var steps: [any PlacementSearch] = [first, Hysteresis()]
        if rules.burstReplicas { steps.append(BurstPhase()) }
        // The refinement is EPARA's: the baselines plan as what they model does.
        if options.policy == .epara, let simulator = options.simulator, options.searchBudget.evaluations > 0 {
            steps.append(SimulationRefinement(simulator: simulator, budget: options.searchBudget))
        }
        return steps
    }

    /// What the policy's searches choose.
    func search(in space: SearchSpace) -> SearchOutcome {
        var outcome: SearchOutcome? = nil
        for step in searches { outcome = step.search(in: space, from: outcome) }
        return outcome!
    }

    func solve() -> Plan {
        let space = SearchSpace(problem: self)
        return assemble(in: space, search(in: space))
    }
}
