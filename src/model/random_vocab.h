// A working llama2.c-style vocabulary for random models: <unk>, BOS, EOS,
// the 256 byte tokens, printable ASCII characters, then merges. Every merge
// is the concatenation of two earlier pieces with a lower score than both, so
// BPE can build it, and no merge contains '<' or a control character, so no
// text can merge into a byte or control token and Decode(Encode(text))
// reproduces any byte string.
#pragma once

#include <cstdint>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

// The first merge id: 3 specials + 256 bytes + 95 printable characters.
inline constexpr int32_t kRandomVocabFirstMerge = 3 + 256 + 95;

// Depends on vocab_size only (not on a seed), so all random models of one
// vocabulary size share a tokenizer. Needs vocab_size >= kRandomVocabFirstMerge.
Result<Vocabulary> MakeRandomVocabulary(int32_t vocab_size);

}  // namespace cacheopt
