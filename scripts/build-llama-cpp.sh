#!/usr/bin/env bash
# Builds the llama.cpp peer (issue 17): the reference quantizer, the speed
# peer and the reference server, used only by tests and benchmarks.
#
# Source: npm's node-llama-cpp 3.22.1 ships the llama.cpp tree it was built
# from as a git bundle (node_modules/node-llama-cpp/llama/gitRelease.bundle).
# We install that package with npm into a cache outside the build tree, clone
# the bundle, and build with CMake.  GGML_NATIVE=OFF with the x86 extensions
# named explicitly: a GGML_NATIVE=ON build crashed on Q8_0/Q4_K files on this
# CPU (issue 17).
#
# Usage: scripts/build-llama-cpp.sh            build (idempotent; prints the bin dir)
#        scripts/build-llama-cpp.sh --bin-dir  print the bin dir if built, else exit 1
#        scripts/build-llama-cpp.sh --logits-tool  when llama.cpp is built, compile
#            (if missing or stale) our test-only scripts/llama-logits.cc against its
#            static libllama and print the program's path, else exit 1
# Env:   CACHEOPT_CACHE (default ~/.cache/cacheopt), JOBS (default nproc)
set -euo pipefail
version=3.22.1
cache="${CACHEOPT_CACHE:-$HOME/.cache/cacheopt}"
npm_dir="$cache/node-llama-cpp-$version"
src="$cache/llama.cpp-src"
build="$cache/llama.cpp-build"
bin="$build/bin"
targets=(llama-bench llama-quantize llama-cli llama-server llama-batched-bench)

built() {
  for t in "${targets[@]}"; do [ -x "$bin/$t" ] || return 1; done
}
if [ "${1:-}" = "--bin-dir" ]; then
  built && { echo "$bin"; exit 0; }
  exit 1
fi
# Teacher-forced logits for every position (the peer agreement test): a
# small program of ours linked against the peer's static libraries.
logits_tool() {
  local tool="$bin/cacheopt-llama-logits" source
  source="$(cd "$(dirname "$0")" && pwd)/llama-logits.cc"
  if [ ! -x "$tool" ] || [ "$source" -nt "$tool" ]; then
    "${CXX:-g++}" -std=c++17 -O2 -I"$src/include" -I"$src/ggml/include" "$source" -o "$tool.tmp" \
      "$build/src/libllama.a" "$build/ggml/src/libggml.a" "$build/ggml/src/libggml-cpu.a" \
      "$build/ggml/src/libggml-base.a" -fopenmp -lpthread -ldl -lm >&2 && mv "$tool.tmp" "$tool"
  fi
  [ -x "$tool" ] && echo "$tool"
}
if [ "${1:-}" = "--logits-tool" ]; then
  built && [ -f "$build/src/libllama.a" ] || exit 1
  logits_tool
  exit $?
fi

for tool in npm git cmake; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install -y npm git cmake)" >&2; exit 1; }
done
mkdir -p "$cache"
bundle="$npm_dir/node_modules/node-llama-cpp/llama/gitRelease.bundle"
if [ ! -f "$bundle" ]; then
  echo "installing node-llama-cpp@$version into $npm_dir"
  mkdir -p "$npm_dir"
  # --ignore-scripts: we want the bundle only, not the package's own build.
  npm install --prefix "$npm_dir" --no-audit --no-fund --ignore-scripts \
    "node-llama-cpp@$version" >&2
fi
[ -f "$bundle" ] || { echo "error: $bundle missing after npm install" >&2; exit 1; }

if [ ! -d "$src/.git" ]; then
  rm -rf "$src"
  git clone --quiet "$bundle" "$src"
fi
echo "llama.cpp source: $(git -C "$src" log -1 --format='%H %cI') $(git -C "$src" describe --tags --always 2>/dev/null || true)"

if ! built; then
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
    -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON \
    -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON \
    -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF >&2
  cmake --build "$build" -j"${JOBS:-$(nproc)}" --target "${targets[@]}" >&2
fi
built || { echo "error: llama.cpp targets missing in $bin" >&2; exit 1; }
logits_tool >/dev/null
echo "$bin"
