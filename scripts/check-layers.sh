#!/usr/bin/env bash
# The include boundaries (docs/architecture.md), checked on the sources:
#  1. include/cacheopt/ is closed: its headers include only each other and
#     the standard library.
#  2. The core's internals (src/core/) are private: outside src/core only
#     white-box code may include them: unit tests (*_test.cc), the test
#     support (tests/support/), the micro-benchmarks of internals
#     (microbench/) and the soak (tools/soak/), which checks every plan
#     against the scheduler's block tables and request states.
# Exit 0 when both hold; otherwise each offending line is listed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bad=0

if out=$(grep -rnE '^#include "' include/cacheopt | grep -vE '#include "cacheopt/'); then
  echo "include/cacheopt/ reaches outside itself:"
  echo "$out"
  bad=1
fi

if out=$(grep -rnE '^#include "core/' src apps tools tests fuzz microbench \
           --include='*.h' --include='*.cc' |
         grep -vE '^(src/core/|microbench/|tests/support/|tools/soak/)' |
         grep -vE '^[^:]*_test\.cc:'); then
  echo "the core's private headers (src/core/) included from outside it; use include/cacheopt/:"
  echo "$out"
  bad=1
fi

[ $bad -eq 0 ] && echo "layers: include/cacheopt/ is closed; src/core/ is private"
exit $bad
