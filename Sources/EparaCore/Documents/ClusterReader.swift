enum ClusterReader {
    static func read(_ document: YAMLMapping, into state: inout ReadState) {
        if let nodes = document.required("nodes", "a list of nodes")?.list() {
            if nodes.isEmpty { document.optional("nodes")?.error("expected at least one node, found an empty list") }
            for item in nodes {
                if let node = readNode(item, state: &state) {
                    state.nodes.append(Located(value: node, location: item.location, path: item.path))
                }
            }
        }
        if let value = document.optional("network") {
            if let existing = state.network {
                value.error("network is already defined at \(existing.location.description); give it once")
            } else if let network = readNetwork(value, state: &state) {
                state.network = Located(value: network, location: value.location, path: value.path)
            }
        }
    }

    static let nodeKeys = ["name", "site", "devices", "interconnect", "address"]

    static func readNode(_ value: YAMLValue, state: inout ReadState) -> ClusterNode? {
        guard let m = value.mapping(keys: nodeKeys) else { return nil }
        let name = m.required("name", "the node's name")?.name()
        let site = m.required("site", "the site the node is in")?.name()
        var groups: [DeviceGroup]? = nil
        if let list = m.required("devices", "a list of {type, count}")?.list() {
            if list.isEmpty { m.optional("devices")?.error("expected at least one device group, found an empty list") }
            let read = list.compactMap { item -> DeviceGroup? in
                guard let g = item.mapping(keys: ["type", "count"]) else { return nil }
                let typeValue = g.required("type", "a device type from the catalog")
                let type = typeValue?.name()
                if let type, let typeValue { state.refer(.deviceType, type, at: typeValue) }
                let count = g.optional("count").map { $0.integer(minimum: 1, maximum: 1024) } ?? 1
                guard let type, let count else { return nil }
                return DeviceGroup(type: type, count: count)
            }
            if read.count == list.count { groups = read }
        }
        let interconnect = m.optional("interconnect").map { readLink($0) } ?? Network.pcie4
        let addressValue = m.optional("address")
        let address = addressValue?.string()
        if let address, let addressValue, !(address.hasPrefix("http://") || address.hasPrefix("https://")) {
            addressValue.error("expected the gateway's URL, such as http://10.0.0.5:8080, found \(addressValue.found)")
            return nil
        }
        guard let name, let site, let groups, let interconnect else { return nil }
        var node = ClusterNode(name: name, site: site, devices: groups, interconnect: interconnect)
        node.address = address
        return node
    }

    static func readLink(_ value: YAMLValue, extraKeys: [String] = []) -> Link? {
        guard let m = value.mapping(keys: ["bandwidth", "latency"] + extraKeys) else { return nil }
        let bandwidth = m.required("bandwidth", Quantity.bandwidth.expectation)?.quantity(.bandwidth, above: 0)
        let latency = m.required("latency", Quantity.duration.expectation)?.quantity(.duration)
        guard let bandwidth, let latency else { return nil }
        return Link(bandwidthMbps: bandwidth, latencyMs: latency)
    }

    static func readNetwork(_ value: YAMLValue, state: inout ReadState) -> Network? {
        guard let m = value.mapping(keys: ["default", "links"]) else { return nil }
        let defaultLink = m.optional("default").map { readLink($0) } ?? Network.gigabitLAN
        var links: [SiteLink] = []
        var complete = true
        if let list = m.optional("links")?.list() {
            for item in list {
                guard let lm = item.mapping(keys: ["sites", "bandwidth", "latency"]) else { complete = false; continue }
                let sitesValue = lm.required("sites", "the two sites the link joins, as [a, b] (or [a, a] inside a site)")
                var sites: [String]? = nil
                if let sitesValue, let items = sitesValue.list() {
                    let names = items.compactMap { $0.name() }
                    if names.count != 2 || items.count != 2 {
                        sitesValue.error("expected two sites, as [a, b], found \(items.count) item(s)")
                    } else {
                        zip(names, items).forEach { state.refer(.site, $0.0, at: $0.1) }
                        sites = names
                    }
                }
                let link = readLink(item, extraKeys: ["sites"])
                guard let sites, let link else { complete = false; continue }
                if links.contains(where: { Set($0.sites) == Set(sites) }) {
                    item.error("a link between \(sites[0]) and \(sites[1]) is already defined")
                    complete = false
                    continue
                }
                links.append(SiteLink(sites: sites, bandwidthMbps: link.bandwidthMbps, latencyMs: link.latencyMs))
            }
        }
        guard let defaultLink, complete else { return nil }
        return Network(default: defaultLink, links: links)
    }
}

public enum ServicesReader {
    static func read(_ document: YAMLMapping, into state: inout ReadState) {
        guard let list = document.required("services", "a list of services")?.list() else { return }
        if list.isEmpty { document.optional("services")?.error("expected at least one service, found an empty list") }
        for item in list {
            if let service = readService(item, state: &state) {
                state.services.append(Located(value: service, location: item.location, path: item.path))
            }
        }
    }

    static let keys = ["name", "model", "slo", "demand", "stream", "origin", "priority", "category", "backend"]

