import XCTest

@testable import EparaCore

final class DocumentReaderTests: XCTestCase {
    let builtin = BuiltinCatalog.load()

    static let cluster = """
        apiVersion: epara/v1
        kind: Cluster
        nodes:
          - {name: g, site: lab, devices: [{type: rtx-4090, count: 2}]}
          - {name: j, site: floor, devices: [{type: jetson-orin-nx-16gb}]}
        network:
          links: [{sites: [lab, floor], bandwidth: 100Mbps, latency: 8ms}]
        """
    static let services = """
        apiVersion: epara/v1
        kind: Services
        services:
          - {name: cams, model: yolo11n, slo: {latency: 50ms}, stream: {streams: 2, fps: 15}, origin: floor}
        """

    func testDocumentsMergeByKindAcrossFilesAndSeparators() throws {
        let w = try DocumentReader.workload(
            [SourceText(name: "a.yaml", text: Self.cluster + "\n---\n" + Self.services)], builtin: builtin)
        XCTAssertEqual(w.cluster.nodes.map(\.name), ["g", "j"])
        XCTAssertEqual(w.services.map(\.name), ["cams"])
        XCTAssertEqual(w.cluster.network.link("floor", "lab").latencyMs, 8)
        XCTAssertEqual(w.cluster.network.link("lab", "lab"), Network.gigabitLAN)
        XCTAssertEqual(w.services[0].offeredRate, 30)

        let split = try DocumentReader.workload(
            [SourceText(name: "s.yaml", text: Self.services), SourceText(name: "c.yaml", text: Self.cluster)], builtin: builtin)
        XCTAssertEqual(split, w)
    }

    func testJSONIsAcceptedToo() throws {
        let json =
            #"{"apiVersion": "epara/v1", "kind": "Services", "services": [{"name": "cams", "model": "yolo11n", "slo": {"latency": "50ms"}, "stream": {"streams": 2, "fps": 15}}]}"#
        let w = try DocumentReader.workload(
            [SourceText(name: "c.yaml", text: Self.cluster), SourceText(name: "s.json", text: json)],
            builtin: builtin)
        XCTAssertEqual(w.services[0].slo.latencyMs, 50)
    }

    func testUserCatalogOverridesBuiltin() throws {
        let catalog = """
            apiVersion: epara/v1
            kind: Catalog
            devices:
              - {name: rtx-4090, class: gpu, memory: 48GB, fp16: 200TFLOPS, memory_bandwidth: 1TB/s}
            """
        let merged = try DocumentReader.catalog([SourceText(name: "c.yaml", text: catalog)], builtin: builtin)
        let device = merged.device("rtx-4090")!
        XCTAssertEqual(device.fp16Tflops, 200)
        XCTAssertEqual(device.int8Tops, 400, "int8 defaults to twice fp16")
        XCTAssertEqual(device.source, "user catalog")
        XCTAssertEqual(merged.devices.count, builtin.devices.count)
    }

    func testErrorsCarryFileLineColumnAndPath() {
        let bad = Self.services.replacingOccurrences(of: "fps: 15", with: "fps: fast")
        XCTAssertThrowsError(
            try DocumentReader.workload(
                [
                    SourceText(name: "c.yaml", text: Self.cluster),
                    SourceText(name: "s.yaml", text: bad),
                ], builtin: builtin)
        ) { error in
            let e = error as! InputError
            XCTAssertEqual(e.exitCode, 65)
            XCTAssertEqual(
                e.diagnostics.map(\.description),
                [#"s.yaml:4:82: error: services[0].stream.fps: expected a number, found the string "fast""#])
        }
    }

    func testNewerApiVersionIsRefused() {
        let newer = Self.cluster.replacingOccurrences(of: "epara/v1", with: "epara/v3")
        XCTAssertThrowsError(
            try DocumentReader.workload(
                [
                    SourceText(name: "c.yaml", text: newer),
                    SourceText(name: "s.yaml", text: Self.services),
                ], builtin: builtin)
        ) { error in
            XCTAssertTrue((error as! InputError).description.contains("newer than this epara understands"))
        }
    }

    func testBuiltinCatalogReadsAndEveryEntryHasASource() {
        XCTAssertGreaterThanOrEqual(builtin.devices.count, 10)
        XCTAssertGreaterThanOrEqual(builtin.models.count, 12)
        for device in builtin.devices { XCTAssertGreaterThan(device.source.count, 30, device.name) }
        for model in builtin.models { XCTAssertGreaterThan(model.source.count, 20, model.name) }
    }

    func testJSONKeysCarryUnits() throws {
        let data = try JSONOutput.document(builtin.device("l4")!)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"memory_gib\""))
        XCTAssertTrue(text.contains("\"fp16_tflops\""))
        XCTAssertTrue(text.contains("\"class\" : \"gpu\""))
        let back = try JSONOutput.decoder().decode(DeviceType.self, from: data)
        XCTAssertEqual(back, builtin.device("l4")!)
    }

    /// The composer bounds what aliases add, not a document's own size: a large plain document
    /// (a big cluster's Run) reads back; a small one that aliases explode is refused.
    func testAliasLimitCountsExpansionNotSize() throws {
        func compose(_ text: String) throws(InputError) -> [YAMLNode] {
            try YAMLComposer.compose(text, file: "t.yaml", maximumAliasNodes: 1000)
        }
        let plain = "[" + (0..<5000).map(String.init).joined(separator: ", ") + "]"
        XCTAssertNoThrow(try compose(plain))
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...4 { bomb += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n" }
        XCTAssertThrowsError(try compose(bomb)) { error in
            XCTAssertEqual(
                (error as? InputError)?.diagnostics.map(\.description),
                ["t.yaml:3:50: error: aliases expand the document by more than 1000 nodes (an alias bomb?)"])
        }
        XCTAssertNoThrow(try compose("a: &a [1, 2]\nb: *a\n"), "ordinary reuse stays usable")
    }
}
