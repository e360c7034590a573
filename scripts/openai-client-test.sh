#!/usr/bin/env bash
# The official openai npm client against `cacheopt serve` (tests/openai_client/):
# installs the pinned package from npm into WORK_DIR once, starts the server on a
# free port with an API key, runs the client checks, then SIGTERMs the server
# and checks it exits 0. Exit 77 (CTest: skipped) without node/npm or when npm
# cannot install (offline).
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
"$bin" serve --port 0 --api-key "$key" --threads 2 2>"$work/serve.log" >/dev/null &
pid=$!
cleanup() { kill -KILL "$pid" 2>/dev/null || true; }
trap cleanup EXIT
port=""
for _ in $(seq 1 300); do  # the port it picked: "serve: listening on http://127.0.0.1:PORT (...)"
  port=$(sed -n 's|^serve: listening on http://[^:]*:\([0-9]*\).*|\1|p' "$work/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "server did not start"; cat "$work/serve.log"; exit 1; }
for _ in $(seq 1 1200); do  # ready: the model loaded and calibrated (slow under sanitizers)
  grep -q '^serve: ready' "$work/serve.log" && break
  sleep 0.1
done
grep -q '^serve: ready' "$work/serve.log" || { echo "server not ready"; cat "$work/serve.log"; exit 1; }
node "$work/client.mjs" "http://127.0.0.1:$port/v1" "$bin" "$key"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
trap - EXIT
[ "$rc" -eq 0 ] || { echo "server exited $rc after SIGTERM"; cat "$work/serve.log"; exit 1; }
echo "server drained and exited 0"
