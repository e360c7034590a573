#include "loadgen/faults.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "loadgen/bench_metrics.h"

namespace cacheopt::bench {
namespace {

TEST(Faults, SharesFollowTheFractionsAndTheSeed) {
  FaultOptions o;
  o.disconnect_fraction = 0.1;
  o.malformed_fraction = 0.05;
  const auto a = PlanFaults(20000, o, 7);
  int disc = 0, bad = 0;
  std::set<int32_t> variants;
  for (const Fault& f : a) {
    if (f.kind == FaultKind::kDisconnect) {
      ++disc;
      EXPECT_GE(f.disconnect_after_chunks, 1);
      EXPECT_LE(f.disconnect_after_chunks, 16);
    }
    if (f.kind == FaultKind::kMalformed) {
      ++bad;
      variants.insert(f.malformed_variant);
    }
  }
  EXPECT_NEAR(disc / 20000.0, 0.1, 0.01);
  EXPECT_NEAR(bad / 20000.0, 0.05, 0.01);
  EXPECT_EQ(variants.size(), MalformedBodies("m").size());  // every variant is used
  const auto b = PlanFaults(20000, o, 7);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(static_cast<int>(a[i].kind), static_cast<int>(b[i].kind));
  const auto c = PlanFaults(20000, o, 8);
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) same += a[i].kind == c[i].kind;
  EXPECT_LT(same, a.size());
}

TEST(Faults, NoFractionsNoFaults) {
  for (const Fault& f : PlanFaults(1000, FaultOptions{}, 1)) EXPECT_EQ(f.kind, FaultKind::kNone);
}

TEST(Faults, MalformedBodiesAreEachWrongInOneWay) {
  const auto bodies = MalformedBodies("stories260K");
  int json_objects = 0;
  for (const std::string& b : bodies) {
    const auto j = nlohmann::json::parse(b, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    ++json_objects;
    // The well-formed ones keep the other fields right.
    if (j.contains("model") && j["model"] != "no-such-model") {
      EXPECT_EQ(j["model"], "stories260K");
    }
  }
  EXPECT_GE(json_objects, 6);
  EXPECT_LT(json_objects, static_cast<int>(bodies.size()));
}

TEST(Outcomes, EachRecordCountsOnceByHowItEnded) {
  Outcomes o;
  RequestRecord ok;
  ok.success = true;
  ok.http_status = 200;
  CountOutcome(ok, &o);
  RequestRecord busy;
  busy.http_status = 429;
  busy.server_error = true;
  CountOutcome(busy, &o);
  RequestRecord hung = ok;
  hung.success = false;
  hung.fault = "disconnect";
  CountOutcome(hung, &o);
  RequestRecord bad;
  bad.http_status = 400;
  bad.server_error = true;
  bad.fault = "malformed";
  CountOutcome(bad, &o);
  RequestRecord accepted_bad = ok;
  accepted_bad.fault = "malformed";
  CountOutcome(accepted_bad, &o);
  RequestRecord late;
  late.fault = "time-limit";
  CountOutcome(late, &o);
  RequestRecord refused;  // no answer
  CountOutcome(refused, &o);
  RequestRecord broken;
  broken.http_status = 200;
  CountOutcome(broken, &o);
  EXPECT_EQ(o.completed, 1);
  EXPECT_EQ(o.server_errors, 1);
  EXPECT_EQ(o.hung_up, 1);
  EXPECT_EQ(o.malformed_refused, 1);
  EXPECT_EQ(o.malformed_other, 1);
  EXPECT_EQ(o.time_limit, 1);
  EXPECT_EQ(o.no_answer, 1);
  EXPECT_EQ(o.lost, 1);
  EXPECT_EQ(o.by_status[200], 4);
  EXPECT_EQ(o.by_status[0], 2);
}

}  // namespace
}  // namespace cacheopt::bench
