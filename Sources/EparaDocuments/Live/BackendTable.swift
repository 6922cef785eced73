import EparaCore

/// Every instance's backend: the `--backends` entry for its service and node, else the
/// service's, else the Services document's `backend`, else the emulated one.
public struct BackendTable: Sendable, Equatable {
    /// What one entry decides: where the work goes, and (for `epara manifests`) how its server runs.
    struct Choice: Sendable, Equatable {
        var target: BackendTarget
        var server: ModelServerSpec?
    }

    var byService: [String: Choice]
    var byServiceNode: [String: Choice]
    var byInstance: [String: Choice] = [:]
    /// Services with a model server on at least one node (read on every request).
    var realServices: Set<String> = []

    public init(plan: Plan, document: BackendsDocument? = nil) {
        byService = [:]
        byServiceNode = [:]
        for service in plan.services {
            if let spec = service.spec.backend {
                byService[service.name] = Choice(target: BackendTarget(kind: spec.type, url: spec.url, model: spec.model ?? service.name))
            }
        }
        for entry in document?.entries ?? [] {
            let choice = Choice(target: entry.target, server: entry.server)
            if let instance = entry.instance {
                byInstance[instance] = choice
            } else if let node = entry.node {
                byServiceNode[entry.service + "@" + node] = choice
            } else {
                byService[entry.service] = choice
            }
        }
        realServices = Set(
            plan.services.map(\.name).filter { service in
                byService[service]?.target.isReal ?? false
                    || byServiceNode.contains { $0.key.hasPrefix(service + "@") && $0.value.target.isReal }
                    || plan.instances.contains { $0.service == service && byInstance[$0.id]?.target.isReal ?? false }
            })
    }

    /// The entry that decides an instance: its own, else its service's on its node, else its service's.
    func choice(service: String, node: String, instance: String?) -> Choice? {
        instance.flatMap { byInstance[$0] } ?? byServiceNode[service + "@" + node] ?? byService[service]
    }

    /// An instance's backend (the emulated one when no entry decides it).
    public func target(service: String, node: String, instance: String? = nil) -> BackendTarget {
        choice(service: service, node: node, instance: instance)?.target ?? BackendTarget(kind: .emulated, model: service)
    }

    /// How an instance's model server runs in Kubernetes, when the entry that decides it says.
    public func server(service: String, node: String, instance: String? = nil) -> ModelServerSpec? {
        choice(service: service, node: node, instance: instance)?.server
    }

    /// A service served by real model servers (then each request is one call to them).
    public func isReal(service: String) -> Bool { realServices.contains(service) }
}
