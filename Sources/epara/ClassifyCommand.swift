import ArgumentParser
import EparaClassify
import EparaCore

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label every service latency- or frequency-sensitive, single- or multi-GPU.",
        discussion: """
            Reads Cluster, Services and (optionally) Catalog documents, in any number of files \
            or --- separated documents, and writes a ClassifiedWorkload: the inputs, a category \
            per service, and the evidence that decided it (best device, single-device latency, \
            slack ratio, load in device equivalents, memory against the largest device, minimum \
            model-parallel degree). The output carries everything `epara plan` needs.

            Rules: a service with streams of at least --min-stream-fps is frequency-sensitive, \
            any other latency-sensitive. It is single-GPU when one device holds the model within \
            --memory-headroom of its memory and meets the SLO with slack of at least \
            --min-slack; otherwise multi-GPU when a model-parallel group of the cluster's devices \
            does. A category declared in the Services document wins and is marked as declared.

            Examples:
              epara classify examples/edge-lab/*.yaml
              cat cluster.yaml services.yaml | epara classify - > classified.json
              epara classify --min-slack 1.5 cluster.yaml services.yaml \\
                my-catalog.yaml
            """
    )

    @Argument(
        help: ArgumentHelp(
            "Cluster, Services and Catalog documents (YAML or JSON); - reads standard input.",
            valueName: "file"))
    var files: [String] = []

    @OptionGroup
    var destination: OutputOptions

    @Option(help: "Slack (SLO ÷ latency) one device must reach to count as meeting the SLO.")
    var minSlack: Double = Thresholds().minSlack

    @Option(help: "Fraction of a device's memory a model may use.")
    var memoryHeadroom: Double = Thresholds().memoryHeadroom

    @Option(help: "Streams below this frame rate are treated request by request.")
    var minStreamFps: Double = Thresholds().minStreamFps

    @Option(help: "Largest batch size the capacity estimate tries.")
    var maxBatch: Int = Thresholds().maxBatch

    @Flag(help: "Write services that no configuration can serve into the output instead of failing.")
    var allowUnservable = false

    func validate() throws {
        guard minSlack.isFinite, minSlack > 0 else { throw ValidationError("--min-slack must be a positive number") }
        guard memoryHeadroom.isFinite, memoryHeadroom > 0, memoryHeadroom <= 1 else {
            throw ValidationError("--memory-headroom must be in (0, 1]")
        }
        guard minStreamFps.isFinite, minStreamFps >= 0 else { throw ValidationError("--min-stream-fps must be ≥ 0") }
        guard (1...4096).contains(maxBatch) else { throw ValidationError("--max-batch must be from 1 to 4096") }
    }

    func run() throws {
        try StageIO.run {
            let loaded = try DocumentReader.load(try StageIO.load(files), builtin: BuiltinCatalog.load())
            let thresholds = Thresholds(
                minSlack: minSlack, memoryHeadroom: memoryHeadroom,
                minStreamFps: minStreamFps, maxBatch: maxBatch)
            let classified = Classifier.classify(loaded.workload, thresholds: thresholds)
            let unservable = classified.services.filter { !$0.servable }
            if !unservable.isEmpty && !allowUnservable {
                throw InputError(
                    .badData,
                    unservable.map { service in
                        let origin = loaded.serviceLocations[service.name]
                        return Diagnostic(
                            at: origin?.location ?? SourceLocation(file: "<input>", line: 1, column: 1),
                            path: origin?.path ?? service.name,
                            "service '\(service.name)' cannot be served: \(service.unservableReason ?? "no configuration meets it") (use --allow-unservable to classify anyway)"
                        )
                    })
            }
            try destination.write(try JSONOutput.document(classified))
        }
    }
}
