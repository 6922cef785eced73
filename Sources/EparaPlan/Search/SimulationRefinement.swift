import EparaCore

/// The last search: serve candidate plans in the simulator on the demand planned for, and keep
/// what serves more.
///
/// 1. A portfolio: EPARA's plan (the greedy and the burst phase) and the baselines' plans
///    (AlpaServe's search, round robin, local), each made an EPARA plan (EPARA's dispatch and
///    routing) and simulated; the best is where the search starts, EPARA's own on a tie. So the
///    plan is never worse on the planning simulation than a baseline's.
/// 2. Local search from there, guided by what the simulation lost: service by service, those
///    that lost the most requests within SLO (weighted by priority) first — a replica added
///    where memory is left (a whole device where its time is free, else beside what runs
///    there), an instance of it in another configuration (batch, frames packed, share, another
///    model-parallel group) or on another device, or a replica of a service that lost nothing
///    replaced by one of it. A move is kept only when simulated goodput within SLO (requests,
///    what capacity measures) rises; the first that does is taken, and the search looks again
///    from there until nothing helps or the budget is spent. Deterministic for the simulator's
///    seeds and a budget of plans.
///
/// What remains of the greedy's guarantee: the search starts from its placement and only keeps
/// what the simulation says serves more, so the plan's simulated goodput is at least the
/// greedy's (and every baseline's) on the planning simulation.
struct SimulationRefinement: PlacementSearch {
    let simulator: any PlanSimulator
    let budget: SearchBudget
    /// Baselines whose plans join the portfolio.
    var portfolio: [Policy] = [.alpaserve, .roundRobin, .local]

    func search(in space: SearchSpace, from start: SearchOutcome?) -> SearchOutcome {
        guard let start else { preconditionFailure("the simulation refinement follows a search") }
        var judge = Judge(space: space, simulator: simulator, budget: budget)
        // The portfolio, EPARA's own first (it wins ties).
        var entries: [(name: String, design: [Candidate])] = [(space.problem.options.policy.rawValue, start.picked(in: space))]
        // Planned for the demand alone: the headroom of `provision` can cost a small cluster
        // demand it could serve (`Planner.plan` falls back the same way without a simulation).
        if space.problem.options.provision > 1 {
            var exact = space.problem.options
            exact.provision = 1
            entries.append(("\(space.problem.options.policy.rawValue) for the demand alone", design(planning: exact, in: space)))
        }
        for policy in portfolio where policy != space.problem.options.policy {
            var options = space.problem.options
            options.policy = policy
            options.without = []
            entries.append((policy.rawValue, design(planning: options, in: space)))
        }
        if !space.problem.options.allowPartial {
            let demand = Dictionary(uniqueKeysWithValues: space.problem.contexts.map { ($0.index, $0.demandPerS) })
            judge.floor = Judge.supply(of: entries[0].design, in: space)
            for (service, supply) in judge.floor { judge.floor[service] = min(supply, demand[service] ?? 0) }
        }
        // Goodput within SLO decides: what capacity at an attainment target measures
        // (priorities only decide whose losses are looked at first).
        func serves(_ a: PlanMeasurement, moreThan b: PlanMeasurement, by margin: Double) -> Bool {
            a.goodputPerS > b.goodputPerS * (1 + margin) + 1e-12
        }
        var scored: [(name: String, design: [Candidate], measured: PlanMeasurement)] = []
        for entry in entries {
            guard judge.fits(entry.design), let measured = judge.evaluate(entry.design) else { continue }
            scored.append((entry.name, entry.design, measured))
        }
        guard var best = scored.first else { return start }
        for entry in scored.dropFirst() where serves(entry.measured, moreThan: best.measured, by: 1e-6) { best = entry }
        var current = (design: best.design, measured: best.measured)
        var kept: [String] = []
        improving: while judge.hasBudget {
            for move in moves(current.design, current.measured, in: space) {
                guard judge.hasBudget else { break improving }
                guard judge.fits(move.design), let measured = judge.evaluate(move.design) else { continue }
                if serves(measured, moreThan: current.measured, by: 1e-4) {
                    current = (move.design, measured)
                    kept.append(move.name)
                    continue improving
                }
            }
            break
        }
        space.problem.options.progress?.finish()
        var outcome = judge.outcome(current.design)
        outcome.evaluations = start.evaluations
        outcome.objective = start.objective
        outcome.stages = start.stages
        if best.name != entries[0].name {
            outcome.stages.append(.init(name: "started from \(best.name)'s plan", placed: best.design.count, objective: start.objective))
        }
        if !kept.isEmpty {
            outcome.stages.append(.init(name: "simulation refinement", placed: kept.count, objective: start.objective))
        }
        outcome.measured = current.measured
        outcome.search = SearchSummary(
            evaluations: judge.evaluations, budgetEvaluations: budget.evaluations == Int.max ? 0 : budget.evaluations,
            budgetS: budget.seconds, start: best.name,
            portfolio: scored.map { .init(name: $0.name, goodputPerS: $0.measured.goodputPerS.rounded(places: 4)) },
            kept: kept, startGoodputPerS: best.measured.goodputPerS.rounded(places: 4),
            goodputPerS: current.measured.goodputPerS.rounded(places: 4))
        return outcome
    }

