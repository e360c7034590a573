#!/usr/bin/env bash
# The real server past its capacity (issue 13, docs/real-engine.md "Overload"):
# one policy on a generated 15M model, one compute thread pinned to core 0,
# the benchmark client on core 1, Azure conversation lengths divided by 8,
# Poisson arrivals, TTFT SLO 1 s and TBT SLO 100 ms, 200 requests per rate.
# Prints served req/s, both-SLO attainment, SLO goodput and p95 ITL per rate.
# Usage: scripts/server-overload.sh BINARY POLICY RATE...   (run it alone)
set -euo pipefail
bin=${1:?usage: $0 BINARY POLICY RATE...}; policy=${2:?policy}; shift 2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$bin" make-model --config 15m --out "$work/m15.gguf" >/dev/null
port=$((20000 + RANDOM % 20000))
printf '%-10s %-6s %-10s %-10s %-10s %s\n' policy rate served both_slos goodput p95_itl_ms
for rate in "$@"; do
  taskset -c 0 "$bin" serve --model "$work/m15.gguf" --threads 1 --max-concurrency 256 --port "$port" \
    --policy "$policy" >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do grep -q "serve: ready" "$work/serve.log" && break; sleep 0.5; done
  taskset -c 1 "$bin" bench --base-url "http://127.0.0.1:$port" --dataset azure_conv --length-scale 8 \
    --num-prompts 200 --seed 1 --ignore-eos --max-context 2048 --ttft-slo-ms 1000 --tbt-slo-ms 100 \
    --rate "$rate" >"$work/bench.log" 2>&1
  kill -TERM "$pid"; wait "$pid" || true
  field() { awk -F: -v k="$1" '$1 ~ k {gsub(/ /, "", $2); print $2}' "$work/bench.log" | head -1; }
  printf '%-10s %-6s %-10s %-10s %-10s %s\n' "$policy" "$rate" "$(field 'Request throughput')" \
    "$(field 'TTFT and TBT SLO attainment')" "$(field 'SLO goodput')" "$(field 'P95 ITL')"
done
