import EparaCore

/// A `Peers` document (`--peers FILE`): the gateway URL of each node another process hosts
/// (overriding the cluster's `address` fields).
///
/// ```yaml
/// apiVersion: epara/v1
/// kind: Peers
/// peers:
///   gpu-server-a: http://10.0.0.1:8080
///   orin-agx-1: http://10.0.0.9:8080
/// ```
public enum PeersDocument {
    public static func read(_ source: SourceText, plan: Plan) throws(InputError) -> [String: String] {
        let (document, sink) = try DocumentReader.single(source, kind: "Peers", keys: ["peers"])
        let nodes = plan.cluster.nodes.map(\.name)
        var peers: [String: String] = [:]
        if let m = document {
            for entry in m.required("peers", "a mapping of node name to gateway URL")?.entries() ?? [] {
                guard nodes.contains(entry.key) else {
                    let hint = Suggestion.closest(to: entry.key, in: nodes).map { "; did you mean '\($0)'?" } ?? ""
                    entry.value.error("unknown node '\(entry.key)'\(hint)")
                    continue
                }
                guard let url = entry.value.string() else { continue }
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    entry.value.error("expected the gateway's URL, such as http://10.0.0.5:8080, found \(entry.value.found)")
                    continue
                }
                peers[entry.key] = url
            }
        }
        try sink.check()
        return peers
    }
}
