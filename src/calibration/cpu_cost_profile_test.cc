#include "calibration/cpu_cost_profile.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace cacheopt {
namespace {

CpuCostProfile Sample() {
  CpuCostProfile p;
  p.model_name = "stories260K";
  p.model_path = "/x/stories260K.bin";
  p.machine = "Test CPU";
  p.threads = 2;
  p.n_layers = 5;
  p.dim = 64;
  p.n_heads = 8;
  p.n_kv_heads = 4;
  p.hidden_dim = 172;
  p.vocab_size = 512;
  p.context = 512;
  p.kv_bytes_per_token = 1280;
  p.block_size = 16;
  p.coeffs = {1e-4, 2e-6, 3e-9, 4e-6, 5e-9};
  p.copy_bytes_per_s = 5e9;
  p.steps = {{{{32, 0}}, 2e-4}, {{{1, 100}, {1, 100}}, 1.2e-4}};
  p.copies = {{8, true, 1e-5}, {8, false, 1.1e-5}};
  return p;
}

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("cacheopt_profile_") + std::to_string(::getpid()) + "_" + name))
      .string();
}

TEST(CpuCostProfileTest, RoundTripsThroughTheFile) {
  const std::string path = TempPath("rt.json");
  ASSERT_TRUE(WriteCpuCostProfile(Sample(), path).ok());
  auto r = ReadCpuCostProfile(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const CpuCostProfile& p = *r;
  EXPECT_EQ(p.model_name, "stories260K");
  EXPECT_EQ(p.machine, "Test CPU");
  EXPECT_EQ(p.context, 512);
  EXPECT_EQ(p.kv_bytes_per_token, 1280);
  EXPECT_EQ(p.coeffs, Sample().coeffs);
  ASSERT_EQ(p.steps.size(), 2u);
  EXPECT_EQ(p.steps[1].seqs.size(), 2u);
  EXPECT_EQ(p.steps[1].seqs[0].context_before, 100);
  ASSERT_EQ(p.copies.size(), 2u);
  EXPECT_FALSE(p.copies[1].to_host);

  // The model predicts what the coefficients say.
  auto m = MakeProfiledCostModel(p);
  EXPECT_EQ(m->KvBytesPerToken(), 1280);
  const double decode = 1e-4 + 2e-6 + 3e-9 * 101 + 4e-6 + 5e-9 * 101;
  EXPECT_NEAR(m->SoloDecodeTime(100), decode, 1e-12);
  EXPECT_NEAR(m->SwapTime(2, 0, 16), 2.0 * 16 * 1280 / 5e9, 1e-15);
}

std::string Dumped() {
  const std::string path = TempPath("dump.json");
  EXPECT_TRUE(WriteCpuCostProfile(Sample(), path).ok());
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  return text;
}

// Each edit of a good file must fail with a message naming the field.
TEST(CpuCostProfileTest, BadFieldsAreErrorsNamingTheField) {
  using nlohmann::json;
  const json good = json::parse(Dumped());
  struct Case {
    const char* pointer;
    json value;
    const char* expect;
  };
  const Case cases[] = {
      {"/format", "something-else", "format"},
      {"/version", 2, "version 2"},
      {"/model/context", 1, "model.context"},
      {"/model/dim", "64", "model.dim must be an integer"},
      {"/fit/per_token_s", -1.0, "fit.per_token_s"},
      {"/fit/copy_bytes_per_s", 0.0, "fit.copy_bytes_per_s"},
      {"/steps/0/batch", json::array({json::array({0, 5})}), "steps[0].batch"},
      {"/steps/1/seconds", 0.0, "steps[1].seconds"},
      {"/copies/0/to_host", 1, "copies[0].to_host"},
      {"/block_size", 0, "block_size"},
  };
  for (const Case& c : cases) {
    json j = good;
    j[json::json_pointer(c.pointer)] = c.value;
    auto r = ParseCpuCostProfile(j.dump(), "p.json");
    ASSERT_FALSE(r.ok()) << c.pointer;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().rfind("p.json: ", 0), 0u) << r.status().message();
  }
  json missing = good;
  missing["fit"].erase("step_s");
  auto r = ParseCpuCostProfile(missing.dump(), "p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("fit.step_s is missing"), std::string::npos);
}

TEST(CpuCostProfileTest, NotJsonOrMissingFileIsAClearError) {
  auto r = ParseCpuCostProfile("{\"format\": ", "p.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not valid JSON"), std::string::npos);
  auto m = ReadCpuCostProfile("/nonexistent/profile.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_NE(m.status().message().find("cacheopt profile"), std::string::npos);
}

}  // namespace
}  // namespace cacheopt
