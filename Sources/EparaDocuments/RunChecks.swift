import EparaCore

/// A Run read back (`report` merges and compares what `serve` wrote, or what a script edited) is
/// checked before anything is built from it: counts that cannot be negative and add up (each
/// outcome's reasons to its count), rates and fractions finite and in range, latency buckets a
/// histogram can hold, names unique.
extension Run: CheckedDocument {
    public func problems() -> [DocumentProblem] {
        var list = ProblemList()
        list.number(durationS, "duration_s", above: 0)
        list.number(endS, "end_s")
        list.number(settings.windowS, "settings.window_s", above: 0)
        list.number(settings.syncIntervalS, "settings.sync_interval_s")
        list.number(settings.syncLoss, "settings.sync_loss", maximum: 1)
        list.number(settings.replanEveryS, "settings.replan_every_s")
        list.number(settings.serviceTimeCv, "settings.service_time_cv")
        list.integer(settings.maxOffload, "settings.max_offload", minimum: 0)
        if let scheduler = settings.llmScheduler, !["chunked", "prefill-first"].contains(scheduler) {
            list.add("settings.llm_scheduler", "unknown LLM scheduler '\(scheduler)' (expected chunked or prefill-first)")
        }
        if let budget = settings.tokenBudget { list.integer(budget, "settings.token_budget", minimum: 1) }
        list.totals(summary, at: "summary")

        list.unique(services.map(\.name), { "services[\($0)].name" }, what: "service")
        for (i, s) in services.enumerated() {
            let p = "services[\(i)]"
            list.counts(s.counts, at: "\(p).counts")
            list.reasons(s.dropReasons, add: s.counts.dropped, at: "\(p).drop_reasons", what: "dropped")
            list.reasons(s.failReasons, add: s.counts.failed, at: "\(p).fail_reasons", what: "failed")
            list.rates(goodput: s.goodputPerS, throughput: s.throughputPerS, attainment: s.attainment, at: p)
            for (key, summary) in [("latency_ms", s.latencyMs), ("ttft_ms", s.ttftMs), ("tpot_ms", s.tpotMs)] {
                if let summary { list.latency(summary, at: "\(p).\(key)") }
            }
            if let fps = s.deliveredFpsPerStream { list.number(fps, "\(p).delivered_fps_per_stream") }
            if let streams = s.streams { list.integer(streams, "\(p).streams", minimum: 0) }
            for (k, bucket) in s.latencyHistogram.enumerated() {
                let bp = "\(p).latency_histogram[\(k)]"
                guard bucket.count == 2 else {
                    list.add(bp, "expected [latency ms, count], found \(bucket.count) numbers")
                    continue
                }
                // What the report's histogram holds: 1 µs to an hour, whole counts.
                list.number(bucket[0], bp + "[0]", minimum: 0, maximum: 3_600_000)
                list.number(bucket[1], bp + "[1]", minimum: 0, maximum: 9e15)
                if bucket[1].isFinite, bucket[1] != bucket[1].rounded() { list.add(bp + "[1]", "expected a whole count, found \(bucket[1])") }
            }
        }
        let serviceNames = Set(services.map(\.name))
        for (i, c) in categories.enumerated() {
            let p = "categories[\(i)]"
            list.counts(c.counts, at: "\(p).counts")
            list.rates(goodput: c.goodputPerS, throughput: 0, attainment: c.attainment, at: p)
            if let summary = c.latencyMs { list.latency(summary, at: "\(p).latency_ms") }
            for (k, name) in c.services.enumerated() where !serviceNames.contains(name) {
                list.add("\(p).services[\(k)]", "unknown service '\(name)' (not among the run's services)")
            }
        }
        list.unique(nodes.map(\.name), { "nodes[\($0)].name" }, what: "node")
        for (i, node) in nodes.enumerated() {
            let p = "nodes[\(i)]"
            list.counts(node.counts, at: "\(p).counts")
            list.integer(node.served, "\(p).served", minimum: 0)
            list.integer(node.forwarded, "\(p).forwarded", minimum: 0)
            list.number(node.upFraction, "\(p).up_fraction", maximum: 1)
            for (k, device) in node.devices.enumerated() { list.number(device.utilization, "\(p).devices[\(k)].utilization") }
        }
        for (i, window) in windows.enumerated() {
            let p = "windows[\(i)]"
            list.number(window.startS, "\(p).start_s")
            list.number(window.goodputPerS, "\(p).goodput_per_s")
            list.counts(window.counts, at: "\(p).counts")
            for (name, counts) in window.services.sorted(by: { $0.key < $1.key }) {
                if !serviceNames.contains(name) { list.add("\(p).services", "unknown service '\(name)' (not among the run's services)") }
                list.counts(counts, at: "\(p).services.\(name)")
            }
        }
        for (i, replan) in replans.enumerated() {
            list.number(replan.atS, "replans[\(i)].at_s")
            list.number(replan.predictedGoodputPerS, "replans[\(i)].predicted_goodput_per_s")
        }
        for (i, fault) in faults.enumerated() { list.number(fault.atS, "faults[\(i)].at_s") }
        for (key, value) in [
            ("goodput_per_s", predicted.goodputPerS), ("demand_per_s", predicted.demandPerS),
            ("upper_bound_goodput_per_s", predicted.upperBoundGoodputPerS),
        ] {
            list.number(value, "predicted.\(key)")
        }
        list.number(predicted.attainment, "predicted.attainment", maximum: 1)
        return list.problems
    }
}