    static func readService(_ value: YAMLValue, state: inout ReadState) -> Service? {
        guard let m = value.mapping(keys: keys) else { return nil }
        let name = m.required("name", "the service's name")?.name()
        let modelValue = m.required("model", "a model from the catalog")
        let model = modelValue?.name()
        if let model, let modelValue { state.refer(.model, model, at: modelValue) }
        let slo = m.required("slo", "the service level objective: {latency} or {ttft, tpot}").flatMap(readSLO)
        var ok = true
        var demand: Demand? = nil
        var stream: StreamDemand? = nil
        switch (m.optional("demand"), m.optional("stream")) {
        case (nil, nil):
            m.error("expected either demand (a request rate) or stream (streams and fps)")
            ok = false
        case let (_?, s?):
            s.error("a service has either demand or stream, not both")
            ok = false
        case let (d?, nil):
            demand = readDemand(d)
            ok = demand != nil
        case let (nil, s?):
            stream = readStream(s)
            ok = stream != nil
        }
        var origin: [String] = []
        if let originValue = m.optional("origin") {
            if let names = originValue.names() {
                origin = names
                names.forEach { state.refer(.siteOrNode, $0, at: originValue) }
            } else {
                ok = false
            }
        }
        let priority = m.optional("priority").map { $0.number(above: 0) } ?? 1
        let category = m.optional("category").map(readCategory) ?? .some(nil)
        let backend = m.optional("backend").map(readBackend) ?? .some(nil)
        guard ok, let name, let model, let slo, let priority, let category, let backend else { return nil }
        return Service(
            name: name, model: model, slo: slo, demand: demand, stream: stream, origin: origin,
            priority: priority, category: category, backend: backend)
    }

    static func readSLO(_ value: YAMLValue) -> SLO? {
        guard let m = value.mapping(keys: ["latency", "ttft", "tpot"]) else { return nil }
        if m.order.isEmpty {
            // Keys that were all unknown have been reported already, each with its hint.
            if value.isEmptyMapping { value.error("expected latency, or ttft and tpot, found an empty mapping") }
            return nil
        }
        let latency = m.optional("latency").map { $0.quantity(.duration, above: 0) }
        let ttft = m.optional("ttft").map { $0.quantity(.duration, above: 0) }
        let tpot = m.optional("tpot").map { $0.quantity(.duration, above: 0) }
        if latency == .some(nil) || ttft == .some(nil) || tpot == .some(nil) { return nil }
        if (ttft == nil) != (tpot == nil) {
            value.error("ttft and tpot go together: give both")
            return nil
        }
        return SLO(latencyMs: latency ?? nil, ttftMs: ttft ?? nil, tpotMs: tpot ?? nil)
    }

    static func readDemand(_ value: YAMLValue) -> Demand? {
        guard let m = value.mapping(keys: ["rate", "input_tokens", "output_tokens", "cv"]) else { return nil }
        let rate = m.required("rate", Quantity.rate.expectation)?.quantity(.rate, above: 0)
        let input = m.optional("input_tokens").map { $0.number(minimum: 1) }
        let output = m.optional("output_tokens").map { $0.number(minimum: 1) }
        let cv = m.optional("cv").map { value -> Double? in
            guard let cv = value.number(above: 0) else { return nil }
            guard cv <= 20 else {
                value.error("expected a coefficient of variation from 0 to 20 (1 is Poisson), found \(cv)")
                return nil
            }
            return cv
        }
        if input == .some(nil) || output == .some(nil) || cv == .some(nil) { return nil }
        guard let rate else { return nil }
        return Demand(ratePerS: rate, inputTokens: input ?? nil, outputTokens: output ?? nil, cv: cv ?? nil)
    }

    static func readStream(_ value: YAMLValue) -> StreamDemand? {
        guard let m = value.mapping(keys: ["streams", "fps"]) else { return nil }
        let streams = m.required("streams", "the number of concurrent streams")?.integer(minimum: 1, maximum: 1_000_000)
        let fps = m.required("fps", "frames per second per stream")?.number(above: 0)
        guard let streams, let fps else { return nil }
        if fps > 1000 {
            m.optional("fps")?.error("expected at most 1000 frames per second, found \(fps)")
            return nil
        }
        return StreamDemand(streams: streams, fps: fps)
    }

    static func readCategory(_ value: YAMLValue) -> DeclaredCategory? {
        guard let m = value.mapping(keys: ["request", "resource"]) else { return nil }
        let request = m.optional("request").map { v in v.oneOf(RequestCategory.spellings).flatMap { RequestCategory(spelling: $0) } }
        let resource = m.optional("resource").map { v in v.oneOf(ResourceCategory.spellings).flatMap { ResourceCategory(spelling: $0) } }
        if request == .some(nil) || resource == .some(nil) { return nil }
        return DeclaredCategory(request: request ?? nil, resource: resource ?? nil)
    }

    static func readBackend(_ value: YAMLValue) -> Backend? { readBackend(value, extraKeys: []) }

    /// A `backend` mapping ({type, url, model}); `extraKeys` are read by the caller.
    public static func readBackend(_ value: YAMLValue, extraKeys: [String]) -> Backend? {
        guard let m = value.mapping(keys: ["type", "url", "model"] + extraKeys) else { return nil }
        let type = m.required("type", "openai, kserve-v2 or emulated")?
            .oneOf(BackendKind.allCases.map(\.rawValue)).flatMap(BackendKind.init(rawValue:))
        let urlValue = m.optional("url")
        let url = urlValue?.string()
        if let url, let urlValue, BackendURL(url) == nil {
            urlValue.error("expected an http:// or https:// URL of a server (http://host:port), found \(urlValue.found)")
            return nil
        }
        let model = m.optional("model")?.string()
        guard let type else { return nil }
        if type != .emulated && url == nil {
            m.error("backend type \(type.rawValue) needs a url")
            return nil
        }
        return Backend(type: type, url: url, model: model)
    }
}
