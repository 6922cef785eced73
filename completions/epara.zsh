#compdef epara

__epara_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__epara_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __epara_complete "${completions[@]:0:-1}"
    fi
}

__epara_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_epara() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'classify:Label every service latency- or frequency-sensitive, single- or multi-GPU.'
            'plan:Choose each service'\''s parallel modes and place instances on devices.'
            'serve:Execute a plan: on a trace in the embedded simulator, or live as HTTP gateways in front of model servers.'
            'report:Analyse runs: goodput, SLO attainment, drops, latency percentiles; compare policies.'
            'capacity:Find the highest load each policy sustains at an SLO-attainment target, and what breaks first.'
            'manifests:Write the Kubernetes manifests that deploy a plan (K3s, KubeEdge).'
            'catalog:List the device types, models and profiles epara knows.'
            'profile:Measure a running model server and write what it measured as a Catalog document.'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        classify|plan|serve|report|capacity|manifests|catalog|profile|help)
            "_epara_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_epara_classify() {
    local -i ret=1
    local -ar arg_specs=(
        '*:file:'
        '(-o --output)'{-o,--output}'[Write the result to this file, replaced only when the stage succeeds (default\: standard output; - is standard output).]:file:'
        '--min-slack[Slack (SLO ÷ latency) one device must reach to count as meeting the SLO.]:min-slack:'
        '--memory-headroom[Fraction of a device'\''s memory a model may use.]:memory-headroom:'
        '--min-stream-fps[Streams below this frame rate are treated request by request.]:min-stream-fps:'
        '--max-batch[Largest batch size the capacity estimate tries.]:max-batch:'
        '--allow-unservable[Write services that no configuration can serve into the output instead of failing.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_epara_plan() {
    local -i ret=1
    local -ar ___policy=('epara' 'local' 'round-robin' 'alpaserve')
    local -ar ___without=('categories' 'model-parallel' 'burst-replicas')
    local -ar ___format=('json' 'table')
    local -ar arg_specs=(
        ':file:'
        '(-o --output)'{-o,--output}'[Write the result to this file, replaced only when the stage succeeds (default\: standard output; - is standard output).]:file:'
        '--policy[Placement policy\: epara, local, round-robin, alpaserve.]:policy:{__epara_complete "${___policy[@]}"}'
        '*--state[SQLite state store written by `epara serve`\: observed demand and node health (repeatable\: the stores of gateways on separate machines add up).]:db:'
        '--prometheus[Prometheus server scraping the gateways (base URL, e.g. http\://prometheus\:9090)\: observed demand, burstiness and node health from their metrics.]:url:'
        '--prometheus-window[How far back from now --prometheus reads rates and gaps (e.g. 30s, 5m; default 5m).]:duration:'
        '*--trace[A trace the plan will serve (\[SERVICE=\]FILE, as `serve --trace` takes it; repeatable)\: each traced service is planned for the burstiness measured in it (its demand.cv).]:trace:'
        '--previous[The plan in force\: placement becomes migration-aware and moves are listed.]:plan:'
        '*--without[Turn off a part of EPARA to measure it (repeatable)\: categories, model-parallel, burst-replicas.]:part:{__epara_complete "${___without[@]}"}'
        '--detailed-exitcode[Exit 2 when the plan differs from --previous (or there is none), 0 when unchanged.]'
        '--allow-partial[Plan what fits and list the shortfalls instead of failing when the cluster is too small (with --previous\: also when the previous plan was made so).]'
        '--memory-headroom[Fraction of each device'\''s memory instances may use (default\: the --previous plan'\''s, else 0.9).]:memory-headroom:'
        '--max-batch[Largest batch size considered (default\: the --previous plan'\''s, else 64).]:max-batch:'
        '--state-windows[Number of most recent windows of --state to average demand over.]:state-windows:'
        '--search-budget[How much the plan is checked in the simulator and improved\: plans simulated (default\: $EPARA_SEARCH_BUDGET, else the --previous plan'\''s, else 24; 0\: none), a wall-time limit (30s, 2m), or both (24,30s).]:budget:'
        '--plain-greedy[Evaluate every candidate at every step instead of lazily (same plan, slower; for comparison).]'
        '--timing[Add the solver'\''s wall time to the output (which then differs run to run).]'
        '--format[Output format (default\: table on a terminal, json otherwise).]:format:{__epara_complete "${___format[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_epara_serve() {
    local -i ret=1
    local -ar ___engine=('sim' 'live')
    local -ar ___format=('json' 'table')
    local -ar ___arrivals=('poisson' 'gamma' 'diurnal')
    local -ar ___llm_scheduler=('chunked' 'prefill-first')
    local -ar ___dispatch=('best-completion' 'plan-weights' 'local')
    local -ar arg_specs=(
        ':plan:'
        '--engine[Engine\: sim (deterministic discrete-event simulation) or live (HTTP gateways; with --all-nodes or --node).]:engine:{__epara_complete "${___engine[@]}"}'
        '--seed[Seed of every random choice of the run.]:seed:'
        '--format[Output format (default\: table on a terminal, json otherwise).]:format:{__epara_complete "${___format[@]}"}'
        '(-o --output)'{-o,--output}'[Write the result to this file, replaced only when the stage succeeds (default\: standard output; - is standard output).]:file:'
        '--state[Record windows, node health and plans in this SQLite state store (for `plan --state`).]:db:'
        '--requests[Sim\: write one JSON line per request to this file.]:file:'
        '--faults[Sim\: a Faults document\: nodes down and up, link degradation, lost sync messages.]:file:'
        '*--trace[A trace file, or SERVICE=FILE to bind an Azure LLM or ServeGen trace to a service (repeatable).]:\[service=\]file:'
        '--duration[Length of the run (default\: the traces'\'' span, at least 1s; else 60s).]:duration:'
        '--arrivals[Arrival process of generated requests\: poisson, gamma (with --cv), diurnal. Default\: each service'\''s own (Gamma with its demand.cv where the Services give one, else Poisson).]:arrivals:{__epara_complete "${___arrivals[@]}"}'
        '--cv[Coefficient of variation of gamma inter-arrival gaps.]:cv:'
        '--rate-scale[Multiply every rate (generated, ServeGen) and compress trace time by this factor.]:rate-scale:'
        '--diurnal-period[Period of the diurnal rate curve.]:duration:'
        '--diurnal-amplitude[Swing of the diurnal rate curve, a fraction of the mean rate.]:diurnal-amplitude:'
        '--sync-interval[Period of information sync between nodes (0\: none; dispatch follows the plan'\''s routing).]:duration:'
        '--replan-every[Sim\: period of in-run replanning from the observed demand (0\: never).]:duration:'
        '--max-offload[Times a request may be forwarded between nodes.]:max-offload:'
        '--early-drop[Drop a request as soon as it can no longer meet its deadline (the default); --no-early-drop serves it, late, instead.]'
        '--no-early-drop[Drop a request as soon as it can no longer meet its deadline (the default); --no-early-drop serves it, late, instead.]'
        '--service-time-cv[Variability of execution times\: coefficient of variation around the latency model (0\: exact).]:service-time-cv:'
        '--llm-scheduler[Sim\: how LLM instances schedule their iterations\: chunked (chunked prefill, as vLLM V1, SGLang and llama.cpp'\''s server run\: decode tokens first, prompt chunks with the rest of the token budget) or prefill-first (vLLM V0\: waiting prompts run alone, ahead of the decodes).]:llm-scheduler:{__epara_complete "${___llm_scheduler[@]}"}'
        '--token-budget[Sim\: tokens one LLM iteration takes at most (vLLM --max-num-batched-tokens, llama.cpp --batch-size; default 2048 chunked, 8192 prefill-first).]:tokens:'
        '--dispatch[Dispatch\: best-completion (the default of epara and alpaserve), local (the best completion among the instances of the node where a request arrives; the default of local) or plan-weights (the plan'\''s routing; the default of round-robin).]:dispatch:{__epara_complete "${___dispatch[@]}"}'
        '--window[Length of the Run'\''s time windows.]:duration:'
        '--all-nodes[Run every node'\''s gateway in this process, on consecutive ports from --listen'\''s.]'
        '--node[Run this node'\''s gateway only (the others run elsewhere; see --peers).]:name:'
        '--listen[Address of the (first) gateway.]:host\:port:'
        '--peers[A Peers document\: the gateway URL of each node this process does not run (else the cluster'\''s address fields).]:file:'
        '--backends[A Backends document\: the model server of each service (else the Services'\'' backend; else emulated).]:file:'
        '--client-token-file[A file holding the bearer token clients must present (or set EPARA_CLIENT_TOKEN).]:file:'
        '--peer-token-file[A file holding the bearer token gateways present to each other (or set EPARA_PEER_TOKEN).]:file:'
        '--insecure[Listen off loopback without a client token and a peer token\: anyone who reaches the port can send work, also as a peer (logged as a warning at every start).]'
        '--tls-cert[Serve HTTPS with this certificate (PEM, the chain); needs --tls-key.]:file:'
        '--tls-key[The certificate'\''s private key (PEM).]:file:'
        '--tls-client-ca[Mutual TLS\: every connection (peers and clients) must present a certificate this CA signed (PEM).]:file:'
        '--tls-peer-ca[The CA that signed the peers'\'' certificates, for calls to https\:// peers (default\: the system'\''s roots); this gateway presents its own certificate to them.]:file:'
        '--max-header-size[Largest request head (request line and headers) in bytes; over it, 431.]:bytes:'
        '--read-timeout[A request'\''s head must arrive within this of its first byte, and its body within this of its head; else the connection closes.]:duration:'
        '--idle-timeout[Close a connection with no request in progress after this long.]:duration:'
        '--max-connections-per-client[Connections one client address may hold open; more are closed as they arrive.]:n:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_epara_report() {
    local -i ret=1
    local -ar ___format=('json' 'table' 'markdown')
    local -ar arg_specs=(
        '*:run:'
        '(-o --output)'{-o,--output}'[Write the result to this file, replaced only when the stage succeeds (default\: standard output; - is standard output).]:file:'
        '--baseline[The run the others are compared with\: its file name (without .json) or its policy.]:name:'
        '--force[Compare runs even when they replayed different workloads.]'
        '--sweep[Treat the runs as one policy at increasing load and find the highest rate sustained at the target.]'
        '--target-attainment[SLO attainment a sweep'\''s rate must sustain.]:target-attainment:'
        '--state[Report a run from this SQLite state store instead of Run files.]:db:'
        '--run[With --state\: the run'\''s id (default\: the latest).]:id:'
        '--from[With --state\: first window, seconds from the run'\''s start.]:seconds:'
        '--to[With --state\: end of the last window, seconds from the run'\''s start.]:seconds:'
        '--html[Also write a self-contained HTML page with SVG charts to this file.]:file:'
        '--format[Output format (default\: table on a terminal, json otherwise).]:format:{__epara_complete "${___format[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_epara_capacity() {
    local -i ret=1
    local -ar ___policy=('epara' 'local' 'round-robin' 'alpaserve')
    local -ar ___format=('json' 'table')
    local -ar arg_specs=(
        ':file:'
        '(-o --output)'{-o,--output}'[Write the result to this file, replaced only when the stage succeeds (default\: standard output; - is standard output).]:file:'
        '*--policy[A policy to measure (repeatable; default\: all of epara, local, round-robin, alpaserve).]:policy:{__epara_complete "${___policy[@]}"}'
        '*--target[An SLO-attainment target (repeatable; default 0.99 and 0.9).]:fraction:'
        '*--trace[A trace to replay (\[SERVICE=\]FILE; repeatable), sped up with the load.]:trace:'
        '--duration[Simulated time per load and seed.]:duration:'
        '--warmup[Start of each run left out of the measurement.]:duration:'
        '--seeds[Number of seeds per load (1, 2, …).]:seeds:'
        '--tolerance[Bisection stops when the load that missed is within this fraction above the one that met the target.]:tolerance:'
        '--max-scale[Highest load scale tried.]:max-scale:'
        '--replan-every[In-run replanning period (0\: each load'\''s plan holds the whole run).]:duration:'
        '--search-budget[How much each load'\''s EPARA plan is checked in the simulator and improved (as `plan --search-budget`; default\: $EPARA_SEARCH_BUDGET, else 12).]:budget:'
        '--memory-headroom[Fraction of each device'\''s memory instances may use.]:memory-headroom:'
        '--html[Also write an HTML page with the chart and tables.]:file:'
        '--format[Output format (default\: table on a terminal, json otherwise).]:format:{__epara_complete "${___format[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_epara_manifests() {
    local -i ret=1
    local -ar ___only=('all' 'plan' 'servers' 'names')
    local -ar arg_specs=(
        ':file:'
        '(-o --output)'{-o,--output}'[Write the result to this file, replaced only when the stage succeeds (default\: standard output; - is standard output).]:file:'
        '--backends[A Backends document\: each real backend'\''s server, with its image.]:file:'
        '--workload[The ClassifiedWorkload the plan was made from (the replanning CronJob plans from it).]:file:'
        '--name[Prefix of every object'\''s name (the app.kubernetes.io/instance label).]:name:'
        '--namespace[Namespace of every object.]:namespace:'
        '--image[The epara image of the gateways and the replanning job.]:image:'
        '--port[Port the gateways listen on in their pods.]:port:'
        '--host-port[Also publish each gateway at this port of its node'\''s address.]:port:'
        '--token-secret[The Secret with the client-token and peer-token keys (default\: NAME-tokens).]:name:'
        '--inline-tokens[Write the tokens'\'' Secret from --client-token-file and --peer-token-file (it then holds them, base64, on stdout).]'
        '--client-token-file[With --inline-tokens\: the file holding the client token.]:file:'
        '--peer-token-file[With --inline-tokens\: the file holding the peer token.]:file:'
        '--tls-secret[A kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt)\: the gateways serve HTTPS and call their peers by https.]:name:'
        '--tls-mutual[With --tls-secret\: mutual TLS, every connection presents a certificate ca.crt signed (kubelet'\''s probes then only connect).]'
        '--node-label[The node label pods are pinned by; its value is the plan'\''s node name.]:key:'
        '--prometheus[Prometheus server the replanning CronJob reads demand from (no CronJob without it).]:url:'
        '--prometheus-window[Window of observed demand the CronJob plans for.]:duration:'
        '--schedule[When the CronJob replans (cron syntax).]:schedule:'
        '--kubectl-image[An image with kubectl and /bin/sh, which applies what the CronJob rendered.]:image:'
        '--only[Which objects\: all; or, for the replanning job, plan (the plan'\''s ConfigMap), servers (the model servers), names (the servers'\'' objects by name, one a line).]:only:{__epara_complete "${___only[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_epara_catalog() {
    local -i ret=1
    local -ar ___format=('json' 'table')
    local -ar arg_specs=(
        '*:file:'
        '(-o --output)'{-o,--output}'[Write the result to this file, replaced only when the stage succeeds (default\: standard output; - is standard output).]:file:'
        '--format[Output format (default\: table on a terminal, json otherwise).]:format:{__epara_complete "${___format[@]}"}'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_epara_profile() {
    local -i ret=1
    local -ar ___api=('openai' 'kserve-v2')
    local -ar arg_specs=(
        '--url[The model server'\''s base URL.]:url:'
        '(-o --output)'{-o,--output}'[Write the result to this file, replaced only when the stage succeeds (default\: standard output; - is standard output).]:file:'
        '--api[The server'\''s API\: openai (LLM servers) or kserve-v2 (Triton, MLServer).]:api:{__epara_complete "${___api[@]}"}'
        '--server-model[The model'\''s name at the server (default\: --model).]:name:'
        '--model[The catalog'\''s model the profile is for.]:name:'
        '--device[The catalog'\''s device type the server runs on.]:name:'
        '*--catalog[Catalog documents that define --model or --device (repeatable).]:file:'
        '--max-concurrency[Most requests run together\: the server'\''s --parallel or --max-num-seqs (measured at 1, 2, 4, … and this).]:max-concurrency:'
        '--prompt-tokens[LLM\: prompt lengths of the prefill measurements, in words (about a token each).]:n:'
        '--decode-tokens[LLM\: tokens each decode measurement produces.]:n:'
        '--repeats[Measurements per point (the median is kept).]:repeats:'
        '--input[KServe v2\: the inference request'\''s body (JSON with its inputs); - reads standard input.]:file:'
        '--timeout[Longest wait for one answer.]:duration:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_epara_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
        '--version[Show the version.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _epara ]]; then
    _epara "${@}"
else
    compdef _epara epara
fi
