// Helpers shared by the fuzz targets: a scratch file for loaders that only
// take a path, and a check that aborts (so libFuzzer records the input) when
// a documented property does not hold.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/model.h"

// Like assert, but also in NDEBUG builds and with the property's text.
#define FUZZ_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

namespace cacheopt::fuzz {

// A file per process and name in /dev/shm (tmpfs: no disk flushes) or
// $TMPDIR, rewritten for each input. It is removed before each write: on
// ext4, truncating and rewriting a file forces a flush (auto_da_alloc).
class ScratchFile {
 public:
  explicit ScratchFile(const std::string& name) {
    std::string dir = "/dev/shm";
    if (access(dir.c_str(), W_OK) != 0) {
      const char* tmp = std::getenv("TMPDIR");
      dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    }
    path_ = dir + "/cacheopt_fuzz_" + std::to_string(getpid()) + "_" + name;
  }
  ~ScratchFile() { unlink(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  const std::string& path() const { return path_; }

  void Write(const uint8_t* data, size_t size) {
    unlink(path_.c_str());
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0);
    size_t done = 0;
    while (done < size) {
      const ssize_t n = write(fd, data + done, size - done);
      FUZZ_CHECK(n > 0);
      done += static_cast<size_t>(n);
    }
    close(fd);
  }

 private:
  std::string path_;
};

// Equal values, NaN matching NaN. Not bitwise: the writers decide "shared
// classifier" by comparing values, so a -0 there may come back +0.
inline bool SameFloats(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  }
  return true;
}

// Every weight of `a` and `b` the same, as SameFloats.
inline bool SameWeights(const ModelWeights& a, const ModelWeights& b) {
  if (!SameFloats(a.token_embedding, b.token_embedding) || !SameFloats(a.rms_final, b.rms_final) ||
      !SameFloats(a.wcls, b.wcls) || a.layers.size() != b.layers.size())
    return false;
  for (size_t l = 0; l < a.layers.size(); ++l) {
    for (auto p : {&LayerWeights::rms_att, &LayerWeights::wq, &LayerWeights::wk, &LayerWeights::wv,
                   &LayerWeights::wo, &LayerWeights::rms_ffn, &LayerWeights::w1, &LayerWeights::w2,
                   &LayerWeights::w3}) {
      if (!SameFloats(a.layers[l].*p, b.layers[l].*p)) return false;
    }
  }
  return true;
}

}  // namespace cacheopt::fuzz