    /// Another problem's plan (a baseline's, or EPARA's with other options), as candidates of
    /// this problem's devices.
    func design(planning options: PlanOptions, in space: SearchSpace) -> [Candidate] {
        var options = options
        options.simulator = nil
        let problem = Problem(workload: space.problem.workload, options: options)
        let other = SearchSpace(problem: problem)
        return problem.search(in: other).picked(in: other).map { c in
            var c = c
            // Its market belongs to the other problem; here it only marks the service's.
            c.market = -1
            return c
        }
    }

    struct Move {
        var name: String
        var design: [Candidate]
    }

    /// Moves worth a simulation, most promising first: for the services that lost the most.
    func moves(_ design: [Candidate], _ measurement: PlanMeasurement, in space: SearchSpace) -> [Move] {
        let problem = space.problem
        let contexts = problem.contexts
        let losing = contexts.map { ctx in (ctx, Double(measurement.lost(by: ctx.service.name)) * ctx.service.priority) }
            .filter { $0.1 > 0 }.sorted { ($0.1, -$0.0.index) > ($1.1, -$1.0.index) }
        let state = space.occupancy(of: design)
        var result: [Move] = []
        for (ctx, _) in losing {
            let own = design.indices.filter { design[$0].service == ctx.index }
            // A replica where memory is left.
            if let add = replica(of: ctx, beside: design, state: state, in: space) {
                result.append(Move(name: "add \(describe(add, in: space))", design: design + [add]))
            }
            for i in own.prefix(2) {
                let c = design[i]
                // Another configuration where it runs: batch, frames packed, share; another
                // model-parallel group.
                for next in c.isModelParallel ? regrouped(c, in: space) : reconfigured(c, in: space) {
                    var changed = design
                    changed[i] = next
                    result.append(Move(name: "reconfigure \(describe(next, in: space)) \(summary(next))", design: changed))
                }
                // The same instance on another device.
                if !c.isModelParallel {
                    var without = design
                    without.remove(at: i)
                    let rest = space.occupancy(of: without)
                    if let moved = replica(of: ctx, beside: without, state: rest, in: space, avoiding: Set(c.slots)) {
                        result.append(Move(name: "move \(describe(c, in: space)) to \(describe(moved, in: space))", design: without + [moved]))
                    }
                }
            }
            // A replica of a service that lost nothing makes room for one of this service.
            if let swap = swap(for: ctx, in: design, measurement: measurement, space: space) {
                result.append(swap)
            }
        }
        return result
    }

