#!/usr/bin/env bash
# Leave-one-trace-out check of cacheopt's knob defaults (issue 13, docs/scheduling.md).
# Reads the results.json of `cacheopt experiment experiments/tune.json`, whose
# cacheopt variants are labelled co:KNOB=VALUE (the label cacheopt has every
# default). Score of a variant on a setup: the geometric mean over the capacity
# definitions of its capacity / the best baseline's (any non-cacheopt policy).
# For each knob and each trace X it picks the value with the best mean score on
# the setups of every other trace, then prints that value and both scores on X.
# Usage: scripts/leave-one-trace-out.sh out/tune/results.json
set -euo pipefail
results=${1:?usage: $0 RESULTS_JSON}
command -v jq >/dev/null || { echo "needs jq (apt-get install jq)" >&2; exit 2; }
jq -r '
  def geo(xs): if (xs | length) == 0 or (xs | any(. <= 0)) then 0
               else (xs | map(log) | add / length | exp) end;
  def mean(xs): if (xs | length) == 0 then 0 else (xs | add / length) end;
  (.config.capacity.definitions // ["token", "stall"]) as $defs
  | (.setups | map({key: .name, value: .trace}) | from_entries) as $trace
  | [.capacities[] | {setup, label: .variant.label, policy: .variant.policy,
                      caps: ([$defs[] as $d | .[$d].capacity_rps // 0])}] as $c
  | ($c | group_by(.setup) | map({key: .[0].setup, value: (
        [range(0; $defs | length) as $i | map(select(.policy != "cacheopt") | .caps[$i]) | max]
      )}) | from_entries) as $best
  | ($c | map(select(.policy == "cacheopt")) | map(. + {score: (
        [range(0; $defs | length) as $i | if $best[.setup][$i] > 0 then .caps[$i] / $best[.setup][$i] else 0 end]
        | geo(.))})) as $co
  | ($co | map(.label | select(startswith("co:")) | split("=")[0] | ltrimstr("co:")) | unique) as $knobs
  | ($trace | [.[]] | unique) as $traces
  | "knob               left out          value chosen elsewhere   score there   default score there",
    ($knobs[] as $k | $traces[] as $x
      | ($co | map(select(.label == "cacheopt" or (.label | startswith("co:" + $k + "="))))) as $cands
      | ($cands | group_by(.label) | map({label: .[0].label,
            train: mean(map(select($trace[.setup] != $x) | .score)),
            test: mean(map(select($trace[.setup] == $x) | .score))})) as $per
      | ($per | max_by(.train)) as $pick
      | ($per | map(select(.label == "cacheopt"))[0]) as $dflt
      | "\($k | .[0:18] | . + " " * (18 - length)) \($x | .[0:16] | . + " " * (16 - length))  \(if $pick.label == "cacheopt" then "default" else ($pick.label | split("=")[1]) end | . + " " * (23 - length))  \($pick.test * 1000 | round / 1000)         \($dflt.test * 1000 | round / 1000)")
' "$results"
