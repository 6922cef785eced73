// The evaluation's goals, as data the tables read: a goal changes here, not inside table code.

/// What EPARA must reach on every scenario (issue 29).
struct Goals {
    /// EPARA's capacity over the best baseline's, at least, by SLO-attainment target.
    var capacityOverBestBaseline: [Double: Double]
    /// EPARA's capacity at `fluidTarget` over the fluid bound's, at least, on `fluidJudged`.
    var shareOfFluidBound: Double
    var fluidTarget: Double
    /// The scenarios the fluid-bound goal is judged on (on the others it is shown, not judged).
    var fluidJudged: Set<String>
    /// Where the goals were set.
    var source: String

    static let current = Goals(
        capacityOverBestBaseline: [0.99: 1.3, 0.9: 1.0], shareOfFluidBound: 0.5, fluidTarget: 0.99,
        fluidJudged: ["small", "medium", "edge-lab"], source: "issue 29")

    /// The capacity goal at `target` (1× where none is set: EPARA at least as good).
    func capacityGoal(at target: Double) -> Double { capacityOverBestBaseline[target] ?? 1 }

    /// Whether EPARA's capacity `epara` meets the goal against a baseline's `baseline` at `target`.
    func meetsCapacityGoal(epara: Double, baseline: Double, at target: Double) -> Bool {
        baseline <= 0 ? epara > 0 : epara / baseline >= capacityGoal(at: target) * (1 - 1e-9)
    }

    func meetsFluidGoal(share: Double) -> Bool { share >= shareOfFluidBound }
}
