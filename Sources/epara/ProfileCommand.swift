import ArgumentParser
import EparaCore
import EparaProfile
import Foundation

struct ProfileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Measure a running model server and write what it measured as a Catalog document.",
        discussion: """
            This is how your own hardware gets into the latency model. Against an OpenAI-compatible \
            LLM server (vLLM, llama.cpp's llama-server, SGLang, Ollama) it measures the time to the \
            first token over prompt lengths (written as the prefill time per prompt token) and the \
            decode step time with 1, 2, 4, … sequences running together up to --max-concurrency \
            (the median gap between streamed tokens while all of them decode). Against a KServe v2 \
            server (Triton, MLServer) it measures the latency of 1, 2, 4, … requests sent together, \
            each with the body of --input. The Catalog document goes to standard output (YAML, with \
            the measured points as comments): give it to classify, plan and serve with your other \
            documents. --model and --device name the catalog's model and device type the profile is \
            for: both must be in the built-in catalog or in a --catalog document. Progress is on \
            standard error. An unreachable server exits 74, an answer that is not what the API says \
            (a wrong model name, a body that is not JSON) 65.

            Examples:
              epara profile --url http://127.0.0.1:8080 --server-model gemma --model gemma-3-270m-q4 \\
                --device my-cpu --catalog my-cpu.yaml --max-concurrency 4 > gemma-profile.yaml
              epara classify cluster.yaml services.yaml my-cpu.yaml gemma-profile.yaml | epara plan
              epara profile --api kserve-v2 --url http://127.0.0.1:8000 --server-model resnet \\
                --model resnet-50 --device l4 --input request.json --max-concurrency 8
            """
    )

    @Option(help: ArgumentHelp("The model server's base URL.", valueName: "url"))
    var url: String

    @OptionGroup
    var destination: OutputOptions

    @Option(help: "The server's API: openai (LLM servers) or kserve-v2 (Triton, MLServer).")
    var api: ProfileOptions.API = .openai

    @Option(help: ArgumentHelp("The model's name at the server (default: --model).", valueName: "name"))
    var serverModel: String?

    @Option(help: ArgumentHelp("The catalog's model the profile is for.", valueName: "name"))
    var model: String

    @Option(help: ArgumentHelp("The catalog's device type the server runs on.", valueName: "name"))
    var device: String

    @Option(help: ArgumentHelp("Catalog documents that define --model or --device (repeatable).", valueName: "file"))
    var catalog: [String] = []

    @Option(help: "Most requests run together: the server's --parallel or --max-num-seqs (measured at 1, 2, 4, … and this).")
    var maxConcurrency: Int = 4

    @Option(
        parsing: .upToNextOption,
        help: ArgumentHelp("LLM: prompt lengths of the prefill measurements, in words (about a token each).", valueName: "n"))
    var promptTokens: [Int] = [64, 256, 512, 1024]

    @Option(help: ArgumentHelp("LLM: tokens each decode measurement produces.", valueName: "n"))
    var decodeTokens: Int = 48

    @Option(help: "Measurements per point (the median is kept).")
    var repeats: Int = 3

    @Option(help: ArgumentHelp("KServe v2: the inference request's body (JSON with its inputs); - reads standard input.", valueName: "file"))
    var input: String?

    @Option(help: ArgumentHelp("Longest wait for one answer.", valueName: "duration"))
    var timeout = DurationArgument("120s")

    func validate() throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
            throw ValidationError("--url must be an http:// or https:// URL with a host, such as http://127.0.0.1:8080")
        }
        guard (1...1024).contains(maxConcurrency) else { throw ValidationError("--max-concurrency must be from 1 to 1024") }
        guard !promptTokens.isEmpty, promptTokens.allSatisfy({ (1...131_072).contains($0) }) else {
            throw ValidationError("--prompt-tokens must be lengths from 1 to 131072")
        }
        guard (2...4096).contains(decodeTokens) else { throw ValidationError("--decode-tokens must be from 2 to 4096") }
        guard (1...100).contains(repeats) else { throw ValidationError("--repeats must be from 1 to 100") }
        if api == .kserveV2, input == nil { throw ValidationError("--api kserve-v2 needs --input: the inference request to send") }
        try timeout.requirePositive("--timeout")
    }

    func run() async throws {
        try await StageIO.runAsync {
            let known = try DocumentReader.catalog(try catalog.map { try SourceText.load($0) }, builtin: BuiltinCatalog.load())
            for (name, names, what) in [(model, known.models.map(\.name), "model"), (device, known.devices.map(\.name), "device type")]
            where !names.contains(name) {
                let hint = Suggestion.closest(to: name, in: names).map { "; did you mean '\($0)'?" } ?? ""
                throw InputError(
                    .badData, at: SourceLocation(file: "<command line>", line: 1, column: 1),
                    "unknown \(what) '\(name)': not in the catalog\(hint) (define it in a Catalog document and pass it with --catalog)")
            }
            let body = try input.map { Array(try SourceText.load($0).text.utf8) }
            let options = ProfileOptions(
                url: url, api: api, serverModel: serverModel ?? model, model: model, device: device,
                concurrency: ProfileOptions.concurrencyLevels(upTo: maxConcurrency), promptTokens: promptTokens,
                decodeTokens: decodeTokens, repeats: repeats, kserveBody: body,
                timeoutS: timeout.seconds)
            let date = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate])
            let command = (["epara"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
            let measured: MeasuredProfile
            do throws(ProfileError) {
                measured = try await Profiler.measure(options, command: command, date: date) { line in StageIO.printError("profile: \(line)") }
            } catch {
                StageIO.printError("epara: \(error)")
                throw ExitCode(error.exitCode)
            }
            try destination.write(ProfileCatalog.yaml(measured))
        }
    }
}

extension ProfileOptions.API: ExpressibleByArgument {}
