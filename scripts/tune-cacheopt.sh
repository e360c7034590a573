#!/usr/bin/env bash
# The tuning sweep behind cacheopt's knob defaults (docs/scheduling.md,
# "Tuning"): stall-aware capacity (req/s, seed 100, 2000 requests) of each
# candidate setting on the tuning setups, next to vllm and sarathi-512.
# Seed 100 is kept out of the headline experiments (seeds 1-3).
# Usage: scripts/tune-cacheopt.sh [BINARY]   (about 30-40 min on 2 cores)
set -euo pipefail
bin=${1:-build/cacheopt}
T=${CACHEOPT_SHARED:-../shared}/data/vidur_processed_traces
setups=(
  "llama-2-7b/azure_conv|--model llama-2-7b --gpu a100-40g"
  "llama-2-7b/sharegpt/poisson|--model llama-2-7b --gpu a100-40g --trace $T/sharegpt_8k_filtered_stats_llama2_tokenizer.csv --arrival poisson"
  "llama-2-7b/bwb/gamma-cv3|--model llama-2-7b --gpu a100-40g --trace $T/bwb_stats_llama2_tokenizer_filtered_v2.csv --arrival gamma --arrival-cv 3"
  "internlm-20b/sharegpt/poisson|--model internlm-20b --gpu a100-80g --trace $T/sharegpt_8k_filtered_stats_llama2_tokenizer.csv --arrival poisson"
)
# Every cacheopt row names each knob it tries; the others stay at their defaults.
P="--policy cacheopt"
configs=(
  "vllm|--policy vllm"
  "sarathi-512|--policy sarathi"
  "paper: pairwise, alpha 0.95|$P --set lending=pairwise --set alpha=0.95 --set late_last=0 --set urgent_overcommit=0"
  "peak, alpha 0.95|$P --set lending=peak --set alpha=0.95 --set late_last=0 --set urgent_overcommit=0"
  "peak, alpha 0.8|$P --set lending=peak --set alpha=0.8 --set late_last=0 --set urgent_overcommit=0"
  "peak, alpha 0.5|$P --set lending=peak --set alpha=0.5 --set late_last=0 --set urgent_overcommit=0"
  "peak, no padding|$P --set lending=peak --set disable=padding --set late_last=0 --set urgent_overcommit=0"
  "peak, alpha 0.5, late last|$P --set lending=peak --set alpha=0.5 --set late_last=1 --set urgent_overcommit=0"
  "peak, alpha 0.7, late last|$P --set lending=peak --set alpha=0.7 --set late_last=1 --set urgent_overcommit=0"
  "peak, alpha 0.85, late last|$P --set lending=peak --set alpha=0.85 --set late_last=1 --set urgent_overcommit=0"
  "pairwise, alpha 0.5, late last|$P --set lending=pairwise --set alpha=0.5 --set late_last=1 --set urgent_overcommit=0"
  "peak, alpha 0.5, late last, urgent overcommit|$P --set lending=peak --set alpha=0.5 --set late_last=1 --set urgent_overcommit=1"
)
printf '%-32s %-48s %s\n' setup setting stall_capacity_rps
for s in "${setups[@]}"; do
  for c in "${configs[@]}"; do
    # shellcheck disable=SC2086
    cap=$("$bin" capacity ${s#*|} ${c#*|} --definition stall --seed 100 2>&1 | awk '/^capacity/ {print $(NF-1)}')
    printf '%-32s %-48s %s\n' "${s%%|*}" "${c%%|*}" "${cap:-error}"
  done
done
