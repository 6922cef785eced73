import ArgumentParser
import EparaCore
import EparaDocuments
import EparaLive
import EparaReport
import EparaServe
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

    @Argument(help: ArgumentHelp("A Plan (JSON); - or nothing reads standard input.", valueName: "plan"))
    var file: String?

    @OptionGroup(title: "Run")
    var common: ServeRunOptions

    @OptionGroup(title: "Traffic (sim)")
    var traffic: TrafficOptions

    @OptionGroup(title: "Request handling")
    var handling: HandlingOptions

    @OptionGroup(title: "Live gateways")
    var live: LiveGatewayOptions

    func validate() throws {
        if common.engine == .live { try live.validateForLive() } else { try live.refuseForSimulation() }
    }

    func run() async throws {
        let plan = try StageIO.run { try Plan.read(try StageIO.load(file.map { [$0] } ?? [])[0]) }
        let core = handling.coreConfig(for: plan)
        let run: Run
        switch common.engine {
        case .sim:
            let inputs = SimulationInputs(
                traffic: traffic.traceOptions(seed: common.seed),
                options: SimOptions(core: core, replanEveryS: handling.replanEvery.seconds, windowS: handling.window.seconds, seed: common.seed),
                faultsPath: common.faults, requestLogPath: common.requests, statePath: common.state)
            let bar = ProgressBar(label: "serve")
            run = try StageIO.run {
                try Simulation.run(plan: plan, inputs: inputs, progress: bar.enabled ? { bar.update(fraction: $0 / max($1, 1e-9)) } : nil)
            }
            bar.finish()
        case .live:
            let options = try live.serverOptions(plan: plan, planPath: file, core: core, windowS: handling.window.seconds, statePath: common.state)
            run = try await runLive(plan: plan, options: options)
        }
        let document = try StageIO.run { try JSONOutput.document(run) }
        try StageIO.run {
            switch common.format ?? (common.destination.isTerminal ? .table : .json) {
            case .json: try common.destination.write(document)
            case .table: try common.destination.write(RunTable.render(run))
            }
        }
    }

    /// The gateways until SIGTERM or SIGINT; then they drain, and the Run of what they measured
    /// is returned. A plan file that cannot be read on reload is logged, located, and the current
    /// plan kept.
    func runLive(plan: Plan, options: LiveServerOptions) async throws -> Run {
        return try await StageIO.runAsync {
            do {
                return try await LiveServer.run(plan: plan, options: options, readPlan: PlanReload.reader(backendsPath: live.backends))
            } catch let error as LiveServerError {
                StageIO.printError("epara: \(error)")
                throw ExitCode(error.exitCode)
            }
        }
    }
}
