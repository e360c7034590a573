// Helpers for this folder's tests: the stories260K files in ../shared, scratch
// files, and byte-level edits for making corrupt model files.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <unistd.h>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt::testing {

// ../shared/models/stories260K when present, else "".
inline std::string StoriesDir() {
  const std::string dir = std::string(CACHEOPT_SHARED_DIR) + "/models/stories260K";
  std::error_code ec;
  return std::filesystem::is_regular_file(dir + "/stories260K.bin", ec) ? dir : "";
}

#define CACHEOPT_REQUIRE_STORIES(dir)                                  \
  const std::string dir = ::cacheopt::testing::StoriesDir();           \
  if (dir.empty()) GTEST_SKIP() << "../shared/models/stories260K absent"

// A fresh directory for one test under gtest's temporary directory. ctest
// runs each test in its own process, in parallel: the test's name and the
// process id keep them (and concurrent builds) apart.
inline std::string ScratchDir(const std::string& name) {
  const ::testing::TestInfo* t = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string unique = name + "_" + std::to_string(::getpid());
  if (t != nullptr) unique += std::string("_") + t->test_suite_name() + "_" + t->name();
  for (char& c : unique)
    if (c == '/') c = '_';  // parameterised test names
  const auto dir = std::filesystem::path(::testing::TempDir()) / ("cacheopt_model_" + unique);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Removes first: on ext4, truncating and rewriting a file forces a flush to
// disk (auto_da_alloc), which makes hundreds of rewrites take seconds.
inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  std::ofstream(path, std::ios::binary) << bytes;
}

template <typename T>
void PutAt(std::string* bytes, size_t offset, T value) {
  ASSERT_LE(offset + sizeof(T), bytes->size());
  std::memcpy(bytes->data() + offset, &value, sizeof(T));
}

// Asserts `r` failed with a message containing `needle`.
template <typename T>
::testing::AssertionResult FailsWith(const Result<T>& r, const std::string& needle) {
  if (r.ok()) return ::testing::AssertionFailure() << "succeeded; expected an error containing '" << needle << "'";
  if (r.status().message().find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "message '" << r.status().message() << "' lacks '" << needle << "'";
  return ::testing::AssertionSuccess();
}
inline ::testing::AssertionResult FailsWith(const Status& s, const std::string& needle) {
  if (s.ok()) return ::testing::AssertionFailure() << "succeeded; expected an error containing '" << needle << "'";
  if (s.message().find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "message '" << s.message() << "' lacks '" << needle << "'";
  return ::testing::AssertionSuccess();
}

// Bitwise equality of every tensor and of the config's shape fields.
inline void ExpectSameWeights(const Model& a, const Model& b) {
  EXPECT_EQ(a.config.dim, b.config.dim);
  EXPECT_EQ(a.config.hidden_dim, b.config.hidden_dim);
  EXPECT_EQ(a.config.n_layers, b.config.n_layers);
  EXPECT_EQ(a.config.n_heads, b.config.n_heads);
  EXPECT_EQ(a.config.n_kv_heads, b.config.n_kv_heads);
  EXPECT_EQ(a.config.vocab_size, b.config.vocab_size);
  auto same = [](const std::vector<float>& x, const std::vector<float>& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
  };
  EXPECT_TRUE(same(a.weights.token_embedding, b.weights.token_embedding));
  EXPECT_TRUE(same(a.weights.rms_final, b.weights.rms_final));
  EXPECT_TRUE(same(a.weights.wcls, b.weights.wcls));
  ASSERT_EQ(a.weights.layers.size(), b.weights.layers.size());
  for (size_t l = 0; l < a.weights.layers.size(); ++l) {
    const LayerWeights& x = a.weights.layers[l];
    const LayerWeights& y = b.weights.layers[l];
    EXPECT_TRUE(same(x.rms_att, y.rms_att) && same(x.wq, y.wq) && same(x.wk, y.wk) && same(x.wv, y.wv) &&
                same(x.wo, y.wo) && same(x.rms_ffn, y.rms_ffn) && same(x.w1, y.w1) && same(x.w2, y.w2) &&
                same(x.w3, y.w3))
        << "layer " << l;
  }
}

}  // namespace cacheopt::testing
