#!/usr/bin/env bash
# A real Prometheus server scrapes `cacheopt serve` (issue 16's backend
# contract): the test starts one replica and Debian's prometheus on loopback
# (free ports, a temporary config listing the replica, scraped every second),
# drives a few requests, then checks through Prometheus' HTTP API that
#   - the target is up;
#   - every series the routers read has the right type in the metadata API
#     (the gauges, the info gauge, the queue-time histogram, the prefix-cache
#     counters);
#   - each load gauge is one series, and kv_cache_usage_perc is a 0-1 fraction;
# and that `promtool check metrics` finds no parse error and no lint finding
# in our /metrics text other than the ':' in vLLM's own names.
# Exit 77 (CTest: skipped) when prometheus or promtool is not installed.
# Usage: scripts/prometheus-scrape-test.sh CACHEOPT_BINARY WORK_DIR
set -euo pipefail
bin=$1
work=$2
for tool in prometheus promtool curl jq; do
  command -v "$tool" >/dev/null || { echo "no $tool (apt-get install prometheus curl jq): skipped"; exit 77; }
done
rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

"$bin" serve --port 0 --threads 1 --kv-device-memory 64MiB --max-concurrency 8 --max-queue 8 \
  2>"$work/serve.log" >/dev/null &
pids+=($!)
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|^serve: listening on http://[^:]*:\([0-9]*\).*|\1|p' "$work/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start"; cat "$work/serve.log"; exit 1; }
for _ in $(seq 1 1200); do
  grep -q '^serve: ready' "$work/serve.log" && break
  sleep 0.1
done
grep -q '^serve: ready' "$work/serve.log" || { echo "server not ready"; cat "$work/serve.log"; exit 1; }
base="http://127.0.0.1:$port"
model=$(curl -sf "$base/v1/models" | jq -r '.data[0].id')
for i in 1 2 3; do  # something in every histogram and counter
  curl -sf "$base/v1/completions" -H 'Content-Type: application/json' \
    -d "{\"model\": \"$model\", \"prompt\": \"Once upon a time\", \"max_tokens\": 8, \"temperature\": 0}" >/dev/null
done

# promtool reads the exposition from stdin. Exit 1 is a parse error; exit 3
# is lint findings. The one finding allowed is promtool's advice against ':'
# in names: vLLM's names (vllm:...) have it, and the routers read those names.
curl -sf "$base/metrics" >"$work/metrics.txt"
rc=0
promtool check metrics <"$work/metrics.txt" >"$work/promtool.out" 2>&1 || rc=$?
others=$(grep -v "metric names should not contain ':'" "$work/promtool.out" || true)
if [ "$rc" != 0 ] && { [ "$rc" != 3 ] || [ -n "$others" ]; }; then
  echo "promtool check metrics (exit $rc) found problems:"; cat "$work/promtool.out"; exit 1
fi
echo "promtool check metrics: no parse error, no lint finding but the ':' in vLLM's names" \
  "($(grep -c . "$work/promtool.out") of those; $(wc -l <"$work/metrics.txt") lines)"

pport=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: cacheopt
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:$port"]
EOF
promtool check config "$work/prometheus.yml" >/dev/null
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$pport" 2>"$work/prometheus.log" &
pids+=($!)
papi="http://127.0.0.1:$pport/api/v1"

# Until the target is up and its metadata arrived (a scrape or two).
need=(vllm:num_requests_waiting:gauge vllm:num_requests_running:gauge vllm:kv_cache_usage_perc:gauge
      vllm:gpu_cache_usage_perc:gauge vllm:cache_config_info:gauge vllm:request_queue_time_seconds:histogram
      vllm:prefix_cache_queries_total:counter vllm:prefix_cache_hits_total:counter
      vllm:time_to_first_token_seconds:histogram)
ok=0
for _ in $(seq 1 120); do
  if curl -sf "$papi/targets" >"$work/targets.json" 2>/dev/null &&
     [ "$(jq -r '[.data.activeTargets[] | select(.health == "up")] | length' "$work/targets.json")" = 1 ] &&
     curl -sf "$papi/metadata" >"$work/metadata.json" &&
     [ "$(jq -r '.data["vllm:request_queue_time_seconds"][0].type // empty' "$work/metadata.json")" != "" ]; then
    ok=1
    break
  fi
  sleep 0.5
done
[ "$ok" = 1 ] || { echo "Prometheus never scraped the replica"; cat "$work/targets.json" 2>/dev/null; tail -20 "$work/prometheus.log"; exit 1; }
fail=0
for entry in "${need[@]}"; do
  name=${entry%:*}
  want=${entry##*:}
  got=$(jq -r --arg n "$name" '.data[$n][0].type // "absent"' "$work/metadata.json")
  if [ "$got" = "$want" ]; then
    echo "metadata: $name is a $got"
  else
    echo "FAIL: metadata: $name is '$got', expected $want"; fail=1
  fi
done
for g in vllm:num_requests_waiting vllm:num_requests_running vllm:kv_cache_usage_perc; do
  n=$(curl -sf "$papi/query" --data-urlencode "query=$g" | jq '.data.result | length')
  [ "$n" = 1 ] && echo "query: $g is one series" || { echo "FAIL: query: $g has $n series"; fail=1; }
done
kv=$(curl -sf "$papi/query" --data-urlencode 'query=vllm:kv_cache_usage_perc' | jq -r '.data.result[0].value[1]')
awk -v v="$kv" 'BEGIN { exit !(v >= 0 && v <= 1) }' && echo "query: kv_cache_usage_perc = $kv, a fraction" \
  || { echo "FAIL: kv_cache_usage_perc = $kv"; fail=1; }
info=$(curl -sf "$papi/query" --data-urlencode 'query=vllm:cache_config_info' | jq -r '.data.result[0].metric | "\(.block_size) \(.num_gpu_blocks)"')
case "$info" in
  [0-9]*\ [0-9]*) echo "query: cache_config_info block_size, num_gpu_blocks = $info" ;;
  *) echo "FAIL: cache_config_info labels: $info"; fail=1 ;;
esac
qc=$(curl -sf "$papi/query" --data-urlencode 'query=vllm:request_queue_time_seconds_count' | jq -r '.data.result[0].value[1]')
[ "$qc" = 3 ] && echo "query: request_queue_time_seconds_count = 3" || { echo "FAIL: queue-time count $qc, expected 3"; fail=1; }
[ "$fail" = 0 ] || exit 1
echo "Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') scraped the replica: every series typed as expected"
