import ArgumentParser
import EparaCore
import EparaDocuments
import EparaLive
import EparaPlan
import EparaReport
import EparaServe
import EparaStore
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Execute a plan: on a trace in the embedded simulator, or live as HTTP gateways in front of model servers.",
        discussion: """
            Reads a Plan (the output of `epara plan`) and runs it: every request of the trace goes \
            through EPARA's request handler on the node where it arrives (per-instance queues, \
            earliest deadline first for latency-sensitive requests, frames of one stream packed \
            together, deadline-bounded batching, dispatch by estimated completion on the state \
            nodes last synced, forwarding up to --max-offload hops, AIMD credits for streams, \
            early drop), with the latency model standing in for devices, network transfers on \
            the cluster's links, information sync every --sync-interval and replanning every \
            --replan-every from the demand the run observed. Writes a Run: per service, \
            category, node and time window, how every request ended (completed within SLO, \
            late, dropped, failed, with reasons) and latency percentiles.

            Traffic: --trace files in epara's CSV (time,service,stream,origin,input_tokens,\
            output_tokens) or JSON Lines, the Azure LLM inference 2023 trace, or ServeGen \
            per-client rates (bind those with SERVICE=FILE). Services no trace covers are \
            generated: streams at their fps, others at their demand rate by --arrivals.

            The same plan, trace and --seed give a byte-identical Run.

            Live (--engine live): the same request handler runs as an HTTP gateway per node, \
            every node's in this process (--all-nodes, consecutive ports from --listen) or one \
            node's (--node NAME; the other gateways' URLs from --peers or the cluster's address \
            fields). Clients call POST /v1/services/NAME/infer or the OpenAI-compatible \
            /v1/chat/completions and /v1/completions (model names the service; streaming \
            passes through; GET /v1/models lists them), or the Open Inference Protocol's \
            POST /v2/models/NAME/infer (tritonclient, KServe's client); /healthz, /v1/state and \
            /metrics (Prometheus) report. Work goes \
            to each service's model server (--backends, or the Services' backend: openai for \
            vLLM, llama.cpp or Ollama; kserve-v2 for Triton or MLServer) or to the emulated \
            backend. SIGHUP or a change of the plan file puts a new plan in force without \
            dropping requests (SIGHUP also re-reads the certificates and token files); SIGTERM drains and prints the Run of what was served; --state \
            records windows and node health for `plan --state`. Off loopback a gateway needs a \
            client token and a peer token (or --insecure); --tls-cert and --tls-key make it \
            HTTPS, --tls-client-ca mutual TLS (docs/security.md).

            Examples:
              epara classify examples/edge-lab/*.yaml | epara plan \\
                | epara serve --duration 60s
              epara serve plan.json --seed 7 \\
                --trace chat=examples/traces/AzureLLMInferenceTrace_conv.csv
              epara serve plan.json --faults examples/faults/edge-lab.yaml \\
                --requests requests.jsonl
              epara serve plan.json --state state.db
              epara plan classified.json --state state.db > next.json
              epara serve plan.json --engine live --all-nodes \\
                --backends backends.yaml --state state.db
              EPARA_CLIENT_TOKEN=... EPARA_PEER_TOKEN=... epara serve plan.json \\
                --engine live --node gpu-server-a --listen 0.0.0.0:8443 \\
                --peers peers.yaml --tls-cert node.pem --tls-key node.key \\
                --tls-client-ca ca.pem --tls-peer-ca ca.pem
            """
    )

    enum Engine: String, ExpressibleByArgument, CaseIterable { case sim, live }
    enum Process: String, ExpressibleByArgument, CaseIterable { case poisson, gamma, diurnal }
    enum Format: String, ExpressibleByArgument, CaseIterable { case json, table }

    @Argument(help: ArgumentHelp("A Plan (JSON); - or nothing reads standard input.", valueName: "plan"))
    var file: String?

    @Option(
        name: .customLong("trace"),
        help: ArgumentHelp(
            "A trace file, or SERVICE=FILE to bind an Azure LLM or ServeGen trace to a service (repeatable).",
            valueName: "[service=]file"))
    var traces: [String] = []

    @Option(help: ArgumentHelp("Length of the run (default: the traces' span, at least 1s; else 60s).", valueName: "duration"))
    var duration: DurationArgument?

    @Option(
        help:
            "Arrival process of generated requests: poisson, gamma (with --cv), diurnal. Default: each service's own (Gamma with its demand.cv where the Services give one, else Poisson)."
    )
    var arrivals: Process?

    @Option(help: "Coefficient of variation of gamma inter-arrival gaps.")
    var cv: Double = 2

    @Option(help: "Multiply every rate (generated, ServeGen) and compress trace time by this factor.")
    var rateScale: Double = 1

    @Option(help: "Seed of every random choice of the run.")
    var seed: UInt64 = 1

    @Option(help: "Output format (default: table on a terminal, json otherwise).")
    var format: Format?

    @OptionGroup
    var destination: OutputOptions

    @Option(
        help: ArgumentHelp(
            "Record windows, node health and plans in this SQLite state store (for `plan --state`).",
            valueName: "db"))
    var state: String?

    @Option(help: ArgumentHelp("Write one JSON line per request to this file.", valueName: "file"))
    var requests: String?

    @Option(help: ArgumentHelp("A Faults document: nodes down and up, link degradation, lost sync messages.", valueName: "file"))
    var faults: String?

    @Option(help: "Engine: sim (deterministic discrete-event simulation) or live (HTTP gateways; with --all-nodes).")
    var engine: Engine = .sim

    @Flag(help: "Live: run every node's gateway in this process, on consecutive ports from --listen's.")
    var allNodes = false

    @Option(help: ArgumentHelp("Live: run this node's gateway only (the others run elsewhere; see --peers).", valueName: "name"))
    var node: String?

    @Option(help: ArgumentHelp("Live: address of the (first) gateway.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"

    @Option(
        help: ArgumentHelp(
            "Live: a Peers document: the gateway URL of each node this process does not run (else the cluster's address fields).",
            valueName: "file"))
    var peers: String?

    @Option(
        help: ArgumentHelp(
            "Live: a Backends document: the model server of each service (else the Services' backend; else emulated).",
            valueName: "file"))
    var backends: String?

    @Option(
        help: ArgumentHelp(
            "Live: a file holding the bearer token clients must present (or set EPARA_CLIENT_TOKEN).",
            valueName: "file"))
    var clientTokenFile: String?

    @Option(
        help: ArgumentHelp(
            "Live: a file holding the bearer token gateways present to each other (or set EPARA_PEER_TOKEN).",
            valueName: "file"))
    var peerTokenFile: String?

    @Option(help: ArgumentHelp("Period of the diurnal rate curve.", valueName: "duration"))
    var diurnalPeriod = DurationArgument("24h")

    @Option(help: "Swing of the diurnal rate curve, a fraction of the mean rate.")
    var diurnalAmplitude: Double = 0.5

    @Option(
        help: ArgumentHelp(
            "Period of information sync between nodes (0: none; dispatch follows the plan's routing).",
            valueName: "duration"))
    var syncInterval = DurationArgument("2s")

    @Option(help: ArgumentHelp("Period of in-run replanning from the observed demand (0: never).", valueName: "duration"))
    var replanEvery = DurationArgument("60s")

    @Option(help: "Times a request may be forwarded between nodes.")
    var maxOffload: Int = 3

    @Flag(
        inversion: .prefixedNo,
        help: "Drop a request as soon as it can no longer meet its deadline (the default); --no-early-drop serves it, late, instead.")
    var earlyDrop = true

    @Option(help: "Variability of execution times: coefficient of variation around the latency model (0: exact).")
    var serviceTimeCv: Double = 0

    @Option(
        help:
            "Sim: how LLM instances schedule their iterations: chunked (chunked prefill, as vLLM V1, SGLang and llama.cpp's server run: decode tokens first, prompt chunks with the rest of the token budget) or prefill-first (vLLM V0: waiting prompts run alone, ahead of the decodes)."
    )
    var llmScheduler: LLMScheduler = .chunked

    @Option(
        help: ArgumentHelp(
            "Sim: tokens one LLM iteration takes at most (vLLM --max-num-batched-tokens, llama.cpp --batch-size; default \(LLMScheduler.chunked.defaultTokenBudget) chunked, \(LLMScheduler.prefillFirst.defaultTokenBudget) prefill-first).",
            valueName: "tokens"))
    var tokenBudget: Int?

    @Option(
        help:
            "Dispatch: best-completion (the default of epara and alpaserve), local (the best completion among the instances of the node where a request arrives; the default of local) or plan-weights (the plan's routing; the default of round-robin)."
    )
    var dispatch: DispatchMode?

    @Option(help: ArgumentHelp("Length of the Run's time windows.", valueName: "duration"))
    var window = DurationArgument("10s")

    @OptionGroup
    var security: GatewaySecurityOptions

    func validate() throws {
        if engine == .live {
            guard allNodes != (node != nil) else {
                throw ValidationError("--engine live needs --all-nodes (every node's gateway in this process) or --node NAME (one node's), not both")
            }
            guard let address = Self.hostPort(listen) else {
                throw ValidationError("--listen expects host:port, such as 127.0.0.1:8080, found '\(listen)'")
            }
            let environment = ProcessInfo.processInfo.environment
            try security.checkExposure(
                host: address.host, clientToken: clientTokenFile != nil || environment["EPARA_CLIENT_TOKEN"] != nil,
                peerToken: peerTokenFile != nil || environment["EPARA_PEER_TOKEN"] != nil)
        } else if allNodes || node != nil || peers != nil || backends != nil {
            throw ValidationError("--all-nodes, --node, --peers and --backends are for --engine live")
        }
        try diurnalPeriod.requirePositive("--diurnal-period")
        try duration?.requirePositive("--duration")
        try window.requirePositive("--window")
        guard rateScale > 0, rateScale.isFinite else { throw ValidationError("--rate-scale must be a positive number") }
        guard cv > 0 else { throw ValidationError("--cv must be positive") }
        guard (0...1).contains(diurnalAmplitude) else { throw ValidationError("--diurnal-amplitude must be from 0 to 1") }
        guard serviceTimeCv >= 0, serviceTimeCv <= 4 else { throw ValidationError("--service-time-cv must be from 0 to 4") }
        guard (0...16).contains(maxOffload) else { throw ValidationError("--max-offload must be from 0 to 16") }
        if let tokenBudget, !(16...1_048_576).contains(tokenBudget) { throw ValidationError("--token-budget must be from 16 to 1048576") }
    }

    static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    func run() async throws {
        if engine == .live {
            try await runLive()
            return
        }
        try runSimulation()
    }

    /// The live engine: the gateways of every node (consecutive ports) or of one, until SIGTERM
    /// or SIGINT; then they drain, and the Run of what they measured goes to standard output.
    func runLive() async throws {
        let plan = try Self.readPlan(file)
        let address = Self.hostPort(listen)!
        if let node, !plan.cluster.nodes.contains(where: { $0.name == node }) {
            throw ValidationError("--node: the plan has no node '\(node)' (it has: \(plan.cluster.nodes.map(\.name).joined(separator: ", ")))")
        }
        let core = try coreConfig(for: plan)
        let syncS = core.syncIntervalS
        let peerURLs = try StageIO.run { try peers.map { try PeersDocument.read(try SourceText.load($0), plan: plan) } ?? [:] }
        let table = try StageIO.run {
            try backends.map { BackendTable(plan: plan, document: try BackendsDocument.read(try SourceText.load($0), plan: plan)) }
        }
        let engineOptions = LiveOptions(
            core: core, hosted: node.map { [$0] }, peers: peerURLs, backends: table,
            peerToken: try token(file: peerTokenFile, environment: "EPARA_PEER_TOKEN"),
            windowS: window.seconds)
        // SIGHUP or a change of the plan file re-reads it (a plan from standard input cannot be re-read).
        let options = LiveServerOptions(
            host: ListenAddress.unbracketed(address.host), basePort: address.port, engine: engineOptions,
            clientToken: try token(file: clientTokenFile, environment: "EPARA_CLIENT_TOKEN"),
            peerToken: engineOptions.peerToken, syncIntervalS: syncS, statePath: state,
            planPath: file.flatMap { $0 == "-" ? nil : $0 }, limits: security.limits, tls: security.tlsFiles,
            tokenFiles: TokenFiles(client: clientTokenFile, peer: peerTokenFile))
        if !ListenAddress.isLoopback(address.host), options.clientToken == nil || options.peerToken == nil {
            LiveServer.standardErrorLogger().warning(
                "--insecure: listening off loopback without a client token and a peer token; anyone who reaches the port can send work, also as a peer",
                metadata: ["listen": "\(listen)"])
        }
        let run = try await StageIO.runAsync {
            do {
                // A plan file that cannot be read on reload is logged, located, and the current plan kept.
                return try await LiveServer.run(
                    plan: plan, options: options,
                    readPlan: { @Sendable [backends] path in
                        // The Backends document is read again with the plan: a Kubernetes
                        // ConfigMap carries both, and its new instances need their servers.
                        let next = try Self.plan(from: SourceText.load(path))
                        let table = try backends.map { file in
                            BackendTable(plan: next, document: try BackendsDocument.read(try SourceText.load(file), plan: next))
                        }
                        return PlanReload(plan: next, backends: table)
                    })
            } catch let error as LiveServerError {
                StageIO.printError("epara: \(error)")
                throw ExitCode(error.exitCode)
            }
        }
        try StageIO.run { try write(run, document: try JSONOutput.document(run)) }
    }

    /// Core settings of either engine: each policy's own dispatch unless --dispatch says otherwise.
    func coreConfig(for plan: Plan) throws -> CoreConfig {
        CoreConfig(
            dispatch: dispatch ?? DispatchMode.default(forPolicy: plan.policy), maxOffload: maxOffload,
            earlyDrop: earlyDrop, syncIntervalS: syncInterval.seconds, llmScheduler: llmScheduler,
            prefillTokenBudget: tokenBudget, serviceTimeCV: serviceTimeCv)
    }

    /// The Run on standard output: a table on a terminal, its JSON document otherwise.
    func write(_ run: Run, document: Data) throws {
        switch format ?? (destination.isTerminal ? .table : .json) {
        case .json: try destination.write(document)
        case .table: try destination.write(RunTable.render(run))
        }
    }

    /// A bearer token from a file, else from the environment; nil when neither gives one.
    func token(file: String?, environment: String) throws -> String? {
        var token = ProcessInfo.processInfo.environment[environment]
        if let file {
            token = try StageIO.run { try SourceText.load(file).text }.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let t = token, t.isEmpty { throw ValidationError("the token from \(file ?? environment) is empty") }
        return token
    }

    static func plan(from source: SourceText) throws(InputError) -> Plan {
        try StageDocument<Plan>.read(source, kind: "Plan", producedBy: "epara plan").value
    }

    /// The plan file (or standard input), refused with a located error and its exit code.
    static func readPlan(_ file: String?) throws -> Plan {
        try StageIO.run { try Self.plan(from: try StageIO.load(file.map { [$0] } ?? [])[0]) }
    }

    func runSimulation() throws {
        let plan = try Self.readPlan(file)
        try StageIO.run {
            let process: ArrivalProcess? =
                switch arrivals {
                case nil: nil
                case .poisson: .poisson
                case .gamma: .gamma(cv: cv)
                case .diurnal: .diurnal(periodS: diurnalPeriod.seconds, amplitude: diurnalAmplitude)
                }
            let traceOptions = TraceOptions(
                files: traces.map(TraceFile.init(argument:)), process: process,
                durationS: duration?.seconds,
                rateScale: rateScale, seed: seed)
            let traceSet = try TraceBuilder.build(traceOptions, deployment: Deployment(plan: plan))
            let faultPlan = try faults.map { path in try FaultPlan.read(try SourceText.load(path), cluster: plan.cluster) } ?? .none
            let options = SimOptions(
                core: try coreConfig(for: plan), replanEveryS: replanEvery.seconds,
                windowS: window.seconds, faults: faultPlan, seed: seed,
                keepOriginWindows: state != nil)
            let log = try requests.map { path in try RequestLog(path: path) }
            let store = try state.map { path in
                do { return try StateStore(path: path) } catch {
                    throw InputError(.io, at: SourceLocation(file: path, line: 1, column: 1), "cannot open the state store: \(error)")
                }
            }
            let simulation = SimEngine(plan: plan, trace: traceSet, options: options, requestLog: log)
            let bar = ProgressBar(label: "serve")
            if bar.enabled { simulation.progress = { bar.update(fraction: $0 / max($1, 1e-9)) } }
            let run = try simulation.run()
            bar.finish()
            log?.flush()
            let document = try JSONOutput.document(run)
            if let store, let path = state {
                do {
                    try store.record(run, of: simulation)
                } catch {
                    throw InputError(.io, at: SourceLocation(file: path, line: 1, column: 1), "cannot write the state store: \(error)")
                }
            }
            try write(run, document: document)
        }
    }
}

extension DispatchMode: ExpressibleByArgument {}
extension LLMScheduler: ExpressibleByArgument {}
