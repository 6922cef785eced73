@testable import EparaPlan
import EparaClassify
import EparaCore
import Foundation
import XCTest

final class DebugPlanTests: XCTestCase {
    func testDump() throws {
        guard ProcessInfo.processInfo.environment["EPARA_DEBUG"] == "1" else { return }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = try ["cluster", "services", "catalog"].map { try SourceText.load(root.appendingPathComponent("examples/edge-lab/\($0).yaml").path) }
        let w = try DocumentReader.workload(sources, builtin: BuiltinCatalog.load())
        let c = Classifier.classify(w)
        let p = Problem(workload: c, options: PlanOptions(allowPartial: true))
        let (cands, markets) = p.buildCandidates()
        let placement = Placement(candidates: cands, markets: markets, slotMemory: p.slots.map(\.usableMemoryGib))
        for cb in [false, true] {
            let r = placement.run(stages: p.stages(for: cands), lazy: true, costBenefit: cb)
            print("costBenefit", cb, "objective", r.objective)
            for i in r.chosen { let x = cands[i]; print("   ", p.instanceID(x), "share", x.share, "cap", x.capacityPerS, "lat", x.latencyMs, "pen", x.penalty, "cost", x.cost) }
        }
        for ctx in p.contexts where ["chat", "code-assist"].contains(ctx.service.name) {
            for x in cands.filter({ $0.service == ctx.index }) { print(p.instanceID(x), x.share, x.capacityPerS, x.latencyMs, x.penalty, x.cost) }
        }
    }
}
