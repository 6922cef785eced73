#!/bin/bash

__epara_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__epara_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__epara_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__epara_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_epara() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __epara_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    classify|plan|serve|report|capacity|manifests|catalog|profile|help)
        # Offer subcommand argument completions
        "_epara_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'classify plan serve report capacity manifests catalog profile help' -- "${cur}"))
        ;;
    esac
}

_epara_classify() {
    repeating_flags=()
    non_repeating_flags=(--allow-unservable --version -h --help)
    repeating_options=()
    non_repeating_options=(-o --output --min-slack --memory-headroom --min-stream-fps --max-batch)
    __epara_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        return
        ;;
    '--min-slack')
        return
        ;;
    '--memory-headroom')
        return
        ;;
    '--min-stream-fps')
        return
        ;;
    '--max-batch')
        return
        ;;
    esac
}

_epara_plan() {
    repeating_flags=()
    non_repeating_flags=(--detailed-exitcode --allow-partial --plain-greedy --timing --version -h --help)
    repeating_options=(--state --trace --without)
    non_repeating_options=(-o --output --policy --prometheus --prometheus-window --previous --memory-headroom --max-batch --state-windows --search-budget --format)
    __epara_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        return
        ;;
    '--policy')
        __epara_add_completions -W 'epara'$'\n''local'$'\n''round-robin'$'\n''alpaserve'
        return
        ;;
    '--state')
        return
        ;;
    '--prometheus')
        return
        ;;
    '--prometheus-window')
        return
        ;;
    '--trace')
        return
        ;;
    '--previous')
        return
        ;;
    '--without')
        __epara_add_completions -W 'categories'$'\n''model-parallel'$'\n''burst-replicas'
        return
        ;;
    '--memory-headroom')
        return
        ;;
    '--max-batch')
        return
        ;;
    '--state-windows')
        return
        ;;
    '--search-budget')
        return
        ;;
    '--format')
        __epara_add_completions -W 'json'$'\n''table'
        return
        ;;
    esac
}

_epara_serve() {
    repeating_flags=()
    non_repeating_flags=(--early-drop --no-early-drop --all-nodes --insecure --version -h --help)
    repeating_options=(--trace)
    non_repeating_options=(--engine --seed --format -o --output --state --requests --faults --duration --arrivals --cv --rate-scale --diurnal-period --diurnal-amplitude --sync-interval --replan-every --max-offload --service-time-cv --llm-scheduler --token-budget --dispatch --window --node --listen --peers --backends --client-token-file --peer-token-file --tls-cert --tls-key --tls-client-ca --tls-peer-ca --max-header-size --read-timeout --idle-timeout --max-connections-per-client)
    __epara_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--engine')
        __epara_add_completions -W 'sim'$'\n''live'
        return
        ;;
    '--seed')
        return
        ;;
    '--format')
        __epara_add_completions -W 'json'$'\n''table'
        return
        ;;
    '-o'|'--output')
        return
        ;;
    '--state')
        return
        ;;
    '--requests')
        return
        ;;
    '--faults')
        return
        ;;
    '--trace')
        return
        ;;
    '--duration')
        return
        ;;
    '--arrivals')
        __epara_add_completions -W 'poisson'$'\n''gamma'$'\n''diurnal'
        return
        ;;
    '--cv')
        return
        ;;
    '--rate-scale')
        return
        ;;
    '--diurnal-period')
        return
        ;;
    '--diurnal-amplitude')
        return
        ;;
    '--sync-interval')
        return
        ;;
    '--replan-every')
        return
        ;;
    '--max-offload')
        return
        ;;
    '--service-time-cv')
        return
        ;;
    '--llm-scheduler')
        __epara_add_completions -W 'chunked'$'\n''prefill-first'
        return
        ;;
    '--token-budget')
        return
        ;;
    '--dispatch')
        __epara_add_completions -W 'best-completion'$'\n''plan-weights'$'\n''local'
        return
        ;;
    '--window')
        return
        ;;
    '--node')
        return
        ;;
    '--listen')
        return
        ;;
    '--peers')
        return
        ;;
    '--backends')
        return
        ;;
    '--client-token-file')
        return
        ;;
    '--peer-token-file')
        return
        ;;
    '--tls-cert')
        return
        ;;
    '--tls-key')
        return
        ;;
    '--tls-client-ca')
        return
        ;;
    '--tls-peer-ca')
        return
        ;;
    '--max-header-size')
        return
        ;;
    '--read-timeout')
        return
        ;;
    '--idle-timeout')
        return
        ;;
    '--max-connections-per-client')
        return
        ;;
    esac
}

