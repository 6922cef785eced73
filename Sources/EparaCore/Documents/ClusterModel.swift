// The Cluster document: nodes, their devices, sites and the links between them.

/// Bandwidth and latency of a network path.
public struct Link: Codable, Hashable, Sendable {
    public var bandwidthMbps: Double
    public var latencyMs: Double

    public init(bandwidthMbps: Double, latencyMs: Double) {
        self.bandwidthMbps = bandwidthMbps
        self.latencyMs = latencyMs
    }

    /// Time to move `bytes` over this link, one way.
    public func transferMs(bytes: Double) -> Double {
        latencyMs + bytes * 8 / (bandwidthMbps * 1000)
    }
}

public struct DeviceGroup: Codable, Hashable, Sendable {
    public var type: String
    public var count: Int

    public init(type: String, count: Int) {
        self.type = type
        self.count = count
    }
}

public struct ClusterNode: Codable, Hashable, Sendable {
    public var name: String
    public var site: String
    public var devices: [DeviceGroup]
    /// Between devices inside this node (PCIe or NVLink).
    public var interconnect: Link
    /// URL of the node's live gateway, for the other gateways (`serve --engine live --node`).
    public var address: String?

    public init(name: String, site: String, devices: [DeviceGroup], interconnect: Link = Network.pcie4) {
        self.name = name
        self.site = site
        self.devices = devices
        self.interconnect = interconnect
    }
}

public struct SiteLink: Codable, Hashable, Sendable {
    public var sites: [String]
    public var bandwidthMbps: Double
    public var latencyMs: Double

    public init(sites: [String], bandwidthMbps: Double, latencyMs: Double) {
        self.sites = sites
        self.bandwidthMbps = bandwidthMbps
        self.latencyMs = latencyMs
    }

    public var link: Link { Link(bandwidthMbps: bandwidthMbps, latencyMs: latencyMs) }
}

public struct Network: Codable, Hashable, Sendable {
    /// Between any two nodes that no site link describes.
    public var `default`: Link
    public var links: [SiteLink] {
        didSet { linkIndex = Self.index(links) }
    }
    /// Link by site pair: planning asks for links in its inner loops, and a cluster of many
    /// sites has links quadratic in their number.
    private var linkIndex: [String: Int]

    /// PCIe 4.0 x16: 32 GB/s per direction (PCI-SIG), about 10 µs per transfer.
    public static let pcie4 = Link(bandwidthMbps: 256_000, latencyMs: 0.01)
    /// When a Cluster names no network: switched gigabit Ethernet, 0.5 ms.
    public static let gigabitLAN = Link(bandwidthMbps: 1000, latencyMs: 0.5)

    public init(default: Link = Network.gigabitLAN, links: [SiteLink] = []) {
        self.default = `default`
        self.links = links
        linkIndex = Self.index(links)
    }

    enum CodingKeys: String, CodingKey { case `default`, links }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(default: try container.decode(Link.self, forKey: .default), links: try container.decode([SiteLink].self, forKey: .links))
    }

    static func key(_ a: String, _ b: String) -> String { a < b ? "\(a)\u{0}\(b)" : "\(b)\u{0}\(a)" }

    static func index(_ links: [SiteLink]) -> [String: Int] {
        var index: [String: Int] = [:]
        for (i, link) in links.enumerated() where link.sites.count == 2 {
            index[key(link.sites[0], link.sites[1])] = index[key(link.sites[0], link.sites[1])] ?? i
        }
        return index
    }

    /// The link between two sites (order does not matter).
    public func link(_ a: String, _ b: String) -> Link {
        linkIndex[Self.key(a, b)].map { links[$0].link } ?? `default`
    }
}

public struct Cluster: Codable, Hashable, Sendable {
    public var name: String
    public var nodes: [ClusterNode] {
        didSet { nodeIndex = Self.index(nodes) }
    }
    public var network: Network
    /// Position of each node by name: planning looks nodes up in its inner loops.
    private var nodeIndex: [String: Int]

    public init(name: String, nodes: [ClusterNode], network: Network) {
        self.name = name
        self.nodes = nodes
        self.network = network
        nodeIndex = Self.index(nodes)
    }

    enum CodingKeys: String, CodingKey { case name, nodes, network }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            name: try container.decode(String.self, forKey: .name), nodes: try container.decode([ClusterNode].self, forKey: .nodes),
            network: try container.decode(Network.self, forKey: .network))
    }

    static func index(_ nodes: [ClusterNode]) -> [String: Int] {
        Dictionary(nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var sites: [String] { Array(Set(nodes.map(\.site))).sorted() }

    public func node(_ name: String) -> ClusterNode? { nodeIndex[name].map { nodes[$0] } }

    /// The path between two nodes: their interconnect when they are the same node.
    public func link(from a: ClusterNode, to b: ClusterNode) -> Link {
        a.name == b.name ? a.interconnect : network.link(a.site, b.site)
    }
}