    /// The service's best single-device configuration (by capacity) on the device with the most
    /// room that holds no replica of it: a whole device where its time is free, else sharing
    /// the device's time (share 0: the time the others leave). Model-parallel services: their
    /// best group that fits.
    func replica(
        of ctx: ServiceContext, beside design: [Candidate], state: Placement.State, in space: SearchSpace, avoiding: Set<Int> = []
    ) -> Candidate? {
        let taken = Set(design.filter { $0.service == ctx.index }.flatMap(\.slots)).union(avoiding)
        var best: (key: (Double, Double, Int), candidate: Candidate)? = nil
        for option in space.singles(of: ctx.index) where !taken.contains(option.slots[0]) {
            let slot = option.slots[0]
            guard let c = fitted(option, state, in: space) else { continue }
            // Whole devices first, then the least busy, then the fastest.
            let key = (c.share, -state.shareUsed[slot] - Double(state.residents[slot]), -slot)
            if best.map({ key > $0.key || (key == $0.key && c.capacityPerS > $0.candidate.capacityPerS) }) ?? true {
                best = (key, c)
            }
        }
        if let best { return best.candidate }
        return space.groups(of: ctx.index).first { c in
            Set(c.slots).isDisjoint(with: taken) && space.placement.fits(c, state)
        }
    }

    /// The same instance in other configurations its device offers: the next larger and the
    /// next smaller batch, the best with other frames packed, the next larger share of the
    /// device's time (a multiplexed instance, `share` 0, keeps running in the time left).
    func reconfigured(_ c: Candidate, in space: SearchSpace) -> [Candidate] {
        let all = space.configurations(of: c.service, on: c.slots[0])
        let timed = all.filter { $0.share == (c.share == 0 ? 1 : c.share) && ($0.batch, $0.framesPacked) != (c.batch, c.framesPacked) }
        let sameFrames = timed.filter { $0.framesPacked == c.framesPacked }
        var options: [Candidate?] = [
            sameFrames.filter { $0.batch > c.batch }.min { $0.batch < $1.batch },
            sameFrames.filter { $0.batch < c.batch }.max { $0.batch < $1.batch },
            timed.filter { $0.framesPacked != c.framesPacked }.max { ($0.capacityPerS, -$0.index) < ($1.capacityPerS, -$1.index) },
        ]
        if c.share > 0 {
            options.append(
                all.filter { $0.share > c.share && $0.batch == c.batch && $0.framesPacked == c.framesPacked }.min { $0.share < $1.share })
        }
        return options.compactMap { option in
            guard var next = option else { return nil }
            if c.share == 0 {
                next.share = 0
                next.modes.insert(.gpuSharing)
            }
            return next
        }
    }

    /// Another model-parallel group of the service: on the same devices the next larger and
    /// smaller batch, elsewhere the fastest group and the quickest to answer.
    func regrouped(_ c: Candidate, in space: SearchSpace) -> [Candidate] {
        let groups = space.groups(of: c.service)
        let same = groups.filter { $0.slots == c.slots && $0.stages == c.stages && $0.batch != c.batch }
        let others = groups.filter { $0.slots != c.slots || $0.stages != c.stages }
        let options: [Candidate?] = [
            same.filter { $0.batch > c.batch }.min { $0.batch < $1.batch },
            same.filter { $0.batch < c.batch }.max { $0.batch < $1.batch },
            others.max { ($0.capacityPerS, -$0.index) < ($1.capacityPerS, -$1.index) },
            others.min { ($0.latencyMs, $0.index) < ($1.latencyMs, $1.index) },
        ]
        var seen = Set<Int>()
        return options.compactMap { $0 }.filter { seen.insert($0.index).inserted }
    }

    func summary(_ c: Candidate) -> String {
        "(batch \(c.batch), frames \(c.framesPacked), share \(c.share)\(c.isModelParallel ? ", \(c.slots.count) devices" : ""))"
    }

    /// Replace a single-device instance of a service that lost nothing (and has another) by one
    /// of `ctx` on that device.
    func swap(for ctx: ServiceContext, in design: [Candidate], measurement: PlanMeasurement, space: SearchSpace) -> Move? {
        let problem = space.problem
        let counts = Dictionary(grouping: design.indices, by: { design[$0].service })
        let taken = Set(design.filter { $0.service == ctx.index }.flatMap(\.slots))
        let singles = Dictionary(space.singles(of: ctx.index).map { ($0.slots[0], $0) }, uniquingKeysWith: { a, _ in a })
        for (i, victim) in design.enumerated() where victim.service != ctx.index && !victim.isModelParallel {
            let name = problem.workload.services[victim.service].name
            guard (counts[victim.service]?.count ?? 0) > 1, measurement.lost(by: name) == 0,
                let slot = victim.slots.first, !taken.contains(slot), let option = singles[slot]
            else { continue }
            var next = design
            next.remove(at: i)
            guard let c = fitted(option, space.occupancy(of: next), in: space) else { continue }
            return Move(name: "swap \(problem.instanceID(victim)) for \(describe(c, in: space))", design: next + [c])
        }
        return nil
    }

