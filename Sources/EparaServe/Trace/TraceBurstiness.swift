import EparaCore

/// The burstiness a trace brings, measured before a plan is made: per service the trace files
/// feed, the coefficient of variation of the gaps between its arrivals (`plan --trace`).
public enum TraceBurstiness {
    /// Reads the trace files of `options` against the services and nodes of `deployment` (any
    /// plan of the same workload names them) and returns each traced service's CV, by name.
    /// Services with fewer than 20 gaps are left out: too few to say.
    public static func measure(_ options: TraceOptions, deployment: Deployment) throws(InputError) -> [String: Double] {
        // Every row counts, to the last (a run's duration would cut the trace at its span).
        var whole = options
        whole.durationS = whole.durationS ?? .infinity
        let set = try TraceBuilder.build(whole, deployment: deployment)
        var last = Table<ServiceIndex, Double>(repeating: -1, count: deployment.services.count)
        var gaps = Table<ServiceIndex, ArrivalGaps>(repeating: ArrivalGaps(), count: deployment.services.count)
        // Each source is in time order; one service may be fed by several sources (ServeGen's
        // clients), so their arrivals are merged per service before taking gaps.
        var times = Table<ServiceIndex, [Double]>(repeating: [], count: deployment.services.count)
        for var source in set.sources {
            while let arrival = try source.next() {
                let s = arrival.service
                guard set.traced.contains(s) else { break }
                times[s].append(arrival.time)
            }
        }
        for s in set.traced {
            times[s].sort()
            for t in times[s] {
                if last[s] >= 0 { gaps[s].add(t - last[s]) }
                last[s] = t
            }
        }
        var result: [String: Double] = [:]
        for s in set.traced {
            if let cv = gaps[s].cv { result[deployment.services[s].name] = cv }
        }
        return result
    }
}
