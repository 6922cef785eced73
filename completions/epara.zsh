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
            'catalog:List the device types, models and profiles epara knows.'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        classify|plan|catalog|help)
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
    local -ar ___format=('json' 'table')
    local -ar arg_specs=(
        ':file:'
        '--policy[Placement policy\: epara, local, round-robin, alpaserve.]:policy:{__epara_complete "${___policy[@]}"}'
        '--state[SQLite state store written by `epara serve`\: observed demand and node health.]:db:'
        '--previous[The plan in force\: placement becomes migration-aware and moves are listed.]:plan:'
        '--detailed-exitcode[Exit 2 when the plan differs from --previous (or there is none), 0 when unchanged.]'
        '--allow-partial[Plan what fits and list the shortfalls instead of failing when the cluster is too small.]'
        '--memory-headroom[Fraction of each device'\''s memory instances may use.]:memory-headroom:'
        '--max-batch[Largest batch size considered.]:max-batch:'
        '--state-windows[Number of most recent windows of --state to average demand over.]:state-windows:'
        '--plain-greedy[Evaluate every candidate at every step instead of lazily (same plan, slower; for comparison).]'
        '--timing[Add the solver'\''s wall time to the output (which then differs run to run).]'
        '--format[Output format (default\: table on a terminal, json otherwise).]:format:{__epara_complete "${___format[@]}"}'
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
        '--format[Output format (default\: table on a terminal, json otherwise).]:format:{__epara_complete "${___format[@]}"}'
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
