#include "calibration/profile_match.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace cacheopt {
namespace {

CpuCostProfile Profile() {
  CpuCostProfile p;
  p.model_name = "model-15m";
  p.machine = "Test CPU";
  p.threads = 1;
  p.n_layers = 6;
  p.dim = 288;
  p.n_heads = 6;
  p.n_kv_heads = 6;
  p.hidden_dim = 768;
  p.vocab_size = 32000;
  p.context = 2048;
  p.kv_bytes_per_token = 6912;
  p.coeffs = {1e-3, 2e-5, 3e-9, 4e-5, 5e-9};
  p.copy_bytes_per_s = 4e9;
  p.steps = {{{{32, 0}}, 2e-3}};
  return p;
}

TEST(ProfileMatchTest, SameMachineThreadsAndModelMatch) {
  EXPECT_TRUE(CheckProfileMatches(Profile(), "p.json", {"Test CPU", 1, "model-15m"}).ok());
}

TEST(ProfileMatchTest, AnotherMachineModelOrThreadCountIsRefusedNamingTheField) {
  auto machine = CheckProfileMatches(Profile(), "p.json", {"Other CPU", 1, "model-15m"});
  ASSERT_FALSE(machine.ok());
  EXPECT_EQ(machine.message(),
            "p.json: field 'measured_on.machine' is \"Test CPU\" but this run's is \"Other CPU\": the profile was "
            "measured elsewhere (profile again into a new file)");
  auto threads = CheckProfileMatches(Profile(), "p.json", {"Test CPU", 2, "model-15m"});
  ASSERT_FALSE(threads.ok());
  EXPECT_NE(threads.message().find("'measured_on.threads' is \"1\""), std::string::npos);
  auto model = CheckProfileMatches(Profile(), "p.json", {"Test CPU", 1, "stories260K"});
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.message().find("'model.name' is \"model-15m\""), std::string::npos);
}

// Saved and loaded, a profile predicts exactly what it did before.
TEST(ProfileMatchTest, RoundTripGivesTheSamePredictions) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("cacheopt_match_" + std::to_string(::getpid()) + ".json")).string();
  ASSERT_TRUE(WriteCpuCostProfile(Profile(), path).ok());
  auto back = ReadCpuCostProfile(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  const auto a = MakeProfiledCostModel(Profile());
  const auto b = MakeProfiledCostModel(*back);
  const std::vector<std::vector<SeqWork>> batches = {{{512, 0}}, {{1, 100}, {1, 2000}}, {{64, 300}, {1, 50}}};
  for (const auto& batch : batches) EXPECT_EQ(a->StepTime(batch), b->StepTime(batch));
  EXPECT_EQ(a->SwapTime(3, 2, 16), b->SwapTime(3, 2, 16));
  EXPECT_TRUE(CheckProfileMatches(*back, path, {"Test CPU", 1, "model-15m"}).ok());
}

TEST(ProfileMatchTest, MissingFieldOrUnparsableFileNamesTheFile) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("cacheopt_bad_" + std::to_string(::getpid()) + ".json")).string();
  std::ofstream(path) << "{\"format\": \"cacheopt-cpu-cost-profile\", \"version\": 1}";
  auto missing = ReadCpuCostProfile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), path + ": measured_on is missing");
  std::ofstream(path) << "{ not json";
  auto bad = ReadCpuCostProfile(path);
  std::filesystem::remove(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), path + ": not valid JSON");
}

}  // namespace
}  // namespace cacheopt
