import EparaCore

/// A plan read from a file is input (a script wrote it, a person edited it): everything `serve`
/// and the live gateways build from it is checked first — every reference resolved, every number
/// in range and finite, ids unique — so that nothing built from it can trap.
extension Plan: CheckedDocument {
    public func problems() -> [DocumentProblem] {
        var list = ProblemList()
        list.workload(cluster: cluster, catalog: catalog, services: services)

        let serviceNames = Set(services.map(\.name))
        let nodes = Dictionary(cluster.nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func device(_ ref: DeviceRef, at path: String) {
            guard let node = nodes[ref.node] else {
                return list.add("\(path).node", "unknown node '\(ref.node)' (not in the plan's cluster)")
            }
            guard let group = node.devices.first(where: { $0.type == ref.device }) else {
                return list.add(
                    "\(path).device",
                    "node '\(ref.node)' has no device of type '\(ref.device)' (it has \(node.devices.map(\.type).joined(separator: ", ")))")
            }
            if ref.index < 0 || ref.index >= group.count {
                list.add(
                    "\(path).index",
                    "device index \(ref.index) out of range: node '\(ref.node)' has \(group.count) \(ref.device) (indices 0 to \(group.count - 1))")
            }
        }

        list.unique(instances.map(\.id), { "instances[\($0)].id" }, what: "instance id")
        var instanceService: [String: String] = [:]
        for (i, instance) in instances.enumerated() {
            let p = "instances[\(i)]"
            instanceService[instance.id] = instanceService[instance.id] ?? instance.service
            if !serviceNames.contains(instance.service) {
                list.add("\(p).service", "unknown service '\(instance.service)' (not among the plan's services)")
            }
            if instance.devices.isEmpty { list.add("\(p).devices", "expected at least one device") }
            for (k, ref) in instance.devices.enumerated() { device(ref, at: "\(p).devices[\(k)]") }
            list.unique(instance.devices.map(\.id), { "\(p).devices[\($0)]" }, what: "device")
            list.integer(instance.batch, "\(p).batch", minimum: 1)
            list.integer(instance.framesPacked, "\(p).frames_packed", minimum: 1)
            list.number(instance.share, "\(p).share", maximum: 1)
            list.number(instance.capacityPerS, "\(p).capacity_per_s")
            list.number(instance.latencyMs, "\(p).latency_ms")
            if let tpot = instance.tpotMs { list.number(tpot, "\(p).tpot_ms") }
            for (k, memory) in instance.memoryGibPerDevice.enumerated() { list.number(memory, "\(p).memory_gib_per_device[\(k)]") }
            // Each stage runs on devices of the instance: its node and type, as many as its tensor-parallel degree.
            var free = instance.devices
            for (k, stage) in instance.stages.enumerated() {
                let sp = "\(p).stages[\(k)]"
                list.integer(stage.tensorParallel, "\(sp).tensor_parallel", minimum: 1)
                list.number(stage.layerFraction, "\(sp).layer_fraction", above: 0, maximum: 1)
                if catalog.device(stage.device) == nil {
                    list.add("\(sp).device", "unknown device type '\(stage.device)' (not in the plan's catalog)")
                }
                if nodes[stage.node] == nil { list.add("\(sp).node", "unknown node '\(stage.node)' (not in the plan's cluster)") }
                let matching = free.indices.filter { free[$0].node == stage.node && free[$0].device == stage.device }
                if matching.count < max(stage.tensorParallel, 1) {
                    list.add(
                        sp,
                        "stage on \(stage.node)/\(stage.device) needs \(max(stage.tensorParallel, 1)) of the instance's devices there; \(matching.count) left"
                    )
                } else {
                    for index in matching.prefix(max(stage.tensorParallel, 1)).reversed() { free.remove(at: index) }
                }
            }
        }

        for (i, route) in routing.enumerated() {
            let p = "routing[\(i)]"
            if !serviceNames.contains(route.service) {
                list.add("\(p).service", "unknown service '\(route.service)' (not among the plan's services)")
            }
            if nodes[route.origin] == nil { list.add("\(p).origin", "unknown origin node '\(route.origin)' (not in the plan's cluster)") }
            list.number(route.demandPerS, "\(p).demand_per_s")
            for (k, target) in route.targets.enumerated() {
                let tp = "\(p).targets[\(k)]"
                if let owner = instanceService[target.instance] {
                    if owner != route.service {
                        list.add("\(tp).instance", "instance '\(target.instance)' serves '\(owner)', not '\(route.service)'")
                    }
                } else {
                    list.add("\(tp).instance", "unknown instance '\(target.instance)' (not among the plan's instances)")
                }
                list.number(target.weight, "\(tp).weight")
                list.number(target.networkMs, "\(tp).network_ms")
            }
        }

        for (i, allocation) in allocations.enumerated() {
            let p = "allocations[\(i)]"
            if !serviceNames.contains(allocation.service) {
                list.add("\(p).service", "unknown service '\(allocation.service)' (not among the plan's services)")
            }
            for (k, id) in allocation.instances.enumerated() where instanceService[id] == nil {
                list.add("\(p).instances[\(k)]", "unknown instance '\(id)' (not among the plan's instances)")
            }
            for (key, value) in [
                ("demand_per_s", allocation.demandPerS), ("supply_per_s", allocation.supplyPerS),
                ("predicted_goodput_per_s", allocation.predictedGoodputPerS),
            ] {
                list.number(value, "\(p).\(key)")
            }
            list.number(allocation.predictedAttainment, "\(p).predicted_attainment", maximum: 1)
        }
        for (i, use) in devices.enumerated() {
            device(use.device, at: "devices[\(i)].device")
            for (k, id) in use.instances.enumerated() where instanceService[id] == nil {
                list.add("devices[\(i)].instances[\(k)]", "unknown instance '\(id)' (not among the plan's instances)")
            }
        }
        for (key, value) in [
            ("goodput_per_s", predicted.goodputPerS), ("demand_per_s", predicted.demandPerS),
            ("upper_bound_goodput_per_s", predicted.upperBoundGoodputPerS),
        ] {
            list.number(value, "predicted.\(key)")
        }
        list.number(predicted.attainment, "predicted.attainment", maximum: 1)
        if let simulated = predicted.simulated {
            list.number(simulated.horizonS, "predicted.simulated.horizon_s", above: 0)
            if simulated.seeds.isEmpty { list.add("predicted.simulated.seeds", "expected at least one seed") }
            for (name, values) in [("attainment_by_seed", simulated.attainmentBySeed), ("goodput_per_s_by_seed", simulated.goodputPerSBySeed)] {
                if values.count != simulated.seeds.count {
                    list.add("predicted.simulated.\(name)", "expected one value per seed (\(simulated.seeds.count)), found \(values.count)")
                }
                for (i, value) in values.enumerated() {
                    list.number(value, "predicted.simulated.\(name)[\(i)]", maximum: name == "attainment_by_seed" ? 1 : nil)
                }
            }
        }
        if let search = solver.search {
            list.integer(search.evaluations, "solver.search.evaluations", minimum: 0)
            list.integer(search.budgetEvaluations, "solver.search.budget_evaluations", minimum: 0)
            if let budgetS = search.budgetS { list.number(budgetS, "solver.search.budget_s", above: 0) }
            list.number(search.startGoodputPerS, "solver.search.start_goodput_per_s")
            list.number(search.goodputPerS, "solver.search.goodput_per_s")
            for (i, entry) in search.portfolio.enumerated() { list.number(entry.goodputPerS, "solver.search.portfolio[\(i)].goodput_per_s") }
        }
        if let settings {
            list.number(settings.memoryHeadroom, "settings.memory_headroom", above: 0, maximum: 1)
            list.integer(settings.maxBatch, "settings.max_batch", minimum: 1)
            list.number(settings.windowS, "settings.window_s", above: 0)
            list.number(settings.hysteresis, "settings.hysteresis")
            list.number(settings.provision, "settings.provision", above: 0)
            if let budget = settings.searchBudget { list.integer(budget, "settings.search_budget", minimum: 0) }
        }
        for (i, name) in (solver.without ?? []).enumerated() where Ablation(rawValue: name) == nil {
            list.add("solver.without[\(i)]", "unknown part '\(name)' (expected one of \(Ablation.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if policy == nil { list.add("policy", "missing key 'policy' (expected one of \(Policy.allCases.map(\.rawValue).joined(separator: ", ")))") }
        return list.problems
    }
}
