import EparaClassify
import EparaCore

// What a cluster can serve at best: per-device capacities, the fluid upper bound, and why a
// service falls short.
extension Problem {
    /// The cluster's device types, in name order.
    var deviceTypes: [DeviceType] {
        Dictionary(slots.map { ($0.type.name, $0.type) }, uniquingKeysWith: { a, _ in a }).values.sorted { $0.name < $1.name }
    }

    /// Full-device capacity of each service (by workload index) on each of `deviceTypes`, with or
    /// without frame packing for its streams.
    func singleDeviceCapacity(framePacking: Bool) -> [Int: [Double]] {
        let types = deviceTypes
        var result: [Int: [Double]] = [:]
        for ctx in contexts {
            result[ctx.index] = types.map { type in
                latency.configurations(
                    ctx.service, model: ctx.model, on: type, packsFrames: framePacking && ctx.isFrequency,
                    maxBatch: options.maxBatch, headroom: options.memoryHeadroom
                ).first?.capacityPerS ?? 0
            }
        }
        return result
    }

    /// `own`: the service's candidates (an offer for each class of devices is enough).
    func missing(_ ctx: ServiceContext, supply: Double, own: [Candidate], bestSingle: Double) -> String {
        let unmet = ctx.demandPerS - supply
        if own.isEmpty {
            return "no device or model-parallel group of the cluster meets its SLO from where its requests arrive"
        }
        let best = own.max { ($0.capacityPerS / Double($0.slots.count), $1.index) < ($1.capacityPerS / Double($1.slots.count), $0.index) }!
        let type = slots[best.slots[0]].type.name
        let perInstance = best.capacityPerS
        let more = Int((unmet / max(perInstance, 1e-9)).rounded(.up))
        let unit =
            best.isModelParallel
            ? "groups of \(best.slots.count) devices like \(best.stages.map(\.device).joined(separator: "+"))" : "\(type) devices"
        return "placed \(Classifier.format(supply))/s of \(Classifier.format(ctx.demandPerS))/s; about \(more) more \(unit) "
            + "(\(Classifier.format(perInstance))/s each) would cover the remaining \(Classifier.format(unmet))/s"
    }

    /// Fluid upper bound on goodput over this policy's candidates plus full-device single
    /// instances of every service with frame packing (so it bounds the other policies too).
    func upperBound(candidates: some Sequence<Candidate>, singleCapacity: [Int: [Double]]) -> Double {
        let types = deviceTypes
        let typeIndex = Dictionary(uniqueKeysWithValues: types.enumerated().map { ($1.name, $0) })
        var capacity = Array(repeating: Array(repeating: 0.0, count: types.count), count: workload.services.count)
        for (service, row) in singleCapacity { capacity[service] = row }
        for c in candidates {
            let perDevice = c.capacityPerS / c.share / Double(c.slots.count)
            for slot in c.slots {
                let d = typeIndex[slots[slot].type.name]!
                capacity[c.service][d] = max(capacity[c.service][d], perDevice)
            }
        }
        var demand = Array(repeating: 0.0, count: workload.services.count)
        for ctx in contexts { demand[ctx.index] = ctx.demandPerS }
        let counts = types.map { t in Double(slots.filter { $0.type.name == t.name }.count) }
        return FluidBound.solve(demand: demand, capacity: capacity, devices: counts)
    }
}