extension ProblemList {
    mutating func counts(_ c: Counts, at path: String) {
        for (key, value) in [
            ("arrivals", c.arrivals), ("completed_in_slo", c.completedInSlo), ("completed_late", c.completedLate),
            ("dropped", c.dropped), ("failed", c.failed),
        ] {
            integer(value, "\(path).\(key)", minimum: 0)
        }
        // Requests still in flight when a live run stops have arrived but not ended.
        if c.ended > c.arrivals { add(path, "more requests ended (\(c.ended)) than arrived (\(c.arrivals))") }
    }

    mutating func reasons(_ reasons: [String: Int], add total: Int, at path: String, what: String) {
        for (name, n) in reasons.sorted(by: { $0.key < $1.key }) {
            if !EndReason.allCases.contains(where: { $0.name == name }) {
                add("\(path).\(name)", "unknown reason '\(name)'")
            }
            integer(n, "\(path).\(name)", minimum: 0)
        }
        let sum = reasons.values.reduce(0, +)
        if sum != total { add(path, "the reasons add up to \(sum), but \(total) requests were \(what)") }
    }

    mutating func rates(goodput: Double, throughput: Double, attainment: Double, at path: String) {
        number(goodput, "\(path).goodput_per_s")
        number(throughput, "\(path).throughput_per_s")
        number(attainment, "\(path).attainment", maximum: 1)
    }

    mutating func latency(_ s: LatencySummary, at path: String) {
        integer(s.count, "\(path).count", minimum: 0)
        for (key, value) in [("mean", s.mean), ("p50", s.p50), ("p90", s.p90), ("p99", s.p99), ("p999", s.p999), ("max", s.max)] {
            number(value, "\(path).\(key)")
        }
    }

    mutating func totals(_ t: ServiceTotals, at path: String) {
        counts(t.counts, at: "\(path).counts")
        reasons(t.dropReasons, add: t.counts.dropped, at: "\(path).drop_reasons", what: "dropped")
        reasons(t.failReasons, add: t.counts.failed, at: "\(path).fail_reasons", what: "failed")
        rates(goodput: t.goodputPerS, throughput: t.throughputPerS, attainment: t.attainment, at: path)
        if let summary = t.latencyMs { latency(summary, at: "\(path).latency_ms") }
    }
}
