#!/usr/bin/env bash
# Checks that a refactor changed no behaviour (issue 14): builds BASE (a commit,
# default the one the refactor started from) in a scratch worktree, takes
# scripts/behaviour-snapshot.sh with its binary and with BINARY (default
# build/cacheopt), and diffs the two. Exit 0: byte-identical.
#   bash scripts/check-unchanged.sh [BASE] [BINARY]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:-8df8f39}
bin=$(realpath "${2:-$root/build/cacheopt}")
work=${CHECK_DIR:-/tmp/cacheopt-check-unchanged}
mkdir -p "$work"
base_sha=$(git -C "$root" rev-parse "$base^{commit}")

tree=$work/tree-$base_sha
if [[ ! -d $tree ]]; then
  git -C "$root" worktree add --detach "$tree" "$base_sha" >/dev/null
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$tree" -B "$tree/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCACHEOPT_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$tree/build" -j "$(nproc)" --target cacheopt >/dev/null

# Both snapshots run the scripts of this tree, so they take the same runs.
rm -rf "$work/base" "$work/new"
bash "$root/scripts/behaviour-snapshot.sh" "$tree/build/cacheopt" "$work/base" >/dev/null 2>&1
bash "$root/scripts/behaviour-snapshot.sh" "$bin" "$work/new" >/dev/null 2>&1
if diff -rq "$work/base" "$work/new"; then
  echo "unchanged: $(find "$work/new" -type f | wc -l) outputs byte-identical to ${base_sha:0:10}"
else
  echo "CHANGED: the files above differ from ${base_sha:0:10} (diff -r $work/base $work/new)" >&2
  exit 1
fi
