function __epara_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __epara_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __epara_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __epara_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __epara_parse_tokens -S
    set -l unparsed_tokens (__epara_tokens -pc)
    switch $unparsed_tokens[1]
    case 'epara'
        __epara_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'classify'
            __epara_parse_subcommand -r 1 'o/output=' 'min-slack=' 'memory-headroom=' 'min-stream-fps=' 'max-batch=' 'allow-unservable' 'version' 'h/help'
        case 'plan'
            __epara_parse_subcommand 1 'o/output=' 'policy=' 'state=+' 'prometheus=' 'prometheus-window=' 'trace=+' 'previous=' 'without=+' 'detailed-exitcode' 'allow-partial' 'memory-headroom=' 'max-batch=' 'state-windows=' 'search-budget=' 'plain-greedy' 'timing' 'format=' 'version' 'h/help'
        case 'serve'
            __epara_parse_subcommand 1 'engine=' 'seed=' 'format=' 'o/output=' 'state=' 'requests=' 'faults=' 'trace=+' 'duration=' 'arrivals=' 'cv=' 'rate-scale=' 'diurnal-period=' 'diurnal-amplitude=' 'sync-interval=' 'replan-every=' 'max-offload=' 'early-drop' 'no-early-drop' 'service-time-cv=' 'llm-scheduler=' 'token-budget=' 'dispatch=' 'window=' 'all-nodes' 'node=' 'listen=' 'peers=' 'backends=' 'client-token-file=' 'peer-token-file=' 'insecure' 'tls-cert=' 'tls-key=' 'tls-client-ca=' 'tls-peer-ca=' 'max-header-size=' 'read-timeout=' 'idle-timeout=' 'max-connections-per-client=' 'version' 'h/help'
        case 'report'
            __epara_parse_subcommand -r 1 'o/output=' 'baseline=' 'force' 'sweep' 'target-attainment=' 'state=' 'run=' 'from=' 'to=' 'html=' 'format=' 'version' 'h/help'
        case 'capacity'
            __epara_parse_subcommand 1 'o/output=' 'policy=+' 'target=+' 'trace=+' 'duration=' 'warmup=' 'seeds=' 'tolerance=' 'max-scale=' 'replan-every=' 'search-budget=' 'memory-headroom=' 'html=' 'format=' 'version' 'h/help'
        case 'manifests'
            __epara_parse_subcommand 1 'o/output=' 'backends=' 'workload=' 'name=' 'namespace=' 'image=' 'port=' 'host-port=' 'token-secret=' 'inline-tokens' 'client-token-file=' 'peer-token-file=' 'tls-secret=' 'tls-mutual' 'node-label=' 'prometheus=' 'prometheus-window=' 'schedule=' 'kubectl-image=' 'only=' 'version' 'h/help'
        case 'catalog'
            __epara_parse_subcommand -r 1 'o/output=' 'format=' 'version' 'h/help'
        case 'profile'
            __epara_parse_subcommand 0 'url=' 'o/output=' 'api=' 'server-model=' 'model=' 'device=' 'catalog=+' 'max-concurrency=' 'prompt-tokens=+' 'decode-tokens=' 'repeats=' 'input=' 'timeout=' 'version' 'h/help'
        case 'help'
            __epara_parse_subcommand -r 1 'version'
        end
    end
end

