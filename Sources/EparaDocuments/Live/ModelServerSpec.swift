import EparaCore

/// How a real backend's model server runs in Kubernetes, from a Backends entry: the container
/// image, its arguments (with placeholders the manifests fill in per instance), the port it
/// listens on and, optionally, the path that answers 200 once the model is loaded.
public struct ModelServerSpec: Sendable, Equatable {
    public var image: String
    public var args: [String]
    /// Where each argument came from, for errors the manifests find in them.
    public var argLocations: [SourceLocation]
    public var port: Int
    public var healthPath: String?

    /// The placeholders an argument may hold, replaced per instance by `epara manifests`.
    public static let placeholders = [
        "model", "port", "instance", "gpus", "tensor_parallel", "pipeline_parallel", "memory_fraction", "rank",
        "group_size", "head",
    ]

    static func read(_ m: YAMLMapping) -> ModelServerSpec? {
        guard let imageValue = m.optional("image") else {
            for key in ["args", "port", "health"] {
                m.optional(key)?.error("\(key) goes with image: the model server's container image")
            }
            return nil
        }
        let image = imageValue.string()
        if let image, image.isEmpty || image.contains(where: \.isWhitespace) {
            imageValue.error("expected a container image reference, such as vllm/vllm-openai:v0.6.3, found \(imageValue.found)")
        }
        var args: [String] = [], locations: [SourceLocation] = []
        for value in m.optional("args")?.list() ?? [] {
            guard let arg = value.string() else { continue }
            for name in Self.placeholderNames(in: arg) where !placeholders.contains(name) {
                value.error("unknown placeholder {\(name)} (known: \(placeholders.map { "{\($0)}" }.joined(separator: ", ")))")
            }
            args.append(arg)
            locations.append(value.location)
        }
        let port = m.optional("port").map { $0.integer(minimum: 1, maximum: 65535) } ?? nil
        let health = m.optional("health").flatMap { value -> String? in
            guard let path = value.string() else { return nil }
            guard path.hasPrefix("/") else {
                value.error("expected an HTTP path, such as /health, found \(value.found)")
                return nil
            }
            return path
        }
        guard let image else { return nil }
        let url = m.optional("url")?.string()
        return ModelServerSpec(
            image: image, args: args, argLocations: locations, port: port ?? url.flatMap(Self.port(of:)) ?? 8000,
            healthPath: health)
    }

    /// The port of an `http://host:port/...` URL.
    static func port(of url: String) -> Int? {
        guard let hostPart = url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first,
            let colon = hostPart.lastIndex(of: ":")
        else { return nil }
        return Int(hostPart[hostPart.index(after: colon)...])
    }

    /// The names inside `{…}` in an argument.
    public static func placeholderNames(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}
