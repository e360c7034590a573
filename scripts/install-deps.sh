#!/usr/bin/env bash
# Installs the Debian packages the build needs (as root, or via sudo), only
# when something is missing, so `make` stays fast on a prepared machine.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libcli11-dev nlohmann-json3-dev
      libgtest-dev libgmock-dev libbenchmark-dev liblzma-dev libopenblas-dev
      libcpp-httplib-dev libxxhash-dev clang libclang-rt-14-dev jq
      libicu-dev                        # Unicode categories for the BPE pre-tokenizers
      prometheus haproxy curl python3)  # prometheus: also promtool; the scale-out tests
# KV events (docs/kv-events.md): ZMQ, msgpack-c, and the test's Python decoder.
pkgs+=(cppzmq-dev libmsgpack-dev python3-zmq python3-msgpack)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends "${missing[@]}" \
  || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
