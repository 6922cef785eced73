import ArgumentParser
import EparaCore

struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "List the device types, models and profiles epara knows.",
        discussion: """
            Prints the built-in catalog, extended or overridden by any Catalog documents given. \
            JSON by default; a table when standard output is a terminal or with --format table. \
            Every entry carries the source of its numbers.

            Examples:
              epara catalog
              epara catalog my-devices.yaml --format json | jq '.devices[].name'
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, table
    }

    @Argument(help: ArgumentHelp("Catalog documents that extend or override the built-in one; - reads standard input.",
                                 valueName: "file"))
    var files: [String] = []

    @Option(help: "Output format (default: table on a terminal, json otherwise).")
    var format: Format?

    func run() throws {
        try StageIO.run {
            let sources = files.isEmpty ? [] : try StageIO.load(files)
            let catalog = try DocumentReader.catalog(sources, builtin: BuiltinCatalog.load())
            switch format ?? (StageIO.stdoutIsTerminal ? .table : .json) {
            case .json:
                try StageIO.writeStdout(try JSONOutput.document(CatalogDocument(catalog: catalog)))
            case .table:
                try StageIO.writeStdout(CatalogTable.render(catalog))
            }
        }
    }
}

struct CatalogDocument: Encodable {
    var apiVersion = DocumentReader.apiVersion
    var kind = "Catalog"
    var devices: [DeviceType]
    var models: [ModelSpec]
    var profiles: [Profile]

    init(catalog: Catalog) {
        devices = catalog.devices
        models = catalog.models
        profiles = catalog.profiles
    }
}

enum CatalogTable {
    static func render(_ catalog: Catalog) -> String {
        var out = "DEVICES\n"
        out += TextTable.render(
            header: ["name", "class", "memory GiB", "fp16 TFLOPS", "int8 TOPS", "mem GB/s"],
            rows: catalog.devices.map {
                [$0.name, $0.deviceClass.rawValue, fmt($0.memoryGib), fmt($0.fp16Tflops), fmt($0.int8Tops), fmt($0.memoryBandwidthGbytesPerS)]
            })
        out += "\nMODELS\n"
        out += TextTable.render(
            header: ["name", "kind", "precision", "params", "weights GiB", "GFLOPs/item", "layers"],
            rows: catalog.models.map {
                [$0.name, $0.kind.rawValue, $0.precision.rawValue, count($0.parameters), fmt($0.weightsGib),
                 $0.kind == .vision ? fmt($0.gflopsPerItem) : "-", $0.kind == .llm ? String($0.layers) : "-"]
            })
        if !catalog.profiles.isEmpty {
            out += "\nPROFILES\n"
            out += TextTable.render(header: ["model", "device", "batch:latency ms"], rows: catalog.profiles.map {
                [$0.model, $0.device, $0.points.map { "\($0.batch):\(fmt($0.latencyMs))" }.joined(separator: " ")]
            })
        }
        return out
    }

    static func fmt(_ x: Double) -> String { TextTable.number(x) }

    static func count(_ x: Double) -> String {
        x >= 1e9 ? "\((x / 1e9).rounded(places: 2))B" : "\((x / 1e6).rounded(places: 1))M"
    }
}