function __epara_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __epara_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __epara_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __epara_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__epara_tokens -p)
    if test -z "$(__epara_tokens -t)"
        set -l index (count (__epara_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'epara' -f
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'classify' -d 'Label every service latency- or frequency-sensitive, single- or multi-GPU.'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'plan' -d 'Choose each service\'s parallel modes and place instances on devices.'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'serve' -d 'Execute a plan: on a trace in the embedded simulator, or live as HTTP gateways in front of model servers.'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'report' -d 'Analyse runs: goodput, SLO attainment, drops, latency percentiles; compare policies.'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'capacity' -d 'Find the highest load each policy sustains at an SLO-attainment target, and what breaks first.'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'manifests' -d 'Write the Kubernetes manifests that deploy a plan (K3s, KubeEdge).'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'catalog' -d 'List the device types, models and profiles epara knows.'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'profile' -d 'Measure a running model server and write what it measured as a Catalog document.'
complete -c 'epara' -n '__epara_should_offer_completions_for_positional "epara" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara classify" o output' -s 'o' -l 'output' -d 'Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara classify" min-slack' -l 'min-slack' -d 'Slack (SLO ÷ latency) one device must reach to count as meeting the SLO.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara classify" memory-headroom' -l 'memory-headroom' -d 'Fraction of a device\'s memory a model may use.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara classify" min-stream-fps' -l 'min-stream-fps' -d 'Streams below this frame rate are treated request by request.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara classify" max-batch' -l 'max-batch' -d 'Largest batch size the capacity estimate tries.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara classify" allow-unservable' -l 'allow-unservable' -d 'Write services that no configuration can serve into the output instead of failing.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara classify" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara classify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" o output' -s 'o' -l 'output' -d 'Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" policy' -l 'policy' -d 'Placement policy: epara, local, round-robin, alpaserve.' -rfka 'epara local round-robin alpaserve'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan"' -l 'state' -d 'SQLite state store written by `epara serve`: observed demand and node health (repeatable: the stores of gateways on separate machines add up).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" prometheus' -l 'prometheus' -d 'Prometheus server scraping the gateways (base URL, e.g. http://prometheus:9090): observed demand, burstiness and node health from their metrics.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" prometheus-window' -l 'prometheus-window' -d 'How far back from now --prometheus reads rates and gaps (e.g. 30s, 5m; default 5m).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan"' -l 'trace' -d 'A trace the plan will serve ([SERVICE=]FILE, as `serve --trace` takes it; repeatable): each traced service is planned for the burstiness measured in it (its demand.cv).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" previous' -l 'previous' -d 'The plan in force: placement becomes migration-aware and moves are listed.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan"' -l 'without' -d 'Turn off a part of EPARA to measure it (repeatable): categories, model-parallel, burst-replicas.' -rfka 'categories model-parallel burst-replicas'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" detailed-exitcode' -l 'detailed-exitcode' -d 'Exit 2 when the plan differs from --previous (or there is none), 0 when unchanged.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" allow-partial' -l 'allow-partial' -d 'Plan what fits and list the shortfalls instead of failing when the cluster is too small (with --previous: also when the previous plan was made so).'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" memory-headroom' -l 'memory-headroom' -d 'Fraction of each device\'s memory instances may use (default: the --previous plan\'s, else 0.9).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" max-batch' -l 'max-batch' -d 'Largest batch size considered (default: the --previous plan\'s, else 64).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" state-windows' -l 'state-windows' -d 'Number of most recent windows of --state to average demand over.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" search-budget' -l 'search-budget' -d 'How much the plan is checked in the simulator and improved: plans simulated (default: $EPARA_SEARCH_BUDGET, else the --previous plan\'s, else 24; 0: none), a wall-time limit (30s, 2m), or both (24,30s).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" plain-greedy' -l 'plain-greedy' -d 'Evaluate every candidate at every step instead of lazily (same plan, slower; for comparison).'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" timing' -l 'timing' -d 'Add the solver\'s wall time to the output (which then differs run to run).'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" format' -l 'format' -d 'Output format (default: table on a terminal, json otherwise).' -rfka 'json table'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara plan" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" engine' -l 'engine' -d 'Engine: sim (deterministic discrete-event simulation) or live (HTTP gateways; with --all-nodes or --node).' -rfka 'sim live'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" seed' -l 'seed' -d 'Seed of every random choice of the run.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" format' -l 'format' -d 'Output format (default: table on a terminal, json otherwise).' -rfka 'json table'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" o output' -s 'o' -l 'output' -d 'Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" state' -l 'state' -d 'Record windows, node health and plans in this SQLite state store (for `plan --state`).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" requests' -l 'requests' -d 'Sim: write one JSON line per request to this file.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" faults' -l 'faults' -d 'Sim: a Faults document: nodes down and up, link degradation, lost sync messages.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve"' -l 'trace' -d 'A trace file, or SERVICE=FILE to bind an Azure LLM or ServeGen trace to a service (repeatable).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" duration' -l 'duration' -d 'Length of the run (default: the traces\' span, at least 1s; else 60s).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" arrivals' -l 'arrivals' -d 'Arrival process of generated requests: poisson, gamma (with --cv), diurnal. Default: each service\'s own (Gamma with its demand.cv where the Services give one, else Poisson).' -rfka 'poisson gamma diurnal'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" cv' -l 'cv' -d 'Coefficient of variation of gamma inter-arrival gaps.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" rate-scale' -l 'rate-scale' -d 'Multiply every rate (generated, ServeGen) and compress trace time by this factor.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" diurnal-period' -l 'diurnal-period' -d 'Period of the diurnal rate curve.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" diurnal-amplitude' -l 'diurnal-amplitude' -d 'Swing of the diurnal rate curve, a fraction of the mean rate.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" sync-interval' -l 'sync-interval' -d 'Period of information sync between nodes (0: none; dispatch follows the plan\'s routing).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" replan-every' -l 'replan-every' -d 'Sim: period of in-run replanning from the observed demand (0: never).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" max-offload' -l 'max-offload' -d 'Times a request may be forwarded between nodes.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" early-drop' -l 'early-drop' -d 'Drop a request as soon as it can no longer meet its deadline (the default); --no-early-drop serves it, late, instead.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" no-early-drop' -l 'no-early-drop' -d 'Drop a request as soon as it can no longer meet its deadline (the default); --no-early-drop serves it, late, instead.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" service-time-cv' -l 'service-time-cv' -d 'Variability of execution times: coefficient of variation around the latency model (0: exact).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" llm-scheduler' -l 'llm-scheduler' -d 'Sim: how LLM instances schedule their iterations: chunked (chunked prefill, as vLLM V1, SGLang and llama.cpp\'s server run: decode tokens first, prompt chunks with the rest of the token budget) or prefill-first (vLLM V0: waiting prompts run alone, ahead of the decodes).' -rfka 'chunked prefill-first'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" token-budget' -l 'token-budget' -d 'Sim: tokens one LLM iteration takes at most (vLLM --max-num-batched-tokens, llama.cpp --batch-size; default 2048 chunked, 8192 prefill-first).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" dispatch' -l 'dispatch' -d 'Dispatch: best-completion (the default of epara and alpaserve), local (the best completion among the instances of the node where a request arrives; the default of local) or plan-weights (the plan\'s routing; the default of round-robin).' -rfka 'best-completion plan-weights local'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" window' -l 'window' -d 'Length of the Run\'s time windows.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" all-nodes' -l 'all-nodes' -d 'Run every node\'s gateway in this process, on consecutive ports from --listen\'s.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" node' -l 'node' -d 'Run this node\'s gateway only (the others run elsewhere; see --peers).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" listen' -l 'listen' -d 'Address of the (first) gateway.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" peers' -l 'peers' -d 'A Peers document: the gateway URL of each node this process does not run (else the cluster\'s address fields).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" backends' -l 'backends' -d 'A Backends document: the model server of each service (else the Services\' backend; else emulated).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" client-token-file' -l 'client-token-file' -d 'A file holding the bearer token clients must present (or set EPARA_CLIENT_TOKEN).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" peer-token-file' -l 'peer-token-file' -d 'A file holding the bearer token gateways present to each other (or set EPARA_PEER_TOKEN).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" insecure' -l 'insecure' -d 'Listen off loopback without a client token and a peer token: anyone who reaches the port can send work, also as a peer (logged as a warning at every start).'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" tls-cert' -l 'tls-cert' -d 'Serve HTTPS with this certificate (PEM, the chain); needs --tls-key.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" tls-key' -l 'tls-key' -d 'The certificate\'s private key (PEM).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" tls-client-ca' -l 'tls-client-ca' -d 'Mutual TLS: every connection (peers and clients) must present a certificate this CA signed (PEM).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" tls-peer-ca' -l 'tls-peer-ca' -d 'The CA that signed the peers\' certificates, for calls to https:// peers (default: the system\'s roots); this gateway presents its own certificate to them.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" max-header-size' -l 'max-header-size' -d 'Largest request head (request line and headers) in bytes; over it, 431.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" read-timeout' -l 'read-timeout' -d 'A request\'s head must arrive within this of its first byte, and its body within this of its head; else the connection closes.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" idle-timeout' -l 'idle-timeout' -d 'Close a connection with no request in progress after this long.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" max-connections-per-client' -l 'max-connections-per-client' -d 'Connections one client address may hold open; more are closed as they arrive.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara serve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" o output' -s 'o' -l 'output' -d 'Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" baseline' -l 'baseline' -d 'The run the others are compared with: its file name (without .json) or its policy.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" force' -l 'force' -d 'Compare runs even when they replayed different workloads.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" sweep' -l 'sweep' -d 'Treat the runs as one policy at increasing load and find the highest rate sustained at the target.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" target-attainment' -l 'target-attainment' -d 'SLO attainment a sweep\'s rate must sustain.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" state' -l 'state' -d 'Report a run from this SQLite state store instead of Run files.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" run' -l 'run' -d 'With --state: the run\'s id (default: the latest).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" from' -l 'from' -d 'With --state: first window, seconds from the run\'s start.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" to' -l 'to' -d 'With --state: end of the last window, seconds from the run\'s start.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" html' -l 'html' -d 'Also write a self-contained HTML page with SVG charts to this file.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" format' -l 'format' -d 'Output format (default: table on a terminal, json otherwise).' -rfka 'json table markdown'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" o output' -s 'o' -l 'output' -d 'Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity"' -l 'policy' -d 'A policy to measure (repeatable; default: all of epara, local, round-robin, alpaserve).' -rfka 'epara local round-robin alpaserve'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity"' -l 'target' -d 'An SLO-attainment target (repeatable; default 0.99 and 0.9).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity"' -l 'trace' -d 'A trace to replay ([SERVICE=]FILE; repeatable), sped up with the load.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" duration' -l 'duration' -d 'Simulated time per load and seed.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" warmup' -l 'warmup' -d 'Start of each run left out of the measurement.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" seeds' -l 'seeds' -d 'Number of seeds per load (1, 2, …).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" tolerance' -l 'tolerance' -d 'Bisection stops when the load that missed is within this fraction above the one that met the target.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" max-scale' -l 'max-scale' -d 'Highest load scale tried.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" replan-every' -l 'replan-every' -d 'In-run replanning period (0: each load\'s plan holds the whole run).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" search-budget' -l 'search-budget' -d 'How much each load\'s EPARA plan is checked in the simulator and improved (as `plan --search-budget`; default: $EPARA_SEARCH_BUDGET, else 12).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" memory-headroom' -l 'memory-headroom' -d 'Fraction of each device\'s memory instances may use.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" html' -l 'html' -d 'Also write an HTML page with the chart and tables.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" format' -l 'format' -d 'Output format (default: table on a terminal, json otherwise).' -rfka 'json table'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara capacity" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" o output' -s 'o' -l 'output' -d 'Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" backends' -l 'backends' -d 'A Backends document: each real backend\'s server, with its image.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" workload' -l 'workload' -d 'The ClassifiedWorkload the plan was made from (the replanning CronJob plans from it).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" name' -l 'name' -d 'Prefix of every object\'s name (the app.kubernetes.io/instance label).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" namespace' -l 'namespace' -d 'Namespace of every object.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" image' -l 'image' -d 'The epara image of the gateways and the replanning job.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" port' -l 'port' -d 'Port the gateways listen on in their pods.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" host-port' -l 'host-port' -d 'Also publish each gateway at this port of its node\'s address.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" token-secret' -l 'token-secret' -d 'The Secret with the client-token and peer-token keys (default: NAME-tokens).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" inline-tokens' -l 'inline-tokens' -d 'Write the tokens\' Secret from --client-token-file and --peer-token-file (it then holds them, base64, on stdout).'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" client-token-file' -l 'client-token-file' -d 'With --inline-tokens: the file holding the client token.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" peer-token-file' -l 'peer-token-file' -d 'With --inline-tokens: the file holding the peer token.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" tls-secret' -l 'tls-secret' -d 'A kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt): the gateways serve HTTPS and call their peers by https.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" tls-mutual' -l 'tls-mutual' -d 'With --tls-secret: mutual TLS, every connection presents a certificate ca.crt signed (kubelet\'s probes then only connect).'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" node-label' -l 'node-label' -d 'The node label pods are pinned by; its value is the plan\'s node name.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" prometheus' -l 'prometheus' -d 'Prometheus server the replanning CronJob reads demand from (no CronJob without it).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" prometheus-window' -l 'prometheus-window' -d 'Window of observed demand the CronJob plans for.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" schedule' -l 'schedule' -d 'When the CronJob replans (cron syntax).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" kubectl-image' -l 'kubectl-image' -d 'An image with kubectl and /bin/sh, which applies what the CronJob rendered.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" only' -l 'only' -d 'Which objects: all; or, for the replanning job, plan (the plan\'s ConfigMap), servers (the model servers), names (the servers\' objects by name, one a line).' -rfka 'all plan servers names'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara manifests" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara catalog" o output' -s 'o' -l 'output' -d 'Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara catalog" format' -l 'format' -d 'Output format (default: table on a terminal, json otherwise).' -rfka 'json table'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara catalog" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara catalog" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" url' -l 'url' -d 'The model server\'s base URL.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" o output' -s 'o' -l 'output' -d 'Write the result to this file, replaced only when the stage succeeds (default: standard output; - is standard output).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" api' -l 'api' -d 'The server\'s API: openai (LLM servers) or kserve-v2 (Triton, MLServer).' -rfka 'openai kserve-v2'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" server-model' -l 'server-model' -d 'The model\'s name at the server (default: --model).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" model' -l 'model' -d 'The catalog\'s model the profile is for.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" device' -l 'device' -d 'The catalog\'s device type the server runs on.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile"' -l 'catalog' -d 'Catalog documents that define --model or --device (repeatable).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" max-concurrency' -l 'max-concurrency' -d 'Most requests run together: the server\'s --parallel or --max-num-seqs (measured at 1, 2, 4, … and this).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile"' -l 'prompt-tokens' -d 'LLM: prompt lengths of the prefill measurements, in words (about a token each).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" decode-tokens' -l 'decode-tokens' -d 'LLM: tokens each decode measurement produces.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" repeats' -l 'repeats' -d 'Measurements per point (the median is kept).' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" input' -l 'input' -d 'KServe v2: the inference request\'s body (JSON with its inputs); - reads standard input.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" timeout' -l 'timeout' -d 'Longest wait for one answer.' -rfka ''
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" version' -l 'version' -d 'Show the version.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara profile" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'epara' -n '__epara_should_offer_completions_for_flags_or_options "epara help" version' -l 'version' -d 'Show the version.'
