#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/fuzzing.md) with clang in
# build-fuzz and runs each for FUZZ_SECONDS, one after another, single
# process. `make fuzz` (600 s each) and `make fuzz-smoke` (20 s each) call it.
#
# Each target reads two corpus folders: build-fuzz/fuzz-corpus/<target>, where
# libFuzzer writes the inputs it finds (kept between runs), and the seeds in
# fuzz/corpus/<target>, which it only reads, so the repository is never
# changed. A crash, leak, sanitizer report, timeout or out-of-memory input is
# saved as build-fuzz/fuzz-artifacts/<target>/crash-* (or leak-*, ...) and
# makes the script exit 1 after the remaining targets have run.
#
# Environment: FUZZ_SECONDS (600), FUZZ_TARGETS (all five), FUZZ_BUILD
# (build-fuzz), JOBS (build parallelism, default nproc), FUZZ_RSS_MB (2048),
# FUZZ_ARGS (extra libFuzzer flags), FUZZ_CMAKE_ARGS (extra CMake flags).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${FUZZ_BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-600}
targets=${FUZZ_TARGETS:-openai_request_fuzz gguf_fuzz llama2c_fuzz bpe_tokenizer_fuzz trace_fuzz}
jobs=${JOBS:-$(nproc)}
rss_mb=${FUZZ_RSS_MB:-2048}

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (Debian packages clang and libclang-rt-14-dev; scripts/install-deps.sh)" >&2
  exit 2
fi

build_start=$(date +%s)
# shellcheck disable=SC2086
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCACHEOPT_FUZZ=ON \
  -DCACHEOPT_BENCH=OFF ${FUZZ_CMAKE_ARGS:-} >/dev/null
# Only the fuzz targets and the libraries they link.
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets
echo "fuzz: build took $(($(date +%s) - build_start)) s"

logs=$build/logs
mkdir -p "$logs"
failed=()
summary=()
for t in $targets; do
  corpus=$build/fuzz-corpus/$t
  artifacts=$build/fuzz-artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  args=(-max_total_time="$seconds" -rss_limit_mb="$rss_mb" -timeout=30 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  [ -f "fuzz/$t.dict" ] && args+=(-dict="fuzz/$t.dict")
  # shellcheck disable=SC2206
  args+=(${FUZZ_ARGS:-})
  echo "fuzz: $t for ${seconds} s (log: $logs/$t.log)"
  rc=0
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$build/fuzz/$t" "${args[@]}" "$corpus" "fuzz/corpus/$t" >"$logs/$t.log" 2>&1 || rc=$?
  # libFuzzer's last status line ("#N DONE cov: C ft: F corp: K/S ...") and
  # "Done N runs in S second(s)".
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$logs/$t.log" | tail -n 1 || true)
  runs_line=$(grep -E '^Done [0-9]+ runs' "$logs/$t.log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+\/[0-9a-zA-Z]+).*/cov \1, ft \2, corpus \3/p' <<<"$done_line")
  if [ "$rc" -ne 0 ]; then
    failed+=("$t")
    summary+=("$t: FAILED (exit $rc; see $logs/$t.log and $artifacts/)")
    echo "fuzz: $t FAILED (exit $rc); the end of its log:" >&2
    tail -n 40 "$logs/$t.log" >&2
  else
    summary+=("$t: ${runs_line:-no 'Done' line}${cov:+; $cov}")
  fi
done

echo "fuzz: summary (${seconds} s per target)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
