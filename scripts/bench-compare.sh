#!/usr/bin/env bash
# Side-by-side speed check of two builds (issue 14): scheduler_bench's
# decode step at 1024 running requests and simulate_bench's whole-trace
# runs, alternating base and new ROUNDS times; prints each benchmark's
# median real time for both and the ratio new/base. Run alone on the machine.
#   bash scripts/bench-compare.sh BASE_BUILD_DIR NEW_BUILD_DIR [ROUNDS]
set -euo pipefail
base=$1 new=$2 rounds=${3:-3}
out=$(mktemp -d)
for ((i = 1; i <= rounds; i++)); do
  for side in base new; do
    dir=$base; [[ $side == new ]] && dir=$new
    "$dir/scheduler_bench" --benchmark_filter='/1024/' --benchmark_format=json >"$out/sched.$side.$i.json" 2>/dev/null
    "$dir/simulate_bench" --benchmark_filter='BM_SimulateAzure/(2000|10000)$' --benchmark_format=json \
      >"$out/sim.$side.$i.json" 2>/dev/null
  done
done
# Each round's real time (us; a benchmark that repeats itself gives its own
# median), per benchmark and side; the median over the rounds.
for side in base new; do
  jq -s '[.[].benchmarks[] | select(.run_type == "iteration" or .aggregate_name == "median")
          | {name: (.run_name // .name),
             t: (.real_time * ({"ns": 0.001, "us": 1, "ms": 1000, "s": 1000000}[.time_unit]))}]
         | group_by(.name) | map({name: .[0].name, median: (map(.t) | sort | .[(length / 2 | floor)])})' \
    "$out"/sched.$side.*.json "$out"/sim.$side.*.json >"$out/$side.json"
done
jq -r -n --slurpfile b "$out/base.json" --slurpfile n "$out/new.json" '
  ($b[0] | map({(.name): .median}) | add) as $bm |
  $n[0][] | "\(.name)\tbase \($bm[.name] * 100 | round / 100) us\tnew \(.median * 100 | round / 100) us\tnew/base \(.median / $bm[.name] * 1000 | round / 1000)"'
rm -rf "$out"