_epara_report() {
    repeating_flags=()
    non_repeating_flags=(--force --sweep --version -h --help)
    repeating_options=()
    non_repeating_options=(-o --output --baseline --target-attainment --state --run --from --to --html --format)
    __epara_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        return
        ;;
    '--baseline')
        return
        ;;
    '--target-attainment')
        return
        ;;
    '--state')
        return
        ;;
    '--run')
        return
        ;;
    '--from')
        return
        ;;
    '--to')
        return
        ;;
    '--html')
        return
        ;;
    '--format')
        __epara_add_completions -W 'json'$'\n''table'$'\n''markdown'
        return
        ;;
    esac
}

_epara_capacity() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--policy --target --trace)
    non_repeating_options=(-o --output --duration --warmup --seeds --tolerance --max-scale --replan-every --search-budget --memory-headroom --html --format)
    __epara_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        return
        ;;
    '--policy')
        __epara_add_completions -W 'epara'$'\n''local'$'\n''round-robin'$'\n''alpaserve'
        return
        ;;
    '--target')
        return
        ;;
    '--trace')
        return
        ;;
    '--duration')
        return
        ;;
    '--warmup')
        return
        ;;
    '--seeds')
        return
        ;;
    '--tolerance')
        return
        ;;
    '--max-scale')
        return
        ;;
    '--replan-every')
        return
        ;;
    '--search-budget')
        return
        ;;
    '--memory-headroom')
        return
        ;;
    '--html')
        return
        ;;
    '--format')
        __epara_add_completions -W 'json'$'\n''table'
        return
        ;;
    esac
}

_epara_manifests() {
    repeating_flags=()
    non_repeating_flags=(--inline-tokens --tls-mutual --version -h --help)
    repeating_options=()
    non_repeating_options=(-o --output --backends --workload --name --namespace --image --port --host-port --token-secret --client-token-file --peer-token-file --tls-secret --node-label --prometheus --prometheus-window --schedule --kubectl-image --only)
    __epara_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        return
        ;;
    '--backends')
        return
        ;;
    '--workload')
        return
        ;;
    '--name')
        return
        ;;
    '--namespace')
        return
        ;;
    '--image')
        return
        ;;
    '--port')
        return
        ;;
    '--host-port')
        return
        ;;
    '--token-secret')
        return
        ;;
    '--client-token-file')
        return
        ;;
    '--peer-token-file')
        return
        ;;
    '--tls-secret')
        return
        ;;
    '--node-label')
        return
        ;;
    '--prometheus')
        return
        ;;
    '--prometheus-window')
        return
        ;;
    '--schedule')
        return
        ;;
    '--kubectl-image')
        return
        ;;
    '--only')
        __epara_add_completions -W 'all'$'\n''plan'$'\n''servers'$'\n''names'
        return
        ;;
    esac
}

_epara_catalog() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=(-o --output --format)
    __epara_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '-o'|'--output')
        return
        ;;
    '--format')
        __epara_add_completions -W 'json'$'\n''table'
        return
        ;;
    esac
}

_epara_profile() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=(--catalog --prompt-tokens)
    non_repeating_options=(--url -o --output --api --server-model --model --device --max-concurrency --decode-tokens --repeats --input --timeout)
    __epara_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--url')
        return
        ;;
    '-o'|'--output')
        return
        ;;
    '--api')
        __epara_add_completions -W 'openai'$'\n''kserve-v2'
        return
        ;;
    '--server-model')
        return
        ;;
    '--model')
        return
        ;;
    '--device')
        return
        ;;
    '--catalog')
        return
        ;;
    '--max-concurrency')
        return
        ;;
    '--prompt-tokens')
        return
        ;;
    '--decode-tokens')
        return
        ;;
    '--repeats')
        return
        ;;
    '--input')
        return
        ;;
    '--timeout')
        return
        ;;
    esac
}

_epara_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __epara_offer_flags_options -1
}

complete -o filenames -F _epara epara
