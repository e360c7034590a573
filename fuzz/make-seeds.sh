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
#   gguf_fuzz/micro-llama3.gguf, gguf_fuzz/micro-qwen2.gguf   make-model --style llama3|qwen2
#   bpe_tokenizer_fuzz/*.txt             selector byte (bit 0 qwen2, bit 1 parse_special), then text
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
for q in Q8_0 Q4_0 Q5_0 Q5_1 Q4_K Q5_K Q6_K; do  # BF16 left out: a 1 MB seed
  "$bin" make-model --config micro256 --seed 4 --quant "$q" \
    --out "$corpus/gguf_fuzz/micro256-$(echo "$q" | tr 'A-Z' 'a-z').gguf"
done
"$bin" make-model --config micro --seed 4 --format gguf --style llama3 --out "$corpus/gguf_fuzz/micro-llama3.gguf"
"$bin" make-model --config micro --seed 5 --format gguf --style qwen2 --out "$corpus/gguf_fuzz/micro-qwen2.gguf"
mkdir -p "$corpus/bpe_tokenizer_fuzz"
printf '\000%b' "It's 2026: 3.14159, 1,000,000!  Caf\xc3\xa9 \xd0\x9f\xd1\x80\xd0\xb8\n\n\tdef f(x):" \
  > "$corpus/bpe_tokenizer_fuzz/llama3-text.txt"
printf '\001%b' "don't WE'LL 12345 \xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80\x82 \xf0\x9f\x98\x80   x  <think>y" \
  > "$corpus/bpe_tokenizer_fuzz/qwen2-text.txt"
printf '\002%b' "<|begin_of_text|>hi<|eot_id|>\r\n  \xff\xfe end" > "$corpus/bpe_tokenizer_fuzz/llama3-special.txt"
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
ls -l "$corpus/gguf_fuzz" "$corpus/llama2c_fuzz" "$corpus/bpe_tokenizer_fuzz"
