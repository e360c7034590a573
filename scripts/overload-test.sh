#!/usr/bin/env bash
# Overload and fault test of `cacheopt serve` on 127.0.0.1 (docs/security.md):
#  1. start the server (its default model and limits);
#  2. measure its capacity: a closed loop of 64 clients (the server's
#     --max-concurrency), completed requests per second;
#  3. send LOAD x that rate for DURATION seconds (Poisson), with 10% of the
#     clients hanging up mid-stream and 5% sending malformed bodies, while the
#     server's resident memory is sampled every second;
#  4. check: the server never died; no request was lost (an accepted request
#     either completed or got an error), every malformed body got a 4xx, every
#     request got an HTTP answer; once idle, no request is open and the KV
#     usage is 0 on both tiers; SIGTERM exits 0.
# Prints the peak resident memory (VmHWM) and the resident memory over time.
# Usage: scripts/overload-test.sh CACHEOPT_BINARY OUT_DIR [DURATION_S] [LOAD]
# Exit 0 when every check holds.
set -euo pipefail
bin=$1
out=$2
duration=${3:-600}
load=${4:-2}
cap_prompts=${CAP_PROMPTS:-300}
mkdir -p "$out"
fail=0
check() {  # check NAME CONDITION-RESULT(0/1)
  if [ "$2" = 1 ]; then echo "PASS $1"; else echo "FAIL $1"; fail=1; fi
}

# The synthetic trace (Azure 2023 conversation's length statistics) has as
# many rows as a run asks for; a real trace would run out at high rates.
dataset=synthetic

"$bin" serve --port 0 2>"$out/serve.log" >/dev/null &
pid=$!
cleanup() { kill -KILL "$pid" 2>/dev/null || true; [ -n "${sampler:-}" ] && kill "$sampler" 2>/dev/null || true; }
trap cleanup EXIT
port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's|^serve: listening on http://[^:]*:\([0-9]*\).*|\1|p' "$out/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start"; cat "$out/serve.log"; exit 1; }
for _ in $(seq 1 3000); do
  grep -q '^serve: ready' "$out/serve.log" && break
  sleep 0.1
done
grep -q '^serve: ready' "$out/serve.log" || { echo "server not ready"; cat "$out/serve.log"; exit 1; }
url="http://127.0.0.1:$port"
grep '^serve: ready' "$out/serve.log"

scrape() {  # GET /metrics through bash's /dev/tcp (no curl needed)
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 0
  printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
  timeout 10 cat <&3 | tr -d '\r'
  exec 3<&-
}
metric() {  # metric NAME [LABEL-SUBSTRING]: the value, or -1
  scrape | awk -v n="$1" -v l="${2:-}" \
    'index($0, n) == 1 && (substr($0, length(n) + 1, 1) == "{" || substr($0, length(n) + 1, 1) == " ") &&
     (l == "" || index($0, l) > 0) { print $NF; found = 1; exit } END { if (!found) print -1 }'
}
row() {  # row FILE LABEL: the value of a result-table row
  awk -v l="$2" 'index($0, l) == 1 { print $NF; exit }' "$1"
}

# 2. Capacity: 64 clients in a closed loop.
"$bin" bench --base-url "$url" --dataset "$dataset" --rate inf --max-concurrency 64 \
  --num-prompts "$cap_prompts" --seed 1 --quiet >"$out/capacity.txt"
capacity=$(row "$out/capacity.txt" "Request throughput (req/s):")
rate=$(awk -v c="$capacity" -v l="$load" 'BEGIN { printf "%.2f", c * l }')
prompts=$(awk -v r="$rate" -v d="$duration" 'BEGIN { printf "%d", r * d * 1.1 + 10 }')
echo "capacity: $capacity req/s (closed loop, 64 clients); overload: $rate req/s for $duration s"

