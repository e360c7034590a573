// round-robin: each request to the next replica in turn, reading nothing
// (HAProxy's `balance roundrobin` with equal weights, Dynamo's and vLLM
// production-stack's round-robin routers).
#include "sim/cluster/router.h"

namespace cacheopt {
namespace {

class RoundRobinRouter : public Router {
 public:
  explicit RoundRobinRouter(int replicas) : replicas_(replicas) {}
  std::string_view name() const override { return "round-robin"; }
  int Pick(const RouteRequest&) override {
    const int r = next_;
    next_ = (next_ + 1) % replicas_;
    return r;
  }

 private:
  int replicas_;
  int next_ = 0;
};

}  // namespace

std::unique_ptr<Router> MakeRoundRobinRouter(int replicas) { return std::make_unique<RoundRobinRouter>(replicas); }

}  // namespace cacheopt
