#!/usr/bin/env bash
# The official openai npm client against `cacheopt serve` (tests/openai_client/):
# installs the pinned package from npm into WORK_DIR once, starts two servers
# (the default template, and llama-3 for tools) on free ports with an API key,
# runs the client checks, then SIGTERMs the servers and checks they exit 0.
# Exit 77 (CTest: skipped) without node/npm or when npm cannot install (offline).
# Usage: scripts/openai-client-test.sh CACHEOPT_BINARY WORK_DIR
set -euo pipefail
bin=$1
work=$2
src=$(cd "$(dirname "$0")/.." && pwd)/tests/openai_client
command -v node >/dev/null && command -v npm >/dev/null || { echo "no node/npm: skipped"; exit 77; }
mkdir -p "$work"
cp "$src/package.json" "$src/client.mjs" "$work/"
if [ ! -d "$work/node_modules/openai" ]; then
  (cd "$work" && timeout 180 npm install --no-audit --no-fund --loglevel=error) \
    || { echo "npm install failed (offline?): skipped"; exit 77; }
fi
key="sk-cacheopt-test"
# Two servers: the default one, and one whose chat template has a tool-call
# format (llama-3) for the tools case.
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start() {  # start NAME ARGS...: a server on a free port, logging to WORK_DIR/NAME.log
  local name=$1
  shift
  "$bin" serve --port 0 --api-key "$key" --threads 2 "$@" 2>"$work/$name.log" >/dev/null &
  pids+=($!)
}
port_of() {  # the port it picked: "serve: listening on http://127.0.0.1:PORT (...)"; waits until ready
  local log=$work/$1.log port=""
  for _ in $(seq 1 300); do
    port=$(sed -n 's|^serve: listening on http://[^:]*:\([0-9]*\).*|\1|p' "$log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "server $1 did not start" >&2; cat "$log" >&2; return 1; }
  for _ in $(seq 1 1200); do  # ready: the model loaded and calibrated (slow under sanitizers)
    grep -q '^serve: ready' "$log" && break
    sleep 0.1
  done
  grep -q '^serve: ready' "$log" || { echo "server $1 not ready" >&2; cat "$log" >&2; return 1; }
  echo "$port"
}
start serve
start serve-tools --chat-template llama-3 --context 4096  # tool schemas make long prompts
port=$(port_of serve)
tools_port=$(port_of serve-tools)
node "$work/client.mjs" "http://127.0.0.1:$port/v1" "$bin" "$key" "http://127.0.0.1:$tools_port/v1"
for i in "${!pids[@]}"; do
  kill -TERM "${pids[$i]}"
  rc=0
  wait "${pids[$i]}" || rc=$?
  [ "$rc" -eq 0 ] || { echo "server $i exited $rc after SIGTERM"; cat "$work"/serve*.log; exit 1; }
done
trap - EXIT
echo "servers drained and exited 0"
