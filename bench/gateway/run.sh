#!/usr/bin/env bash
# Gateway overhead on loopback, two cores: wrk (Debian) against
#   backend    nginx answering a KServe v2 path with a fixed body (the model server stand-in)
#   nginx      nginx as a reverse proxy in front of that backend (keep-alive upstream)
#   epara->k   the epara gateway in front of the same backend (kserve-v2, AsyncHTTPClient)
#   epara      the epara gateway on the emulated backend with time_scale 0 (no backend hop)
# Latency: one connection, one thread (p50, p99 of sequential requests). Throughput: 64
# connections, two threads, and the CPU time each server process spent per request meanwhile
# (epara's and nginx's, from /proc: steadier than requests/s on a shared machine). Needs wrk and
# nginx (apt-get install wrk nginx) and a release build.
# Usage: bench/gateway/run.sh [seconds per run, default 10]
#   EPARA=path/to/epara bench/gateway/run.sh   measures that binary instead of building one
#                                               (an earlier commit's, to compare)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-10}
for tool in wrk nginx; do command -v $tool >/dev/null || { echo "needs $tool (apt-get install $tool)" >&2; exit 1; }; done
if [[ -n ${EPARA:-} ]]; then
  epara=$EPARA
else
  swift build -c release --product epara >&2
  epara="$(swift build -c release --show-bin-path)/epara"
fi
work=$(mktemp -d)
backend=18181 proxy=18182 gateway=18190 gpid=
trap 'kill $(cat $work/nginx.pid 2>/dev/null) 2>/dev/null || true; [[ -n $gpid ]] && kill $gpid 2>/dev/null; rm -rf $work' EXIT

cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/body;
  proxy_temp_path $work/proxy;
  upstream backend { server 127.0.0.1:$backend; keepalive 64; }
  server {
    listen 127.0.0.1:$backend;
    location / { default_type application/json; return 200 '{"model_name":"m","outputs":[]}'; }
  }
  server {
    listen 127.0.0.1:$proxy;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" -g 'daemon on;'

"$epara" classify bench/gateway/bench.yaml | "$epara" plan > "$work/plan.json"
cat > "$work/backends.yaml" <<YAML
apiVersion: epara/v1
kind: Backends
backends:
  - {service: s, type: emulated, time_scale: 0}
  - {service: k, type: kserve-v2, url: "http://127.0.0.1:$backend", model: m}
YAML
"$epara" serve "$work/plan.json" --engine live --all-nodes --listen 127.0.0.1:$gateway --backends "$work/backends.yaml" \
  > /dev/null 2> "$work/gateway.log" &
gpid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:$gateway/healthz >/dev/null && break; sleep 0.1; done

# CPU ticks (user + system) of a process; of nginx's workers together.
ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
nginx_ticks() { local t=0 p; for p in $(pgrep -f "nginx: worker process" || true); do t=$((t + $(ticks $p))); done; echo $t; }
# wrk's latency in microseconds.
us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n * 1000; else if (v ~ /s$/) print n * 1e6; else print n }'; }
measure() {  # name url
  local name=$1 url=$2 out
  out=$(wrk -t1 -c1 -d${seconds}s --latency -s bench/gateway/post.lua "$url")
  local p50 p99 errors rps
  p50=$(us "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  p99=$(us "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  errors=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
  local e0 n0 e1 n1 total
  e0=$(ticks $gpid) n0=$(nginx_ticks)
  out=$(wrk -t2 -c64 -d${seconds}s -s bench/gateway/post.lua "$url")
  e1=$(ticks $gpid) n1=$(nginx_ticks)
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  total=$(echo "$out" | awk '/requests in/ { print $1 }')
  errors="${errors:-0}+$(echo "$out" | awk '/Non-2xx/ { print $NF }')"
  local cpu_epara cpu_nginx  # µs of CPU per request (ticks are 10 ms)
  cpu_epara=$(awk -v t=$((e1 - e0)) -v n="$total" 'BEGIN { printf "%.1f", t * 1e4 / n }')
  cpu_nginx=$(awk -v t=$((n1 - n0)) -v n="$total" 'BEGIN { printf "%.1f", t * 1e4 / n }')
  printf "%-10s %10.1f %10.1f %12.0f %12s %12s %s\n" "$name" "$p50" "$p99" "$rps" "$cpu_epara" "$cpu_nginx" "${errors%+}"
  echo "$name $p50 $p99 $rps $cpu_epara $cpu_nginx" >> "$work/figures"
}
printf "%-10s %10s %10s %12s %12s %12s %s\n" target "p50 us" "p99 us" "max req/s" "epara us/req" "nginx us/req" "non-2xx"
measure backend "http://127.0.0.1:$backend/v2/models/m/infer"
measure nginx "http://127.0.0.1:$proxy/v2/models/m/infer"
measure "epara->k" "http://127.0.0.1:$gateway/v1/services/k/infer"
measure epara "http://127.0.0.1:$gateway/v1/services/s/infer"
awk '
  { p50[$1] = $2; rps[$1] = $4; cpu[$1] = $5 + $6 }
  END {
    printf "\nadded p50: nginx %.0f us, epara in front of the backend %.0f us, epara alone (emulated) %.0f us over the bare backend\n",
      p50["nginx"] - p50["backend"], p50["epara->k"] - p50["backend"], p50["epara"] - p50["backend"]
    printf "throughput vs nginx: epara in front of the backend %.0f%%, epara alone %.0f%%\n",
      100 * rps["epara->k"] / rps["nginx"], 100 * rps["epara"] / rps["nginx"]
    printf "server CPU per request over the bare backend: nginx %.1f us, epara in front of the backend %.1f us, epara alone %.1f us\n",
      cpu["nginx"] - cpu["backend"], cpu["epara->k"] - cpu["backend"], cpu["epara"]
  }' "$work/figures"
