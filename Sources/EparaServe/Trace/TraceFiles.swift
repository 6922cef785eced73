import EparaCore
import Foundation

/// A trace file on the command line, optionally bound to a service (`chat=trace.csv`) or to
/// several that share it (`chat-a,chat-b=trace.csv`).
public struct TraceFile: Sendable, Equatable {
    public var path: String
    public var service: String?

    public init(path: String, service: String? = nil) {
        self.path = path
        self.service = service
    }

    /// `SERVICE=PATH` or `PATH`.
    public init(argument: String) {
        if let eq = argument.firstIndex(of: "="), !argument[..<eq].contains("/") {
            self.init(path: String(argument[argument.index(after: eq)...]), service: String(argument[..<eq]))
        } else {
            self.init(path: argument)
        }
    }
}

/// Names the readers resolve: services and nodes (or sites) of the plan being served.
public struct TraceNames: Sendable {
    public var services: [String: ServiceIndex]
    public var nodes: [String: NodeIndex]
    /// Site name → its nodes.
    public var sites: [String: [NodeIndex]]

    public init(deployment: Deployment) {
        services = deployment.serviceIndex
        nodes = deployment.nodeIndex
        var sites: [String: [NodeIndex]] = [:]
        for (i, node) in deployment.nodes.indexed() { sites[node.site, default: []].append(i) }
        self.sites = sites
    }

    func service(_ name: Substring, at location: SourceLocation) throws(InputError) -> ServiceIndex {
        if let index = services[String(name)] { return index }
        let hint = Suggestion.closest(to: String(name), in: Array(services.keys)).map { " (did you mean '\($0)'?)" } ?? ""
        throw InputError(
            .badData, at: location, path: "service",
            "unknown service '\(name)'\(hint); the plan has \(services.keys.sorted().joined(separator: ", "))")
    }

    /// The node named, or for a site one of its nodes drawn from the file's stream.
    func origin(_ name: Substring, at location: SourceLocation, random: inout SeededRandom) throws(InputError) -> NodeIndex {
        if let index = nodes[String(name)] { return index }
        if let members = sites[String(name)], !members.isEmpty {
            return members[Int(random.next() % UInt64(members.count))]
        }
        let hint = Suggestion.closest(to: String(name), in: Array(nodes.keys) + Array(sites.keys)).map { " (did you mean '\($0)'?)" } ?? ""
        throw InputError(.badData, at: location, path: "origin", "unknown node or site '\(name)'\(hint)")
    }
}
