#!/usr/bin/env bash
# The epara live gateway in front of LLM servers, measured with the official openai client on
# loopback: closed-loop load (load.py) straight at a model server ("direct") and through an
# epara gateway ("gateway") whose plan (bench.yaml; llama.yaml for the llama.cpp part) has one
# service, chat, on that server.
#   part 1  perfect_server.py, a stand-in that batches perfectly (one token per 20 ms per
#           request, however many run): 4 and 32 clients, non-stream and stream, 5..200 tokens
#   part 2  (when LLAMA_SERVER_CMD is set) a llama.cpp server: 1, 4, 8 and 16 clients, both
#           modes, 16..64 tokens with ignore_eos
# For each it prints req/s and p90 latency direct and through the gateway, their ratios, the
# gateway's 429s (shed) and other errors, and the gateway's CPU per proxied request (user+system
# ticks from /proc/<pid>/stat over a run, divided by the requests load.py sent in it).
# Without an epara binary only the direct columns are filled.
#
# Usage: bench/llm-gateway/run.sh [seconds per load run, default 12 (plus a 1 s warm-up)]
#   EPARA=path/to/epara     the binary (else .build/release/epara, else .build/debug/epara; with
#                           none found, or EPARA=none: direct only). This script never builds one.
#   LLAMA_SERVER_CMD='llama-server -m model.gguf --host 127.0.0.1 --port $PORT --parallel 16 -c 16384'
#                           a shell command starting a llama.cpp server on $PORT (exported; run
#                           with setsid from the repository's root, stopped as a process group);
#                           LLAMA_MODEL (default "llama") is the model name sent to it,
#                           LLAMA_CONCURRENCY (default 4) its --parallel: the gateway's max_concurrency,
#                           LLAMA_WAIT (default 600) the seconds to wait for its /health
#   LOAD_ARGS='--fast-sse'  more options for every load.py run (--api chat, --fast-sse, ...)
#   PERFECT_CLIENTS='4 32'  client counts for part 1 (empty: skip it); LLAMA_CLIENTS='1 4 8 16' for part 2
#   TOKEN_MS=20             the perfect server's time per token
#   OUT=dir                 keep the raw results (results.jsonl, logs) there
# The Python venv (.build/bench-venv, with openai) is made on first use. Runtime: about
# 8 x (seconds + 3) s for part 1, 16 x (seconds + 3) s plus the model's load for part 2.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-12}
here=bench/llm-gateway
venv=.build/bench-venv
py=$venv/bin/python
if ! "$py" -c 'import openai' 2>/dev/null; then
  echo "setting up $venv (python3 -m venv; pip install openai)" >&2
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q openai >&2
fi

epara=${EPARA:-}
if [[ $epara == none ]]; then
  epara=''
elif [[ -z $epara ]]; then
  for candidate in .build/release/epara .build/debug/epara; do
    if [[ -x $candidate ]]; then epara=$candidate; break; fi
  done
fi
if [[ -n $epara && ! -x $epara ]]; then echo "EPARA=$epara is not an executable" >&2; exit 1; fi
[[ -n $epara ]] && echo "gateway: $epara" >&2 || echo "no epara binary (EPARA, .build/release/epara, .build/debug/epara): measuring the servers directly only" >&2

read -r load _ < /proc/loadavg
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
  echo "warning: load average $load on $(nproc) cores: other work will show in the latencies" >&2
fi

