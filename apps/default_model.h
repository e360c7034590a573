// The real-engine commands' model when --model is not given: ../shared's
// stories260K when present, else a random-weight `tiny` (said on stderr).
#pragma once

#include <cstdint>
#include <string>

#include "runtime/model_source.h"

namespace cacheopt {

// `who` prefixes the line on stderr ("serve", "profile", "" for none).
void ChooseModel(const std::string& model, const std::string& tokenizer, int32_t context, const std::string& who,
                 ModelSource* m);

}  // namespace cacheopt
