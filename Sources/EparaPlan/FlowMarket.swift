/// The demand of one service and how much of it its instances can serve. Requests arrive in
/// origin groups (sites); an instance serves only the groups it reaches within the SLO, up to
/// its capacity. Served demand is the maximum flow from groups to instances — a submodular
/// function of the set of instances, which keeps φ submodular and lazy evaluation exact.
struct FlowMarket {
    var weight: Double
    var groupDemand: [Double]
    private(set) var capacity: [Double] = []
    private(set) var reach: [[Int]] = []
    /// flow[i][k]: demand of group reach[i][k] sent to instance i.
    private(set) var flow: [[Double]] = []
    private(set) var served = 0.0

    /// How far `groupDemand` goes beyond the real demand (PlanOptions.provision).
    var provision: Double

    init(weight: Double, groupDemand: [Double], provision: Double = 1) {
        self.weight = weight
        self.groupDemand = groupDemand
        self.provision = provision
    }

    var demand: Double { groupDemand.reduce(0, +) }

    /// What serving `x` more than `served` is worth — each request of the real demand 1, each of
    /// the headroom above it a tenth (headroom helps only once every service's demand is
    /// covered; concave, so φ stays submodular) — computed without a difference of values, so
    /// that an instance whose capacity the demand still takes whole gains exactly its capacity
    /// however much is served already. (A difference of sums carries rounding noise that grows
    /// with `served`; gains that should tie then differ in the last digit, and which of two
    /// equal candidates a greedy takes would depend on when each was last evaluated.)
    func valueGain(adding x: Double) -> Double {
        let belowDemand = min(x, max(0, demand / provision - served))
        return belowDemand + 0.1 * (x - belowDemand)
    }

    /// What one origin group's market takes of capacity `c` reaching it: what is left of its demand.
    private func taken(_ c: Double, reach r: [Int]) -> Double { r.isEmpty ? 0 : min(c, max(0, groupDemand[0] - served)) }

    /// Value gained by adding an instance, without adding it.
    func gain(capacity c: Double, reach r: [Int]) -> Double {
        if groupDemand.count == 1 {
            return valueGain(adding: taken(c, reach: r))
        }
        var copy = self
        return valueGain(adding: copy.add(capacity: c, reach: r))
    }

    /// Adds an instance and re-optimises the flow; returns the served demand gained.
    @discardableResult
    mutating func add(capacity c: Double, reach r: [Int]) -> Double {
        capacity.append(c)
        reach.append(r)
        flow.append(Array(repeating: 0, count: r.count))
        if groupDemand.count == 1 {
            let added = taken(c, reach: r)
            served += added
            if !r.isEmpty { flow[flow.count - 1][0] = added }
            return added
        }
        var added = 0.0
        while let amount = augment() {
            served += amount
            added += amount
        }
        return added
    }

    /// One augmenting path from the origins to the instances in the residual graph (BFS), applied.
    private mutating func augment() -> Double? {
        let groups = groupDemand.count, instances = capacity.count
        var groupOut = Array(repeating: 0.0, count: groups)
        var instanceIn = Array(repeating: 0.0, count: instances)
        for i in 0..<instances {
            for (k, g) in reach[i].enumerated() {
                groupOut[g] += flow[i][k]
                instanceIn[i] += flow[i][k]
            }
        }
        // BFS over groups and instances. Parent links: group ← instance (backward edge) and instance ← group.
        var groupParent = Array(repeating: -2, count: groups)  // -1: from the source
        var instanceParent = Array(repeating: -1, count: instances)
        var queue: [(isGroup: Bool, index: Int)] = []
        for g in 0..<groups where groupDemand[g] - groupOut[g] > 1e-12 {
            groupParent[g] = -1
            queue.append((true, g))
        }
        var head = 0
        var sink = -1
        while head < queue.count, sink < 0 {
            let (isGroup, v) = queue[head]
            head += 1
            if isGroup {
                for i in 0..<instances where instanceParent[i] < 0 && reach[i].contains(v) {
                    instanceParent[i] = v
                    if capacity[i] - instanceIn[i] > 1e-12 { sink = i; break }
                    queue.append((false, i))
                }
            } else {
                for (k, g) in reach[v].enumerated() where groupParent[g] == -2 && flow[v][k] > 1e-12 {
                    groupParent[g] = v
                    queue.append((true, g))
                }
            }
        }
        guard sink >= 0 else { return nil }
        // Bottleneck along the path.
        var amount = capacity[sink] - instanceIn[sink]
        var i = sink
        while true {
            let g = instanceParent[i]
            let parent = groupParent[g]
            if parent == -1 { amount = min(amount, groupDemand[g] - groupOut[g]); break }
            amount = min(amount, flow[parent][reach[parent].firstIndex(of: g)!])
            i = parent
        }
        i = sink
        while true {
            let g = instanceParent[i]
            flow[i][reach[i].firstIndex(of: g)!] += amount
            let parent = groupParent[g]
            if parent == -1 { break }
            flow[parent][reach[parent].firstIndex(of: g)!] -= amount
            i = parent
        }
        return amount > 1e-12 ? amount : nil
    }
}