work=$(mktemp -d)
: > "$work/results.jsonl"
server_pid='' gateway_pid='' llama_pid='' load_pid=''
stop() {  # pid [group]: SIGTERM, up to 5 s to exit, then SIGKILL
  local pid=$1 target=$1
  [[ -z $pid ]] && return 0
  [[ ${2:-} == group ]] && target=-$pid
  kill -TERM -- "$target" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "$target" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$load_pid"; stop "$gateway_pid"; stop "$server_pid"; stop "$llama_pid" group
  if [[ -n ${OUT:-} ]]; then mkdir -p "$OUT" && cp -r "$work"/. "$OUT"/ && echo "raw results in $OUT" >&2; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# The perfect server on a free port (it prints the port it got).
"$py" $here/perfect_server.py --port 0 --token-ms "${TOKEN_MS:-20}" 2> "$work/perfect.log" &
server_pid=$!
perfect_port=''
for _ in $(seq 100); do
  perfect_port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/perfect.log")
  [[ -n $perfect_port ]] && break
  kill -0 $server_pid 2>/dev/null || break
  sleep 0.1
done
[[ -n $perfect_port ]] || { echo "perfect_server.py did not start:" >&2; cat "$work/perfect.log" >&2; exit 1; }

gateway_port=''
start_gateway() {  # url model concurrency workload...: a gateway whose service chat goes to that server
  stop "$gateway_pid"; gateway_pid=''
  "$epara" classify "${@:4}" | "$epara" plan > "$work/plan.json"
  cat > "$work/backends.yaml" <<YAML
apiVersion: epara/v1
kind: Backends
backends:
  - {service: chat, type: openai, url: "$1", model: $2, max_concurrency: ${3:-64}}
YAML
  gateway_port=$(free_port)
  "$epara" serve "$work/plan.json" --engine live --all-nodes --listen "127.0.0.1:$gateway_port" \
    --backends "$work/backends.yaml" > "$work/gateway-run-$2.json" 2> "$work/gateway-$2.log" &
  gateway_pid=$!
  for _ in $(seq 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$gateway_port/readyz" && return 0
    kill -0 $gateway_pid 2>/dev/null || break
    sleep 0.1
  done
  echo "the epara gateway did not become ready:" >&2; tail -20 "$work/gateway-$2.log" >&2; exit 1
}

# One load run; appends {"backend", "target", "mode", "epara_cpu_us_per_req", "epara_cpu_pct", "load": {...}}.
measure() {  # backend target url model clients mode [load.py options]
  local backend=$1 target=$2 url=$3 model=$4 clients=$5 mode=$6
  shift 6
  local flags=("$@")
  [[ $mode == stream ]] && flags+=(--stream)
  local t0 t1 start end out
  if [[ $target == gateway ]]; then t0=$(ticks $gateway_pid); fi
  start=$(date +%s%N)
  # In the background, so that a signal's trap runs at once (wait returns), not after the run.
  # shellcheck disable=SC2086  # LOAD_ARGS is a list of options
  "$py" $here/load.py --base-url "$url" --model "$model" --clients "$clients" --seconds "$seconds" "${flags[@]}" ${LOAD_ARGS:-} \
    > "$work/load.out" &
  load_pid=$!
  wait $load_pid
  load_pid=''
  out=$(cat "$work/load.out")
  end=$(date +%s%N)
  local cpu_us=null cpu_pct=null
  if [[ $target == gateway ]]; then
    t1=$(ticks $gateway_pid)
    read -r cpu_us cpu_pct < <("$py" -c '
import json, sys
ticks, hz, wall, sent = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1e9, json.loads(sys.argv[4])["sent"]
print(round(ticks / hz * 1e6 / max(sent, 1), 1), round(100 * ticks / hz / wall, 1))' $((t1 - t0)) "$hz" $((end - start)) "$out")
  fi
  printf '{"backend": "%s", "target": "%s", "mode": "%s", "epara_cpu_us_per_req": %s, "epara_cpu_pct": %s, "load": %s}\n' \
    "$backend" "$target" "$mode" "$cpu_us" "$cpu_pct" "$out" >> "$work/results.jsonl"
  echo "  $backend $target $clients clients $mode: $out" >&2
}

table() {  # backend
  "$py" - "$work/results.jsonl" "$1" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
rows = [r for r in rows if r["backend"] == sys.argv[2]]
def get(target, clients, mode):
    return next((r for r in rows if r["target"] == target and r["load"]["clients"] == clients and r["mode"] == mode), None)
def f(v, fmt="{:.2f}"):
    return "-" if v is None else fmt.format(v)
def ratio(a, b):
    return None if a in (None, 0) or b is None else b / a
head = ("clients", "mode", "direct req/s", "gw req/s", "ratio", "direct p90 ms", "gw p90 ms", "ratio",
        "gw 429", "gw other err", "epara us/req", "epara cpu%", "load cpu% d/g")
print(("{:>7} {:>10} " + "{:>13} " * 11).format(*head))
keys = sorted({(r["load"]["clients"], r["mode"]) for r in rows}, key=lambda k: (k[0], k[1] != "non-stream"))
for clients, mode in keys:
    d, g = get("direct", clients, mode), get("gateway", clients, mode)
    dr = d["load"]["req_per_s"] if d else None
    gr = g["load"]["req_per_s"] if g else None
    dp = d["load"]["latency_ms"]["p90"] if d else None
    gp = g["load"]["latency_ms"]["p90"] if g else None
    errors = g["load"]["errors"] if g else {}
    e429 = errors.get("429", 0) if g else None
    other = sum(v for k, v in errors.items() if k != "429") if g else None
    print(("{:>7} {:>10} " + "{:>13} " * 11).format(
        clients, mode, f(dr), f(gr), f(ratio(dr, gr)), f(dp, "{:.0f}"), f(gp, "{:.0f}"), f(ratio(dp, gp)),
        f(e429, "{}"), f(other, "{}"), f(g["epara_cpu_us_per_req"] if g else None, "{:.0f}"),
        f(g["epara_cpu_pct"] if g else None, "{:.1f}"),
        f(d["load"]["client_cpu_pct"] if d else None, "{:.0f}") + "/" + f(g["load"]["client_cpu_pct"] if g else None, "{:.0f}")))
direct_errors = {(r["load"]["clients"], r["mode"]): r["load"]["errors"] for r in rows if r["target"] == "direct" and r["load"]["errors"]}
if direct_errors:
    print("errors straight from the server:", direct_errors)
PY
}

echo "perfect server on 127.0.0.1:$perfect_port (${TOKEN_MS:-20} ms per token); ${seconds} s per run" >&2
if [[ -n $epara ]]; then start_gateway "http://127.0.0.1:$perfect_port" perfect 64 $here/bench.yaml; fi
for clients in ${PERFECT_CLIENTS-4 32}; do
  for mode in non-stream stream; do
    measure perfect direct "http://127.0.0.1:$perfect_port/v1" perfect $clients $mode
    if [[ -n $epara ]]; then measure perfect gateway "http://127.0.0.1:$gateway_port/v1" chat $clients $mode; fi
  done
done
echo
echo "perfect server (one token per ${TOKEN_MS:-20} ms per request at any concurrency; 5..200 tokens):"
table perfect

if [[ -n ${LLAMA_SERVER_CMD:-} ]]; then
  PORT=$(free_port)
  export PORT
  echo "starting the llama.cpp server on 127.0.0.1:$PORT: $LLAMA_SERVER_CMD" >&2
  setsid bash -c "$LLAMA_SERVER_CMD" > "$work/llama.log" 2>&1 &
  llama_pid=$!
  ready=''
  for _ in $(seq $((${LLAMA_WAIT:-600} * 2))); do
    curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && { ready=1; break; }
    kill -0 $llama_pid 2>/dev/null || break
    sleep 0.5
  done
  [[ -n $ready ]] || { echo "the llama.cpp server did not become healthy:" >&2; tail -20 "$work/llama.log" >&2; exit 1; }
  model=${LLAMA_MODEL:-llama}
  if [[ -n $epara ]]; then
    start_gateway "http://127.0.0.1:$PORT" "$model" "${LLAMA_CONCURRENCY:-4}" $here/llama.yaml examples/llama-server/catalog.yaml
  fi
  for clients in ${LLAMA_CLIENTS-1 4 8 16}; do
    for mode in non-stream stream; do
      measure llama direct "http://127.0.0.1:$PORT/v1" "$model" $clients $mode --ignore-eos --min-tokens 16 --max-tokens 64
      if [[ -n $epara ]]; then
        measure llama gateway "http://127.0.0.1:$gateway_port/v1" chat $clients $mode --ignore-eos --min-tokens 16 --max-tokens 64
      fi
    done
  done
  echo
  echo "llama.cpp server (16..64 tokens, ignore_eos):"
  table llama
fi
