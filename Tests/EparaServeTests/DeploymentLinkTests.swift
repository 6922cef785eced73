import EparaCore
import EparaPlan
import XCTest

@testable import EparaServe

/// The deployment keeps links per site pair, not per node pair; every node pair must still see
/// the cluster's link, and a link fault and its repair must reach every pair of its two sites.
final class DeploymentLinkTests: XCTestCase {
    func testEveryNodePairSeesTheClustersLinkAndFaultsReachEveryPairOfTheirSites() throws {
        let workload = RandomWorkloads.make(seed: 3)
        var deployment = Deployment(plan: try Planner.plan(workload, options: PlanOptions(allowPartial: true)))
        let nodes = deployment.nodes
        XCTAssertGreaterThan(nodes.count, 2)
        func check(_ expected: (ClusterNode, ClusterNode) -> Link) {
            for (i, a) in nodes.enumerated() {
                for (j, b) in nodes.enumerated() {
                    XCTAssertEqual(deployment.link(NodeIndex(i), NodeIndex(j)), expected(a, b), "\(a.name) → \(b.name)")
                }
            }
        }
        check { workload.cluster.link(from: $0, to: $1) }
        let slow = Link(bandwidthMbps: 20, latencyMs: 40)
        deployment.setLink(sites: ("b", "a"), to: slow)
        check { a, b in a.name != b.name && a.site != b.site ? slow : workload.cluster.link(from: a, to: b) }
        XCTAssertEqual(deployment.transferS(bytes: 0, from: 0, to: 1), 0.04, accuracy: 1e-12)
        deployment.setLink(sites: ("a", "b"), to: Link?.none)
        check { workload.cluster.link(from: $0, to: $1) }
    }
}
