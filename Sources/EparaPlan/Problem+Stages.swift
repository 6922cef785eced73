import EparaClassify
import EparaCore

// The greedy's stages: EPARA's categories in turn, or every candidate at once.
extension Problem {
    var stages: [PlacementStage] {
        let priorityServices = Set(contexts.filter { $0.service.priority > 1 }.map(\.index))
        guard rules.stagedByCategory else {
            return [PlacementStage(name: "all instances", admits: { _ in true }, acceptsTies: false)]
        }
        return [
            PlacementStage(name: "priority services", admits: { priorityServices.contains($0.service) }, acceptsTies: true),
            PlacementStage(name: "single-device instances", admits: { !$0.isModelParallel }, acceptsTies: false),
            PlacementStage(name: "model-parallel groups", admits: { $0.isModelParallel }, acceptsTies: false),
        ]
    }
}