# 3. Overload with faults, resident memory sampled each second.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0; }
rss_start=$(rss_kb)
(
  t=0
  while kill -0 "$pid" 2>/dev/null; do
    echo "$t $(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) $(ls "/proc/$pid/fd" 2>/dev/null | wc -l)"
    sleep 1
    t=$((t + 1))
  done
) >"$out/rss.txt" &
sampler=$!
start=$(date +%s)
"$bin" bench --base-url "$url" --dataset "$dataset" --rate "$rate" --num-prompts "$prompts" --seed 2 \
  --time-limit "$duration" --timeout 120 --disconnect-fraction 0.1 --malformed-fraction 0.05 --quiet \
  --save-result "$out/overload.json" >"$out/overload.txt" || true
end=$(date +%s)
cat "$out/overload.txt"

# 4. Checks.
alive=0; kill -0 "$pid" 2>/dev/null && alive=1
ran=$(row "$out/overload.txt" "Benchmark duration (s):")
check "sent for the whole duration: ${ran:-?} s of $duration s" \
  "$(awk -v r="${ran:-0}" -v d="$duration" 'BEGIN { print (r >= 0.95 * d) ? 1 : 0 }')"
check "server alive after $((end - start)) s at ${load}x capacity" "$alive"
for r in "Lost (200, then no finish or error):" "No HTTP answer:" "Malformed, answered otherwise:"; do
  v=$(row "$out/overload.txt" "$r")
  check "$r $v" "$([ "$v" = 0 ] && echo 1 || echo 0)"
done
completed=$(row "$out/overload.txt" "Completed:")
check "some requests completed ($completed)" "$([ "${completed:-0}" -gt 0 ] && echo 1 || echo 0)"

# Idle: every accepted request answered, every block free.
for _ in $(seq 1 600); do
  [ "$(metric cacheopt_requests_open)" = 0 ] && [ "$(metric vllm:num_requests_running)" = 0 ] && break
  sleep 0.1
done
for m in cacheopt_requests_open vllm:num_requests_running vllm:num_requests_waiting cacheopt_num_requests_swapped \
         vllm:kv_cache_usage_perc cacheopt_kv_host_usage_perc; do
  v=$(metric "$m")
  check "idle: $m = $v" "$([ "$v" = 0 ] && echo 1 || echo 0)"
done
accepted=$(metric cacheopt_requests_accepted_total)
stop=$(metric vllm:request_success_total '"stop"')
length=$(metric vllm:request_success_total '"length"')
abort=$(metric vllm:request_success_total '"abort"')
kv_refused=$(metric cacheopt_requests_rejected_total kv_capacity)
ended=$(awk -v a="$stop" -v b="$length" -v c="$abort" 'BEGIN { print a + b + c }')
# Every accepted request ended as stop, length or abort, except those the
# engine itself refused for KV capacity (counted with the HTTP layer's).
books=$(awk -v acc="$accepted" -v e="$ended" -v k="$kv_refused" 'BEGIN { print (acc >= e && acc <= e + k) ? 1 : 0 }')
check "server books: accepted $accepted = stop $stop + length $length + abort $abort (+ up to $kv_refused refused for KV)" "$books"
echo "server refusals: queue_full $(metric cacheopt_requests_rejected_total queue_full)," \
  "invalid_request $(metric cacheopt_requests_rejected_total invalid_request)," \
  "model_not_found $(metric cacheopt_requests_rejected_total model_not_found)," \
  "context_length $(metric cacheopt_requests_rejected_total context_length)," \
  "max_connections $(metric cacheopt_http_refused_total max_connections)"

peak_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
rss_end=$(rss_kb)
echo "resident memory: start $((rss_start / 1024)) MiB, end $((rss_end / 1024)) MiB, peak (VmHWM) $((peak_kb / 1024)) MiB"
echo "resident memory over the run (seconds, MiB, open descriptors):"
awk -v step="$(( duration / 10 > 0 ? duration / 10 : 1 ))" '$1 % step == 0 { printf "  %s %d %s\n", $1, $2 / 1024, $3 }' "$out/rss.txt"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
trap - EXIT
kill "$sampler" 2>/dev/null || true
check "SIGTERM: exit code $rc" "$([ "$rc" = 0 ] && echo 1 || echo 0)"
[ "$fail" = 0 ] && echo "overload test: every check passed" || echo "overload test: FAILED"
exit "$fail"
