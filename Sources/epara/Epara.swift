import ArgumentParser
import EparaCore
import Foundation
import NIOCore
import NIOPosix

@main
struct Epara: AsyncParsableCommand {
    static func main() async {
        // Swift concurrency's jobs run on NIO's event loops: the live gateways' handlers, their
        // engine and their HTTP client share one pool of threads, with no hop between two
        // pools on every request (a third of a request's latency on two cores). The stages
        // that do not use concurrency are unaffected.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        if let word = CommandLine.arguments.dropFirst().first, let message = unknownSubcommand(word) {
            FileHandle.standardError.write(Data((message + "\n" + usageString() + "\n").utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    /// A first word that names no subcommand, with the closest one when it looks like a typo
    /// (ArgumentParser alone says only "unexpected argument").
    static func unknownSubcommand(_ word: String) -> String? {
        guard !word.hasPrefix("-") else { return nil }
        let names = configuration.subcommands.map { $0._commandName } + ["help"]
        guard !names.contains(word) else { return nil }
        let hint = Suggestion.closest(to: word, in: names).map { "; did you mean '\($0)'?" } ?? ""
        return "Error: unknown subcommand '\(word)'\(hint) (subcommands: \(names.dropLast().joined(separator: ", ")))"
    }

    static let configuration = CommandConfiguration(
        commandName: "epara",
        abstract: "Plan and run categorized AI inference on edge clouds (after EPARA, arXiv 2511.00603).",
        discussion: """
            Each subcommand is one stage: it reads YAML or JSON documents (files, or - for \
            standard input) and writes one JSON document to standard output. Diagnostics go to \
            standard error as file:line:col: error: field.path: message.

            Examples:
              epara classify examples/edge-lab/*.yaml > classified.json
              epara classify examples/edge-lab/*.yaml | epara plan \\
                | epara serve --duration 5m
              epara catalog --format table

            Exit codes: 0 success, 1 failure, 64 usage error, 65 bad input data, \
            66 input missing, 74 I/O error.
            """,
        version: EparaBuild.version,
        subcommands: [
            Classify.self, PlanCommand.self, ServeCommand.self, ReportCommand.self, CapacityCommand.self, ManifestsCommand.self,
            CatalogCommand.self, ProfileCommand.self,
        ]
    )
}
