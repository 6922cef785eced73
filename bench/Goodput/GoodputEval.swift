// The capacity evaluation: `make eval` (or `swift run -c release goodput-eval [--quick]`).
// For every scenario (bench/scenarios/*/scenario.yaml, read by Scenarios.swift) and policy: the
// highest load at which SLO attainment stays at or above 99% and 90%, each load planned for its
// own demand, three seeds; goodput at fixed overloads; what each part of EPARA is worth in
// capacity; the fluid bound's capacity; faults at nominal load. Writes docs/results.md and its
// charts.
import ArgumentParser
import EparaCore
import EparaPlan
import Foundation

@main
struct GoodputEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "goodput-eval",
        abstract: "Measure every policy's capacity at 99% and 90% SLO attainment on the scenarios of bench/scenarios.",
        discussion: """
            Run from the repository root. Writes results.md (results-quick.md with --quick) and \
            results/*.svg and *.json under --out. A job that fails is listed under Failures in the \
            document with its reason, and the run exits 1.
            """)

    @Flag(help: "The smoke test: the small cluster and the AlpaServe setting, 60 s, one seed, no ablations or faults.")
    var quick = false

    @Option(help: ArgumentHelp("Where the document and its charts go (default: docs, or .build/eval-quick with --quick).", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Seeds, comma-separated (default: 1,2,3; 1 with --quick).", valueName: "n,n"))
    var seeds: String?

    @Option(help: ArgumentHelp("Policies, comma-separated (default: all; for experiments: the document wants all).", valueName: "names"))
    var policies: String?

    @Option(help: ArgumentHelp("Scenarios, comma-separated (default: all but the 400-node cluster).", valueName: "names"))
    var scenarios: String?

    func run() throws {
        let settings = Settings(quick: quick, seeds: try parsedSeeds(), policies: try parsedPolicies())
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let output = out ?? (quick ? ".build/eval-quick" : "docs")
        let studies: [Study]
        do {
            studies = try Studies.load(
                root: root.appendingPathComponent("bench/scenarios"), wanted: Self.list(scenarios), quick: quick, log: Self.log)
        } catch {
            throw ValidationError("\(error)")
        }
        let results = Experiments.run(studies, settings: settings, log: Self.log)
        let document = ResultsDocument(
            studies: studies, results: results, settings: settings,
            chartDirectory: URL(fileURLWithPath: output).appendingPathComponent("results"),
            discussion: (try? String(contentsOf: root.appendingPathComponent("bench/Goodput/discussion.md"), encoding: .utf8)) ?? "")
        let name = quick ? "results-quick.md" : "results.md"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try Data(document.render().utf8).write(to: URL(fileURLWithPath: output).appendingPathComponent(name))
        Self.log("wrote \(output)/\(name) (\(TextTable.number(results.wallS)) s)")
        let failures = results.failures(studies: studies)
        for failure in failures { Self.log("goodput-eval: \(failure.job) failed: \(failure.reason)") }
        if !failures.isEmpty { throw ExitCode.failure }
        if quick { try Self.checkBracketed(studies, results) }
    }

    /// A smoke test must fail loudly when something is off: every search brackets its answer (a
    /// load that met the target and one that missed), or found even the lowest load missing it.
    /// (The full run's ceiling is 16×: "none missed" there is a result, reported as such.)
    static func checkBracketed(_ studies: [Study], _ results: EvaluationResults) throws {
        for (i, s) in studies.enumerated() {
            guard let r = results.report(i, .policies) else { throw Failure("\(s.name): no result") }
            for p in r.policies {
                for c in p.capacities where !(c.bracketed || (c.scale == 0 && c.missedAt != nil)) {
                    throw Failure(
                        "\(s.name) \(p.policy.rawValue) at \(c.target): the search did not bracket its answer (met \(c.scale), missed \(c.missedAt.map { "\($0)" } ?? "nothing"))"
                    )
                }
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func log(_ message: String) { FileHandle.standardError.write(Data("\(message)\n".utf8)) }

    static func list(_ text: String?) -> [String]? { text.map { $0.split(separator: ",").map(String.init) } }

    func parsedSeeds() throws -> [UInt64] {
        guard let names = Self.list(seeds) else { return quick ? [1] : [1, 2, 3] }
        return try names.map { name in
            guard let seed = UInt64(name) else { throw ValidationError("--seeds: '\(name)' is not a seed (a whole number ≥ 0)") }
            return seed
        }
    }

    func parsedPolicies() throws -> [Policy] {
        guard let names = Self.list(policies) else { return Policy.allCases }
        return try names.map { name in
            guard let policy = Policy(rawValue: name) else {
                throw ValidationError(
                    "--policies: unknown policy '\(name)' (expected some of \(Policy.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return policy
        }
    }
}
