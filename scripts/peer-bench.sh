#!/usr/bin/env bash
# cacheopt serve against llama.cpp's llama-server, side by side (issue 18;
# docs/peer-bench.md): builds llama-server from npm's node-llama-cpp bundle if
# absent (scripts/build-llama-cpp.sh, cached), generates the models, runs both
# servers pinned apart at a rate sweep with `cacheopt bench`, finds each one's
# SLO capacity per TBT SLO by bisection and writes OUT/peer-bench.{json,html}
# and OUT/summary.md.
# Run it alone on the machine: the figures are timings.
#
# Usage: scripts/peer-bench.sh [--cacheopt BIN] [--no-build-peer] [peer_bench.py flags...]
#   --cacheopt BIN     default build/cacheopt
#   --no-build-peer    exit 77 (skip) instead of building llama-server when it is absent
#   --out DIR          default out/peer-bench
#   everything else goes to scripts/peer_bench.py (--help lists it: --models,
#   --rates, --num-prompts, --precision, --quick, ...)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cacheopt="$here/../build/cacheopt"
build_peer=1
out=out/peer-bench
rest=()
while (($#)); do
  case "$1" in
    --cacheopt) cacheopt=${2:?--cacheopt needs a path}; shift 2 ;;
    --no-build-peer) build_peer=0; shift ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exec python3 "$here/peer_bench.py" --help ;;
    *) rest+=("$1"); shift ;;
  esac
done
[ -x "$cacheopt" ] || { echo "error: $cacheopt is not an executable (build it: cmake --build build --target cacheopt, or pass --cacheopt)" >&2; exit 1; }
for tool in python3 taskset; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install -y python3 util-linux)" >&2; exit 1; }
done

if bin=$(bash "$here/build-llama-cpp.sh" --bin-dir); then
  :
elif ((build_peer)); then
  bin=$(bash "$here/build-llama-cpp.sh" | tail -1)
else
  echo "skip: llama-server is not built (scripts/build-llama-cpp.sh builds it; minutes)" >&2
  exit 77
fi
src="${CACHEOPT_CACHE:-$HOME/.cache/cacheopt}/llama.cpp-src"
commit=$(git -C "$src" log -1 --format=%H 2>/dev/null || true)

exec python3 "$here/peer_bench.py" --cacheopt "$(realpath "$cacheopt")" --llama-server "$bin/llama-server" \
  --llama-commit "$commit" --out "$out" "${rest[@]}"
