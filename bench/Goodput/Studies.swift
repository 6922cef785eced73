// The evaluation's studies: each scenario of bench/scenarios as a workload at 1×, its traffic at
// any load, and how long to run a load.
import EparaClassify
import EparaCore
import EparaPlan
import EparaServe
import Foundation

struct Study: @unchecked Sendable {
    var name: String
    var title: String
    var workload: ClassifiedWorkload
    var durationS: Double
    var warmupS: Double
    var planOptions: PlanOptions
    var traffic: (@Sendable (Plan, Double, UInt64) throws -> TraceSet)?
    var traces: [TraceFile]
    var trafficNote: String
    /// The 400-node cluster: its ablations are not run (each would take as long as its
    /// policies' run, which plans AlpaServe's search at every load twice: once for itself, once
    /// in EPARA's portfolio).
    var large = false
}

struct StudyError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum Studies {
    /// Every directory of bench/scenarios, in the order the document lists them.
    static let order = ["small", "medium", "large", "skewed", "edge-lab", "alpaserve"]

    /// The scenarios with a scenario.yaml under `root`, in document order.
    static func names(in root: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/scenario.yaml").path) }
            .sorted { (order.firstIndex(of: $0) ?? 99, $0) < (order.firstIndex(of: $1) ?? 99, $1) }
    }

    /// The studies a run takes: those `wanted` names (all but the large cluster when nil; the
    /// small cluster and the AlpaServe setting, shortened, when `quick`).
    static func load(root: URL, wanted: [String]?, quick: Bool, log: (String) -> Void) throws -> [Study] {
        let names = names(in: root)
        if names.isEmpty { throw StudyError("no scenarios in bench/scenarios (run from the repository root)") }
        if let unknown = wanted?.first(where: { !names.contains($0) }) {
            throw StudyError("--scenarios: no scenario '\(unknown)' in bench/scenarios (there are: \(names.joined(separator: ", ")))")
        }
        let catalog = BuiltinCatalog.load()
        return try names.compactMap { name in
            let selected = wanted.map { $0.contains(name) } ?? (quick ? ["small", "alpaserve"].contains(name) : true)
            guard selected else { return nil }
            do {
                return try study(name, directory: root.appendingPathComponent(name), wanted: wanted, quick: quick, catalog: catalog, log: log)
            } catch let error as StudyError {
                throw error
            } catch {
                throw StudyError("bench/scenarios/\(name): \(error)")
            }
        }
    }

    static func study(_ name: String, directory: URL, wanted: [String]?, quick: Bool, catalog: Catalog, log: (String) -> Void) throws -> Study? {
        var scenario = try ScenarioReader.read(directory: directory)
        // The large cluster runs only when asked (`make eval-large`): planning its 400 nodes up
        // to 16× demand for every policy takes past the half hour `make eval` is given.
        if scenario.large && wanted == nil { return nil }
        if quick {
            scenario.durationS = 60
            scenario.warmupS = 10
        }
        let workload = Classifier.classify(try DocumentReader.workload(try scenario.files.map { try SourceText.load($0) }, builtin: catalog))
        // The plan is made for the traffic that will arrive: the Services must say what the traces bring.
        for (service, rate) in scenario.tracedDemand() {
            guard let spec = workload.services.first(where: { $0.name == service })?.spec else {
                throw StudyError("\(name): no service '\(service)'")
            }
            if let planned = spec.demand?.ratePerS, abs(planned - rate) > 0.02 * rate {
                log(
                    "goodput-eval: warning: \(name): \(service) plans for \(TextTable.number(planned))/s but its trace brings \(String(format: "%.4f", rate))/s"
                )
            }
        }
        var options = PlanOptions(allowPartial: true)
        if let headroom = scenario.memoryHeadroom { options.memoryHeadroom = headroom }
        let fixed = scenario
        var traffic: (@Sendable (Plan, Double, UInt64) throws -> TraceSet)?
        if fixed.hasOwnTraffic {
            traffic = { plan, scale, seed in try fixed.traffic(plan: plan, load: scale, seed: seed, durationS: fixed.durationS) }
        }
        return Study(
            name: name, title: fixed.title, workload: workload, durationS: fixed.durationS, warmupS: fixed.warmupS,
            planOptions: options, traffic: traffic, traces: fixed.traces, trafficNote: fixed.note, large: fixed.large)
    }
}
