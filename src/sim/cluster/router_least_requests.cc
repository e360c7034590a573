// least-requests: the replica with the fewest requests in flight, counted by
// the router itself (+1 when it dispatches, -1 when the response ends), as
// the routers that keep their own counts do (AIBrix's least-request, Envoy's
// LEAST_REQUEST, Dynamo's and production-stack's request counters). Ties go
// to the first tied replica after the last one picked, so equal loads rotate.
#include <vector>

#include "sim/cluster/router.h"

namespace cacheopt {
namespace {

class LeastRequestsRouter : public Router {
 public:
  explicit LeastRequestsRouter(int replicas) : in_flight_(replicas, 0) {}
  std::string_view name() const override { return "least-requests"; }
  void OnResponseDone(int replica, int64_t) override { --in_flight_[replica]; }
  int Pick(const RouteRequest&) override {
    const int n = static_cast<int>(in_flight_.size());
    int best = -1;
    for (int k = 1; k <= n; ++k) {
      const int r = (last_ + k) % n;
      if (best < 0 || in_flight_[r] < in_flight_[best]) best = r;
    }
    ++in_flight_[best];
    last_ = best;
    return best;
  }

 private:
  std::vector<int64_t> in_flight_;
  int last_ = -1;
};

}  // namespace

std::unique_ptr<Router> MakeLeastRequestsRouter(int replicas) {
  return std::make_unique<LeastRequestsRouter>(replicas);
}

}  // namespace cacheopt
