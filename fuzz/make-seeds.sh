#!/usr/bin/env bash
# Regenerates the model seeds in fuzz/corpus/ with the project's own
# `cacheopt make-model` (random "micro" models: dim 16, 2 layers, vocab 384),
# so their provenance is reproducible. The hand-written seeds (OpenAI request
# bodies, trace rows) are not touched.
#
#   fuzz/make-seeds.sh path/to/cacheopt
#
# Writes:
#   gguf_fuzz/micro-f32.gguf, gguf_fuzz/micro-f16.gguf   make-model --format gguf [--f16]
#   gguf_fuzz/micro256-{q8_0,q4_0,q4_k,q5_k,q6_k}.gguf   make-model --config micro256 --quant TYPE
#   llama2c_fuzz/micro-checkpoint.bin    0x00, LE32 checkpoint size, checkpoint, tok384.bin
#   llama2c_fuzz/micro-tokenizer.bin     0x01, LE32 384 (vocab_size), tok384.bin
# (llama2c_fuzz's input layout: see fuzz/llama2c_fuzz.cc.)
set -euo pipefail
bin=${1:?usage: fuzz/make-seeds.sh path/to/cacheopt}
corpus=$(cd "$(dirname "$0")" && pwd)/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The 4 little-endian bytes of $1.
le32() {
  local v=$1 i
  for i in 0 1 2 3; do
    printf "\\$(printf '%03o' $(((v >> (8 * i)) & 255)))"
  done
}

mkdir -p "$corpus/gguf_fuzz" "$corpus/llama2c_fuzz"
"$bin" make-model --config micro --seed 1 --format gguf --out "$corpus/gguf_fuzz/micro-f32.gguf"
"$bin" make-model --config micro --seed 2 --format gguf --f16 --out "$corpus/gguf_fuzz/micro-f16.gguf"
# One seed per quantized type, on micro256 (rows of 256: no type falls back).
for q in Q8_0 Q4_0 Q4_K Q5_K Q6_K; do  # BF16 left out: a 1 MB seed
  "$bin" make-model --config micro256 --seed 4 --quant "$q" \
    --out "$corpus/gguf_fuzz/micro256-$(echo "$q" | tr 'A-Z' 'a-z').gguf"
done
"$bin" make-model --config micro --seed 3 --format llama2c --out "$tmp/micro.bin" --tokenizer-out "$tmp/tok384.bin"
{
  printf '\000'
  le32 "$(stat -c %s "$tmp/micro.bin")"
  cat "$tmp/micro.bin" "$tmp/tok384.bin"
} > "$corpus/llama2c_fuzz/micro-checkpoint.bin"
{
  printf '\001'
  le32 384
  cat "$tmp/tok384.bin"
} > "$corpus/llama2c_fuzz/micro-tokenizer.bin"
ls -l "$corpus/gguf_fuzz" "$corpus/llama2c_fuzz"
