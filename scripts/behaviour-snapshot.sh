#!/usr/bin/env bash
# Writes everything a refactor must leave byte-identical (issue 14) into DIR:
# for every policy, `simulate --json` and `--steps-log` on three workloads; the
# quick experiment's results.csv; a short soak's report; the real engine's
# greedy text under two policies. scripts/check-unchanged.sh compares two.
#   bash scripts/behaviour-snapshot.sh BINARY DIR
set -euo pipefail
bin=$(realpath "$1")
out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${CACHEOPT_SHARED:-$root/../shared}
# Both binaries find the same ../shared wherever they were built.
[[ -d $shared ]] && export CACHEOPT_SHARED=$(realpath "$shared")
mkdir -p "$out"
cd "$root"

# name|simulate flags. The Azure conversation trace replayed; BWB with bursty
# Gamma arrivals past capacity (preemptions, swaps); Mooncake's long prompts clipped.
workloads=(
  "azure|--requests 800 --seed 1"
  "bwb-gamma|--trace $shared/data/vidur_processed_traces/bwb_stats_llama2_tokenizer_filtered_v2.csv --arrival gamma --arrival-cv 3 --rate 6 --requests 600 --seed 2"
  "mooncake|--trace $shared/data/mooncake/synthetic_trace.jsonl --clip-prompts --model llama-2-7b --gpu a100-80g --requests 300 --seed 3"
)
if [[ ! -d $shared/data ]]; then
  workloads=("synthetic|--requests 800 --seed 1")  # without ../shared: its synthetic workload
fi
# Every policy, and the variants that take other code paths.
# label|policy|flags
policies=(
  "vllm|vllm|" "vllm-swap|vllm|--preemption-mode swap" "vllm-v1|vllm-v1|"
  "vllm-v1-wm|vllm-v1|--set watermark=0.05" "sarathi|sarathi|" "sarathi-512|sarathi|--token-budget 512"
  "reserve-max|reserve-max|" "s3|s3|" "cacheopt|cacheopt|" "cacheopt-oracle|cacheopt|--set estimator=oracle"
  "cacheopt-ablated|cacheopt|--set disable=strategy,victim,lending"
)
for w in "${workloads[@]}"; do
  wname=${w%%|*}; wflags=${w#*|}
  for p in "${policies[@]}"; do
    IFS='|' read -r pname policy pflags <<<"$p"
    # shellcheck disable=SC2086
    "$bin" simulate --policy "$policy" $wflags $pflags --json "$out/$wname.$pname.json" \
      --steps-log "$out/$wname.$pname.steps.jsonl" >"$out/$wname.$pname.stdout"
  done
done

"$bin" experiment experiments/quick.json --out "$out/quick" >/dev/null
# Keep only what the runner computes (report.html embeds the same numbers),
# less the wall-clock times.
find "$out/quick" -type f ! -name results.csv ! -name results.json -delete
jq -S 'walk(if type == "object" then del(.wall_s, .cpu_s) else . end)' "$out/quick/results.json" \
  >"$out/quick/results.nowall.json"
# results.csv less its wall_s and cpu_s columns (fields may be quoted, with commas).
awk '
  function fields(line, f,   n, i, c, q, cur) {
    n = 0; cur = ""; q = 0
    for (i = 1; i <= length(line); i++) {
      c = substr(line, i, 1)
      if (c == "\"") q = !q
      if (c == "," && !q) { f[++n] = cur; cur = "" } else cur = cur c
    }
    f[++n] = cur
    return n
  }
  { n = fields($0, f); row = ""
    for (i = 1; i <= n; i++) {
      if (NR == 1 && (f[i] == "wall_s" || f[i] == "cpu_s")) drop[i] = 1
      if (!(i in drop)) row = row (row == "" ? "" : ",") f[i]
    }
    print row }' "$out/quick/results.csv" >"$out/quick/results.nowall.csv"
rm "$out/quick/results.json" "$out/quick/results.csv"

"$bin" soak --steps 20000 --seed 7 --episode-log | grep '^episode' >"$out/soak.txt"

for p in vllm cacheopt; do
  "$bin" generate -t 0 -n 64 -i "Once upon a time" --policy "$p" --threads 1 >"$out/generate.$p.txt" 2>/dev/null
done
echo "snapshot in $out ($(find "$out" -type f | wc -l) files)"
