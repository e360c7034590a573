// Constrained decoding end to end: sampled (temperature 1) requests under
// hand-built schemas through the real engine on stories260K (../shared), or
// the random-weight tiny model without it; every output ends by the model's
// stop token, parses and matches its schema: 100 of 100.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exec/cpu/json_schema_match_test_util.h"
#include "model/model_loader.h"
#include "model/random_model.h"
#include "runtime/real_engine.h"
#include "runtime/runtime_test_util.h"

namespace cacheopt {
namespace {

using K = JsonSchema::Kind;

std::shared_ptr<JsonSchema> Of(K k) {
  auto s = std::make_shared<JsonSchema>();
  s->kind = k;
  return s;
}
std::shared_ptr<JsonSchema> Str(int32_t max_length, int32_t min_length = 0) {
  auto s = Of(K::kString);
  s->max_length = max_length;
  s->min_length = min_length;
  return s;
}
std::shared_ptr<JsonSchema> Obj(std::vector<JsonSchema::Property> props) {
  auto s = Of(K::kObject);
  s->properties = std::move(props);
  s->IndexKeys();
  return s;
}

std::vector<std::shared_ptr<const JsonSchema>> Schemas() {
  auto pet = Of(K::kEnum);
  pet->literals = {"\"cat\"", "\"dog\"", "\"fish\""};
  auto pets = Of(K::kArray);
  pets->items = pet;
  pets->max_items = 3;
  auto person = Obj({{"name", Str(10, 1), true}, {"age", Of(K::kInteger), false}, {"pets", pets, false},
                     {"happy", Of(K::kBoolean), true}});
  auto numbers = Of(K::kArray);
  numbers->items = Of(K::kNumber);
  numbers->min_items = 1;
  numbers->max_items = 4;
  auto tags = Of(K::kArray);
  tags->items = Str(5);
  tags->max_items = 2;
  auto story = Obj({{"title", Str(12), true}, {"words", Of(K::kInteger), true}, {"sad", Of(K::kNull), false}});
  auto nested = Obj({{"story", story, true}, {"tags", tags, false}});
  return {person, numbers, nested};
}

std::shared_ptr<const Model> TheModel(bool* real) {
  const std::string bin = std::string(CACHEOPT_SHARED_DIR) + "/models/stories260K/stories260K.bin";
  *real = std::filesystem::exists(bin);
  if (*real) {
    auto m = LoadModel(bin, "", 0);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return std::make_shared<Model>(std::move(*m));
  }
  auto r = MakeRandomModel("tiny", 7);
  EXPECT_TRUE(r.ok());
  return std::make_shared<const Model>(std::move(*r));
}

TEST(ConstrainedDecodingTest, HundredOfHundredSampledOutputsParseAndMatch) {
  bool real = false;
  auto model = TheModel(&real);
  auto e = RealEngine::Create(runtimetest::QuickOptions(model, "vllm"));
  ASSERT_TRUE(e.ok()) << e.status().message();
  RealEngine& engine = **e;
  const auto schemas = Schemas();
  const std::vector<int32_t> prompt = engine.tokenizer().Encode("Once upon a time", true, false);
  std::vector<std::pair<int64_t, size_t>> ids;  // request, schema
  for (int i = 0; i < 100; ++i) {
    SamplingParams p;
    p.temperature = 1.0f;
    p.seed = static_cast<uint64_t>(1000 + i);
    p.json_schema = schemas[static_cast<size_t>(i) % schemas.size()];
    auto id = engine.Submit(prompt, p, 400);
    ASSERT_TRUE(id.ok()) << id.status().message();
    ids.push_back({*id, static_cast<size_t>(i) % schemas.size()});
  }
  auto out = runtimetest::RunAll(engine);
  int good = 0;
  for (const auto& [id, which] : ids) {
    const runtimetest::Output& o = out[id];
    EXPECT_EQ(o.finish.reason, FinishReason::kStop) << "request " << id << ": " << o.text;
    nlohmann::json v;
    try {
      v = nlohmann::json::parse(o.text);
    } catch (const nlohmann::json::exception& ex) {
      ADD_FAILURE() << "request " << id << " does not parse (" << ex.what() << "): " << o.text;
      continue;
    }
    EXPECT_TRUE(jsontest::Matches(v, *schemas[which])) << o.text;
    good += jsontest::Matches(v, *schemas[which]) ? 1 : 0;
  }
  EXPECT_EQ(good, 100) << (real ? "stories260K" : "random tiny model");
  std::printf("constrained decoding: %d of 100 outputs parse and match (%s); e.g. %s\n", good,
              real ? "stories260K" : "random tiny model", out[ids[0].first].text.c_str());
}

}  // namespace
}  // namespace cacheopt