    /// `c` on its devices where their time and memory are free, else multiplexed there
    /// (share 0: the time the others leave) where memory is; nil where neither fits.
    func fitted(_ c: Candidate, _ state: Placement.State, in space: SearchSpace) -> Candidate? {
        if space.placement.fits(c, state) { return c }
        var shared = c
        shared.share = 0
        shared.modes.insert(.gpuSharing)
        return space.placement.fits(shared, state) ? shared : nil
    }

    func describe(_ c: Candidate, in space: SearchSpace) -> String { space.problem.instanceID(c) }
}

extension SimulationRefinement {
    /// Simulates designs and keeps count against the budget.
    struct Judge {
        let space: SearchSpace
        let simulator: any PlanSimulator
        let budget: SearchBudget
        let started = ContinuousClock.now
        private(set) var evaluations = 0
        private var seen: [[Int]: PlanMeasurement?] = [:]

        init(space: SearchSpace, simulator: any PlanSimulator, budget: SearchBudget) {
            self.space = space
            self.simulator = simulator
            self.budget = budget
        }

        var elapsedS: Double {
            let elapsed = ContinuousClock.now - started
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        }

        var hasBudget: Bool {
            guard evaluations < budget.evaluations else { return false }
            guard let seconds = budget.seconds else { return true }
            return elapsedS < seconds
        }

        /// Capacity each service must keep (by workload index): what EPARA's own plan gives it,
        /// up to its demand. Without `--allow-partial`, a plan the simulation prefers may not
        /// leave a service short that was not (`plan` would then refuse it as too small a
        /// cluster); with it, shortfalls are listed and the simulation decides.
        var floor: [Int: Double] = [:]

        static func supply(of design: [Candidate], in space: SearchSpace) -> [Int: Double] {
            var supply: [Int: Double] = [:]
            for ctx in space.problem.contexts { supply[ctx.index] = 0 }
            for c in design { supply[c.service, default: 0] += c.capacityPerS }
            return supply
        }

        /// Fits every device's memory and time, and keeps every service's `floor`.
        func fits(_ design: [Candidate]) -> Bool {
            let supply = Self.supply(of: design, in: space)
            for (service, needed) in floor where (supply[service] ?? 0) < needed * (1 - 1e-9) { return false }
            return space.occupancy(of: design, fitting: true) != nil
        }

        /// The design as a search outcome: every instance numbered on from the candidates.
        func outcome(_ design: [Candidate]) -> SearchOutcome {
            let base = space.candidates.count
            let extra = design.enumerated().map { k, c in
                var c = c
                c.index = base + k
                return c
            }
            return SearchOutcome(chosen: extra.map(\.index), extra: extra, objective: 0, evaluations: 0, stages: [])
        }

        /// Simulates a design (once: a design met again is not simulated again).
        mutating func evaluate(_ design: [Candidate]) -> PlanMeasurement? {
            let key = signature(design)
            if let known = seen[key] { return known }
            evaluations += 1
            if let progress = space.problem.options.progress {
                progress.update(
                    fraction: budget.evaluations == Int.max ? elapsedS / (budget.seconds ?? 1) : Double(evaluations) / Double(budget.evaluations))
            }
            let plan = space.problem.assemble(in: space, outcome(design), bounded: false)
            let measured = try? simulator.measure(plan)
            seen[key] = measured
            return measured
        }

        /// What tells two designs apart, whatever the order of their instances.
        func signature(_ design: [Candidate]) -> [Int] {
            design.map { c in
                var h = Hasher()
                h.combine(c.service)
                h.combine(c.slots)
                h.combine(c.share)
                h.combine(c.batch)
                h.combine(c.framesPacked)
                h.combine(c.stages.count)
                return h.finalize()
            }.sorted()
        }
    }
}
