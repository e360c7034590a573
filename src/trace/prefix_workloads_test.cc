#include "trace/prefix_workloads.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace cacheopt {
namespace {

TEST(PrefixWorkloadsTest, SharedPromptsShareTheirSystemPromptUnits) {
  auto t = PrefixWorkloadTrace("shared-prompts:prompts=3,prompt_tokens=100", 1, 300);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->rows.size(), 300u);
  EXPECT_EQ(t->prefix_block_tokens, kGeneratedPrefixUnit);
  std::map<int64_t, int> first_ids;  // first unit id -> rows
  for (const TraceRow& r : t->rows) {
    ASSERT_GT(r.prompt_tokens, 100);
    ASSERT_EQ(r.prefix_block_ids.size(), static_cast<size_t>((r.prompt_tokens + 15) / 16));
    ++first_ids[r.prefix_block_ids[0]];
  }
  EXPECT_EQ(first_ids.size(), 3u);  // three system prompts
  // 100 tokens: 6 whole units shared; the 7th straddles into the user part.
  const TraceRow& a = t->rows[0];
  for (const TraceRow& b : t->rows) {
    if (b.prefix_block_ids[0] != a.prefix_block_ids[0] || &b == &a) continue;
    for (int u = 0; u < 6; ++u) EXPECT_EQ(a.prefix_block_ids[u], b.prefix_block_ids[u]);
    EXPECT_NE(a.prefix_block_ids[6], b.prefix_block_ids[6]);
    break;
  }
}

TEST(PrefixWorkloadsTest, EachTurnRepeatsThePreviousPromptAndAnswer) {
  auto t = PrefixWorkloadTrace("multi-turn:turns=3,rate=0.001,think_s=1,new_share=0.5", 2, 3);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->rows.size(), 3u);  // one conversation, in order
  for (int k = 1; k < 3; ++k) {
    const TraceRow& prev = t->rows[k - 1];
    const TraceRow& next = t->rows[k];
    const int64_t history = prev.prompt_tokens + prev.output_tokens;
    EXPECT_EQ(next.prompt_tokens, history + std::llround(0.5 * history));
    EXPECT_GT(next.arrival_s, prev.arrival_s);
    // The ids run over the prompt and its answer, and the next prompt repeats
    // every unit wholly inside both.
    ASSERT_EQ(prev.prefix_block_ids.size(), static_cast<size_t>((history + 15) / 16));
    for (int u = 0; u < history / 16; ++u) EXPECT_EQ(prev.prefix_block_ids[u], next.prefix_block_ids[u]) << u;
    if (history % 16 != 0) {
      EXPECT_NE(prev.prefix_block_ids[history / 16], next.prefix_block_ids[history / 16]);
    }
  }
  EXPECT_TRUE(t->prefix_ids_cover_output);
  EXPECT_FALSE(PrefixWorkloadTrace("shared-prompts", 2, 3)->prefix_ids_cover_output);
}

TEST(PrefixWorkloadsTest, SameSeedSameTrace) {
  auto a = PrefixWorkloadTrace("multi-turn", 4, 100), b = PrefixWorkloadTrace("multi-turn", 4, 100);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < a->rows.size(); ++i) {
    EXPECT_EQ(a->rows[i].arrival_s, b->rows[i].arrival_s);
    EXPECT_EQ(a->rows[i].prefix_block_ids, b->rows[i].prefix_block_ids);
  }
}

TEST(PrefixWorkloadsTest, BadSpecsNameTheKey) {
  EXPECT_TRUE(IsPrefixWorkloadSpec("multi-turn:turns=2"));
  EXPECT_FALSE(IsPrefixWorkloadSpec("trace.csv"));
  auto range = PrefixWorkloadTrace("multi-turn:turns=0", 0, 10);
  ASSERT_FALSE(range.ok());
  EXPECT_NE(range.status().message().find("knob turns must be a number in [1, 1000], got '0'"), std::string::npos);
  auto junk = PrefixWorkloadTrace("shared-prompts:prompts=abc", 0, 10);
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("knob prompts"), std::string::npos);
  auto unknown = PrefixWorkloadTrace("shared-prompts:turns=2", 0, 10);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown shared-prompts knob 'turns'"), std::string::npos);
  EXPECT_FALSE(PrefixWorkloadTrace("multi-turn:turns", 0, 10).ok());
}

}  // namespace
}  // namespace cacheopt
