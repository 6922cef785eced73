import EparaClassify
import EparaCore
import EparaPlan
import EparaReport
import EparaServe
import Foundation
import XCTest

/// Random mutations of the example's plan and run — numbers, strings, deletions, duplications —
/// read as `serve`, `plan --previous` and `report` read them: each is refused as bad data or
/// accepted, and what is accepted is served, replanned from and reported without a trap (a trap
/// would end this test process). Deterministic: the mutations come from fixed seeds.
final class DocumentFuzzTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("EndToEndTests/Fixtures/golden")

    func testMutatedPlansAreRefusedOrServedNeverTrapped() throws {
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.golden.appendingPathComponent("edge-lab.plan.json")))
        var refused = 0, served = 0
        for seed in 1...1000 as ClosedRange<UInt64> {
            var random = SeededRandom(seed: seed)
            let text = Mutator.mutate(original, random: &random, count: 1 + Int(seed % 3))
            let plan: Plan
            do {
                plan = try StageDocument<Plan>.read(SourceText(name: "fuzz-\(seed).json", text: text), kind: "Plan", producedBy: "epara plan").value
            } catch {
                XCTAssertEqual(error.kind, .badData, "seed \(seed): \(error)")
                XCTAssertFalse(error.diagnostics.isEmpty, "seed \(seed)")
                refused += 1
                continue
            }
            served += 1
            // What `serve` builds from it, a second of arrivals, and `plan --previous` from it.
            let deployment = Deployment(plan: plan)
            let trace = try TraceBuilder.build(TraceOptions(durationS: 1, seed: seed), deployment: deployment)
            let run = try SimEngine(plan: plan, trace: trace, options: SimOptions(replanEveryS: 0)).run()
            XCTAssertEqual(run.summary.counts.ended, run.summary.counts.arrivals, "seed \(seed): every request accounted for")
            let workload = ClassifiedWorkload(
                inputDigest: plan.workloadDigest, thresholds: Thresholds(), cluster: plan.cluster,
                catalog: plan.catalog, services: plan.services, summary: [:])
            var options = plan.replanOptions
            options.previous = plan
            options.allowPartial = true
            _ = try? Planner.plan(workload, options: options)
        }
        XCTAssertGreaterThan(refused, 200, "the mutations reach the checks")
        XCTAssertGreaterThan(served, 60, "and some mutations are harmless")
    }

    func testMutatedRunsAreRefusedOrReportedNeverTrapped() throws {
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.golden.appendingPathComponent("edge-lab.run.json")))
        var refused = 0
        for seed in 1...1000 as ClosedRange<UInt64> {
            var random = SeededRandom(seed: seed &* 7919)
            let text = Mutator.mutate(original, random: &random, count: 1 + Int(seed % 3))
            let run: Run
            do {
                run = try StageDocument<Run>.read(SourceText(name: "fuzz-\(seed).json", text: text), kind: "Run", producedBy: "epara serve").value
            } catch {
                XCTAssertEqual(error.kind, .badData, "seed \(seed): \(error)")
                refused += 1
                continue
            }
            let report = Analysis.analyse(run, label: "fuzz", source: "fuzz-\(seed).json")
            _ = try? Compare.checkComparable([report, report], sameTrace: true)
            _ = Compare.comparison([report, report], baseline: report, forced: true)
        }
        XCTAssertGreaterThan(refused, 200)
    }
}

/// Random changes to a JSON tree: a number made negative, zero, huge, fractional or not finite;
/// a string replaced; a key deleted; a list element duplicated or removed.
enum Mutator {
    static func mutate(_ root: Any, random: inout SeededRandom, count: Int) -> String {
        var tree = root
        var raw: [String] = []
        for _ in 0..<count { mutateOne(&tree, random: &random, raw: &raw) }
        var text = String(decoding: (try? JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
        // Numbers JSON cannot carry are written into the text in place of their markers.
        for (k, literal) in raw.enumerated() { text = text.replacingOccurrences(of: "\"@@raw\(k)@@\"", with: literal) }
        return text
    }

    static func mutateOne(_ node: inout Any, random: inout SeededRandom, raw: inout [String]) {
        if var object = node as? [String: Any], !object.isEmpty {
            let keys = object.keys.sorted()
            let key = keys[Int(random.unit() * Double(keys.count)) % keys.count]
            if random.unit() < 0.08 {
                object.removeValue(forKey: key)
            } else if var child = object[key] {
                mutateOne(&child, random: &random, raw: &raw)
                object[key] = child
            }
            node = object
        } else if var list = node as? [Any], !list.isEmpty {
            let index = Int(random.unit() * Double(list.count)) % list.count
            let draw = random.unit()
            if draw < 0.06 {
                list.insert(list[index], at: index)
            } else if draw < 0.1 {
                list.remove(at: index)
            } else {
                mutateOne(&list[index], random: &random, raw: &raw)
            }
            node = list
        } else if let value = (node as? Double) ?? (node as? Int).map(Double.init) ?? (node as? NSNumber)?.doubleValue {
            let choices: [Any] = [-value, 0, value * 1e9, value + 0.5, -1, 1e300]
            let draw = Int(random.unit() * 8) % 8
            if draw >= 6 {
                raw.append(draw == 6 ? "1e999" : "-1e999")
                node = "@@raw\(raw.count - 1)@@"
            } else {
                node = choices[draw]
            }
        } else if node is String {
            let choices = ["", "nowhere", "h100", "chat", "x/y#9", String(repeating: "a", count: 300)]
            node = choices[Int(random.unit() * Double(choices.count)) % choices.count]
        } else if node is NSNull || node is Bool {
            node = random.unit() < 0.5 ? 3 : "true"
        }
    }
}
