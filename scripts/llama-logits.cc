// Teacher-forced logits from llama.cpp, for the peer agreement test
// (src/exec/cpu/llama_logits_peer_test.cc, docs/quantization.md). Test-only:
// scripts/build-llama-cpp.sh compiles it against the peer's static libllama
// into the peer's bin folder; the product never links llama.cpp.
//
//   cacheopt-llama-logits MODEL.gguf TOKENS.i32 OUT.f32
//
// TOKENS.i32 holds n int32 token ids; the program evaluates them as one
// sequence in one batch (positions 0..n-1, no BOS added) with logits kept for
// every position and writes n * n_vocab float32 values, row-major, to OUT.f32.
// The KV cache is F32 (llama.cpp's default F16 would add its own rounding to
// the comparison) and flash attention is off; one thread. Environment knobs:
// see below.
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "llama.h"

static void Quiet(enum ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MODEL.gguf TOKENS.i32 OUT.f32\n", argv[0]);
    return 2;
  }
  std::vector<llama_token> tokens;
  if (FILE* f = std::fopen(argv[2], "rb")) {
    int32_t t;
    while (std::fread(&t, 4, 1, f) == 1) tokens.push_back(t);
    std::fclose(f);
  }
  if (tokens.empty()) {
    std::fprintf(stderr, "error: no tokens read from %s\n", argv[2]);
    return 1;
  }
  llama_log_set(Quiet, nullptr);
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.n_gpu_layers = 0;
  // CACHEOPT_LLAMA_NO_REPACK=1: plain weight buffers (llama.cpp's --no-repack).
  if (const char* e = std::getenv("CACHEOPT_LLAMA_NO_REPACK"); e != nullptr && e[0] == '1') mp.use_extra_bufts = false;
  llama_model* model = llama_model_load_from_file(argv[1], mp);
  if (model == nullptr) {
    std::fprintf(stderr, "error: llama.cpp cannot load %s\n", argv[1]);
    return 1;
  }
  const uint32_t n = static_cast<uint32_t>(tokens.size());
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = n;
  cp.n_batch = n;
  cp.n_ubatch = n;
  cp.n_seq_max = 1;
  cp.n_threads = 1;
  cp.n_threads_batch = 1;
  // CACHEOPT_LLAMA_UBATCH=U: evaluate in micro-batches of U tokens (U = 1 is
  // token-by-token decoding); CACHEOPT_LLAMA_THREADS=T: T threads. For
  // measuring llama.cpp against itself (docs/quantization.md).
  if (const char* e = std::getenv("CACHEOPT_LLAMA_UBATCH"); e != nullptr && std::atoi(e) > 0)
    cp.n_ubatch = static_cast<uint32_t>(std::atoi(e));
  if (const char* e = std::getenv("CACHEOPT_LLAMA_THREADS"); e != nullptr && std::atoi(e) > 0)
    cp.n_threads = cp.n_threads_batch = std::atoi(e);
  cp.type_k = GGML_TYPE_F32;
  cp.type_v = GGML_TYPE_F32;
  cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
  llama_context* ctx = llama_init_from_model(model, cp);
  if (ctx == nullptr) {
    std::fprintf(stderr, "error: llama.cpp cannot make a context for %s\n", argv[1]);
    return 1;
  }
  llama_batch batch = llama_batch_init(static_cast<int32_t>(n), 0, 1);
  for (uint32_t i = 0; i < n; ++i) {
    batch.token[i] = tokens[i];
    batch.pos[i] = static_cast<llama_pos>(i);
    batch.n_seq_id[i] = 1;
    batch.seq_id[i][0] = 0;
    batch.logits[i] = 1;
  }
  batch.n_tokens = static_cast<int32_t>(n);
  if (llama_decode(ctx, batch) != 0) {
    std::fprintf(stderr, "error: llama_decode failed\n");
    return 1;
  }
  const int32_t vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
  FILE* out = std::fopen(argv[3], "wb");
  if (out == nullptr) {
    std::fprintf(stderr, "error: cannot write %s\n", argv[3]);
    return 1;
  }
  for (uint32_t i = 0; i < n; ++i) {
    const float* row = llama_get_logits_ith(ctx, static_cast<int32_t>(i));
    if (row == nullptr || std::fwrite(row, sizeof(float), vocab, out) != static_cast<size_t>(vocab)) {
      std::fprintf(stderr, "error: no logits for position %u\n", i);
      return 1;
    }
  }
  std::fclose(out);
  llama_batch_free(batch);
  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
