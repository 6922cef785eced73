import EparaClassify
import EparaCore

// A search's outcome made a Plan: instance ids, routing, predictions, the solver section.
extension Problem {
    /// `service@device[+device…]`: where the instance runs. Several instances of one service may
    /// share a device (each a model server with its share of time); those get `~2`, `~3`, ….
    func instanceID(_ c: Candidate) -> String {
        "\(workload.services[c.service].name)@" + c.slots.map { slots[$0].ref.id }.joined(separator: "+")
    }

    /// Unique ids for the chosen candidates (by candidate index); on a shared device, larger
    /// shares first.
    func instanceIDs(_ picked: [Candidate]) -> [Int: String] {
        let byBase = Dictionary(grouping: picked) { instanceID($0) }
        var ids: [Int: String] = [:]
        for (base, members) in byBase {
            let ordered = members.sorted { a, b in (a.share, a.batch, -a.index) > (b.share, b.batch, -b.index) }
            for (k, c) in ordered.enumerated() { ids[c.index] = k == 0 ? base : "\(base)~\(k + 1)" }
        }
        return ids
    }

    /// `outcome.burstAttainment`: what the burst estimator expects of each market it planned,
    /// which bounds the fluid prediction (a fluid prediction alone says 1.0 for a burst that
    /// queues).
    /// `outcome.measured`, what simulating the plan measured, replaces both where it is known.
    /// `bounded` false skips the fluid bound (the refinement's trial plans, never shown).
    func assemble(in space: SearchSpace, _ outcome: SearchOutcome, bounded: Bool = true) -> Plan {
        let candidates = space.candidates, placement = space.placement, extra = outcome.extra
        let burstAttainment = outcome.burstAttainment, measured = outcome.measured
        let picked = outcome.picked(in: space)
        let ids = instanceIDs(picked)
        // Offers stand for their whole class here: the facts read are per service and type.
        let everyOffer = [candidates.offers, extra].joined()
        let offersByService = Dictionary(grouping: everyOffer, by: \.service)
        var instances: [Instance] = picked.map { c in
            Instance(
                id: ids[c.index]!, service: workload.services[c.service].name,
                devices: c.slots.map { slots[$0].ref }, stages: c.stages, batch: c.batch, framesPacked: c.framesPacked,
                share: c.share, capacityPerS: c.capacityPerS.rounded(places: 4), latencyMs: c.latencyMs.rounded(places: 4),
                tpotMs: c.tpotMs.map { $0.rounded(places: 4) }, memoryGibPerDevice: c.memoryGib.map { $0.rounded(places: 4) },
                modes: c.modes.names)
        }
        instances.sort { $0.id < $1.id }
        var routes: [Route] = []
        var allocations: [Allocation] = []
        var shortfalls: [Shortfall] = []
        var totalGoodput = 0.0, totalDemand = 0.0
        // Frame packing is always in the bound's table; the policy's own table only differs without it.
        let packedCapacity = singleDeviceCapacity(framePacking: true)
        let policyCapacity = rules.frameParallel ? packedCapacity : singleDeviceCapacity(framePacking: false)
        for ctx in contexts {
            let own = picked.filter { $0.service == ctx.index }
            let placed = own.map { c in
                PlacedInstance(id: ids[c.index]!, entry: slots[c.slots[0]].node, capacityPerS: c.capacityPerS, latencyMs: c.latencyMs)
            }.sorted { $0.id < $1.id }
            let outcome = Router.route(ctx, instances: placed, cluster: workload.cluster, dispatch: rules.dispatch)
            routes.append(contentsOf: outcome.routes)
            let supply = own.reduce(0) { $0 + $1.capacityPerS }
            var goodput = min(outcome.goodputPerS, ctx.demandPerS)
            let ownMarkets = Set((offersByService[ctx.index] ?? []).map(\.market))
            if !ownMarkets.isEmpty, ownMarkets.allSatisfy({ burstAttainment[$0] != nil }) {
                // In market order: a sum over a Set's order would differ run to run in the last digit.
                let expected = ownMarkets.sorted().reduce(0) { sum, m in
                    sum + placement.markets[m].demand / max(placement.markets[m].provision, 1) * burstAttainment[m]!
                }
                goodput = min(goodput, expected)
            }
            if let attainment = measured?.attainment(of: ctx.service.name) {
                goodput = ctx.demandPerS * attainment
            }
            totalGoodput += goodput
            totalDemand += ctx.demandPerS
            var modes = Set(own.flatMap(\.modes.names))
            if own.count > 1 { modes.insert("DP") }
            let best = policyCapacity[ctx.index]?.max() ?? 0
            allocations.append(
                Allocation(
                    service: ctx.service.name, category: ctx.classified.category.label,
                    modes: ["BS", "MT", "MF", "DP", "MP", "TP", "PP"].filter(modes.contains), demandPerS: ctx.demandPerS.rounded(places: 6),
                    supplyPerS: supply.rounded(places: 4), instances: placed.map(\.id), replicas: own.count,
                    minReplicasPerStream: ctx.service.stream.map { s in best > 0 ? Int((s.fps / best).rounded(.up)) : 0 },
                    predictedGoodputPerS: goodput.rounded(places: 4),
                    predictedAttainment: ctx.demandPerS > 0 ? (goodput / ctx.demandPerS).rounded(places: 4) : 1))
            if supply < ctx.demandPerS * (1 - 1e-9) {
                shortfalls.append(
                    Shortfall(
                        service: ctx.service.name, demandPerS: ctx.demandPerS.rounded(places: 4),
                        supplyPerS: supply.rounded(places: 4),
                        reason: missing(ctx, supply: supply, own: offersByService[ctx.index] ?? [], bestSingle: best)))
            }
        }
        for classified in workload.services where !classified.servable {
            shortfalls.append(
                Shortfall(
                    service: classified.name, demandPerS: classified.spec.offeredRate, supplyPerS: 0,
                    reason: classified.unservableReason ?? "no configuration meets its SLO"))
        }
        var uses: [DeviceUse] = []
        var memoryUsed = Array(repeating: 0.0, count: slots.count), shareUsed = Array(repeating: 0.0, count: slots.count)
        var onSlot: [[String]] = Array(repeating: [], count: slots.count)
        for c in picked {
            for (j, s) in c.slots.enumerated() {
                // One model server per device: its runtime memory counts once.
                memoryUsed[s] += onSlot[s].isEmpty ? c.memoryGib[j] : c.memoryGib[j] - slots[s].runtimeOverheadGib
                shareUsed[s] += c.share
                onSlot[s].append(ids[c.index]!)
            }
        }
        for (i, slot) in slots.enumerated() {
            uses.append(
                DeviceUse(
                    device: slot.ref, memoryGib: slot.type.memoryGib.rounded(places: 4),
                    memoryUsedGib: memoryUsed[i].rounded(places: 4), shareUsed: shareUsed[i].rounded(places: 4),
                    instances: onSlot[i].sorted()))
        }
        let bound = bounded ? upperBound(candidates: everyOffer, singleCapacity: packedCapacity) : 0
        let observed = options.observed
        let digestInput = DigestInput(
            workload: workload.inputDigest, policy: options.policy.rawValue, headroom: options.memoryHeadroom,
            maxBatch: options.maxBatch, windowS: options.windowS, observed: observed,
            without: options.without.isEmpty ? nil : options.without.sorted().map(\.rawValue))
        var moves: [Move] = []
        if let previous = options.previous {
            let before = Set(previous.instances.map(\.id)), after = Set(instances.map(\.id))
            moves += previous.instances.filter { !after.contains($0.id) }.map { Move(kind: .remove, service: $0.service, instance: $0.id) }
            moves += instances.filter { !before.contains($0.id) }.map { Move(kind: .add, service: $0.service, instance: $0.id) }
            moves.sort { ($0.instance, $0.kind.rawValue) < ($1.instance, $1.kind.rawValue) }
        }
        return Plan(
            inputDigest: JSONOutput.digest(digestInput), workloadDigest: workload.inputDigest, policy: options.policy,
            cluster: workload.cluster,
            catalog: workload.catalog, services: workload.services, allocations: allocations, instances: instances,
            routing: routes.sorted { ($0.service, $0.origin) < ($1.service, $1.origin) }, devices: uses,
            predicted: Prediction(
                goodputPerS: totalGoodput.rounded(places: 4), demandPerS: totalDemand.rounded(places: 4),
                attainment: totalDemand > 0 ? (totalGoodput / totalDemand).rounded(places: 4) : 1,
                upperBoundGoodputPerS: bound.rounded(places: 4),
                fractionOfUpperBound: bound > 0 ? (totalGoodput / bound).rounded(places: 4) : 1,
                simulated: measured?.prediction),
            solver: SolverStats(
                policy: options.policy.rawValue, candidates: candidates.count + extra.count, objectiveEvaluations: outcome.evaluations,
                lazy: options.lazy, objective: outcome.objective.rounded(places: 6), stages: outcome.stages,
                without: options.without.isEmpty ? nil : options.without.sorted().map(\.rawValue), search: outcome.search),
            shortfalls: shortfalls, moves: moves,
            state: observed.map {
                StateSummary(
                    runId: $0.runId, windowsRead: $0.windowsRead, nodesDown: $0.nodesDown,
                    observedDemandPerS: $0.demandPerS.mapValues { $0.rounded(places: 6) },
                    observedCv: $0.cv, source: $0.source)
            })
    }

    struct DigestInput: Encodable {
        var workload: String
        var policy: String
        var headroom: Double
        var maxBatch: Int
        var windowS: Double
        var observed: ObservedDemand?
        var without: [String]?
    }
}
