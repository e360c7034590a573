#include "runtime/request_event.h"

namespace cacheopt {

std::string_view ToString(FinishReason r) {
  switch (r) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kAbort:
      return "abort";
    case FinishReason::kRejected:
      return "rejected";
  }
  return "?";
}

}  // namespace cacheopt
