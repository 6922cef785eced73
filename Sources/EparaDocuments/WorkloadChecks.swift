import EparaCore

/// A classified workload read back (`plan` reads what `classify` wrote, or what a script
/// edited) is checked as the Services and Cluster inputs are.
extension ClassifiedWorkload: CheckedDocument {
    public func problems() -> [DocumentProblem] {
        var list = ProblemList()
        list.workload(cluster: cluster, catalog: catalog, services: services)
        list.number(thresholds.minSlack, "thresholds.min_slack", above: 0)
        list.number(thresholds.memoryHeadroom, "thresholds.memory_headroom", above: 0, maximum: 1)
        list.number(thresholds.minStreamFps, "thresholds.min_stream_fps")
        list.integer(thresholds.maxBatch, "thresholds.max_batch", minimum: 1)
        return list.problems
    }
}

extension ProblemList {
    /// What every document carrying a classified workload holds: its cluster, catalog and services.
    public mutating func workload(cluster: Cluster, catalog: Catalog, services: [ClassifiedService]) {
        self.cluster(cluster, catalog: catalog, at: "cluster")
        self.catalog(catalog, at: "catalog")
        classified(services, cluster: cluster, catalog: catalog)
    }

    /// Classified services: unique names, and each one's spec as the Services document would be checked.
    public mutating func classified(_ services: [ClassifiedService], cluster: Cluster, catalog: Catalog) {
        unique(services.map(\.name), { "services[\($0)].name" }, what: "service")
        for (i, s) in services.enumerated() {
            if s.name != s.spec.name { add("services[\(i)].name", "'\(s.name)' differs from its spec's name '\(s.spec.name)'") }
            service(s.spec, cluster: cluster, catalog: catalog, at: "services[\(i)].spec")
        }
    }
}
