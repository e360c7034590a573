#include "cacheopt/request.h"

namespace cacheopt {

std::string_view ToString(RequestState s) {
  switch (s) {
    case RequestState::kWaiting: return "waiting";
    case RequestState::kRunning: return "running";
    case RequestState::kSwapped: return "swapped";
    case RequestState::kFinished: return "finished";
    case RequestState::kRejected: return "rejected";
    case RequestState::kAborted: return "aborted";
  }
  return "?";
}

std::string_view ToString(SloClass c) {
  switch (c) {
    case SloClass::kTight: return "tight";
    case SloClass::kMedium: return "medium";
    case SloClass::kLoose: return "loose";
  }
  return "?";
}

}  // namespace cacheopt
