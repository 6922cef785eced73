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

    @Argument(
        help: ArgumentHelp(
            "Catalog documents that extend or override the built-in one; - reads standard input.",
            valueName: "file"))
    var files: [String] = []

    @OptionGroup
    var destination: OutputOptions

    @Option(help: "Output format (default: table on a terminal, json otherwise).")
    var format: Format?

    func run() throws {
        try StageIO.run {
            let sources = files.isEmpty ? [] : try StageIO.load(files)
            let catalog = try DocumentReader.catalog(sources, builtin: BuiltinCatalog.load())
            switch format ?? (destination.isTerminal ? .table : .json) {
            case .json:
                try destination.write(try JSONOutput.document(CatalogDocument(catalog: catalog)))
            case .table:
                try destination.write(CatalogTable.render(catalog))
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
