#include "model/bpe_pretokenizer.h"

#include <unicode/uchar.h>

namespace cacheopt {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;
constexpr uint32_t kOutside = 0xFFFFFFFF;  // past the end of the text

struct Flags {
  bool letter = false;      // \p{L}
  bool number = false;      // \p{N}
  bool whitespace = false;  // \s (White_Space)
  bool any = false;         // inside the text (llama.cpp's flags != 0)
};

Flags FlagsOf(uint32_t cp) {
  Flags f;
  if (cp > 0x10FFFF) return f;
  const auto c = static_cast<UChar32>(cp);
  const uint32_t mask = U_GET_GC_MASK(c);
  f.letter = (mask & U_GC_L_MASK) != 0;
  f.number = (mask & U_GC_N_MASK) != 0;
  f.whitespace = u_hasBinaryProperty(c, UCHAR_WHITE_SPACE) != 0;
  // llama.cpp's table flags every code point, unassigned ones (Cn) as
  // "undefined": only past the end of the text are the flags empty.
  f.any = true;
  return f;
}

uint32_t ToLower(uint32_t cp) {
  return cp > 0x10FFFF ? cp : static_cast<uint32_t>(u_tolower(static_cast<UChar32>(cp)));
}

}  // namespace

std::vector<uint32_t> DecodeUtf8Lenient(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t i = 0;
  auto cont = [&](size_t k) { return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80; };
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    uint32_t cp = kReplacement;
    size_t len = 1;
    if (b < 0x80) {
      cp = b;
    } else if ((b & 0x40) == 0) {
      // a stray continuation byte
    } else if ((b & 0x20) == 0) {
      if (cont(1)) {
        cp = ((b & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
        len = 2;
      }
    } else if ((b & 0x10) == 0) {
      if (cont(1) && cont(2)) {
        cp = ((b & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
             (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
        len = 3;
      }
    } else if ((b & 0x08) == 0) {
      if (cont(1) && cont(2) && cont(3)) {
        cp = ((b & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
             ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) | (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
        len = 4;
        if (cp > 0x10FFFF) cp = kReplacement;
      }
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp <= 0x7F) {
    out->push_back(static_cast<char>(cp));
  } else if (cp <= 0x7FF) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp <= 0xFFFF) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::vector<std::vector<uint32_t>> PreTokenize(std::string_view text, PreTokenizerKind kind) {
  const std::vector<uint32_t> cp = DecodeUtf8Lenient(text);
  const size_t n = cp.size();
  std::vector<Flags> flags(n);
  for (size_t i = 0; i < n; ++i) flags[i] = FlagsOf(cp[i]);
  auto at = [&](size_t i) { return i < n ? cp[i] : kOutside; };
  auto fl = [&](size_t i) { return i < n ? flags[i] : Flags{}; };
  const size_t max_digits = kind == PreTokenizerKind::kLlama3 ? 3 : 1;

  std::vector<std::vector<uint32_t>> words;
  size_t prev_end = 0;
  auto emit = [&](size_t end) {
    if (end > prev_end)
      words.emplace_back(cp.begin() + static_cast<ptrdiff_t>(prev_end), cp.begin() + static_cast<ptrdiff_t>(end));
    prev_end = end;
  };
  size_t pos = 0;
  while (pos < n) {
    const uint32_t c = cp[pos];
    const Flags f = flags[pos];
    // (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])
    if (c == '\'' && pos + 1 < n) {
      const uint32_t c1 = ToLower(at(pos + 1));
      if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
        pos += 2;
        emit(pos);
        continue;
      }
      if (pos + 2 < n) {
        const uint32_t c2 = ToLower(at(pos + 2));
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
          pos += 3;
          emit(pos);
          continue;
        }
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!(c == '\r' || c == '\n' || f.number) && (f.letter || fl(pos + 1).letter)) {
      ++pos;
      while (fl(pos).letter) ++pos;
      emit(pos);
      continue;
    }
    // \p{N}{1,3} (llama-bpe) or \p{N} (qwen2)
    if (f.number) {
      size_t run = 0;
      while (fl(pos).number) {
        ++pos;
        if (++run == max_digits) {
          emit(pos);
          run = 0;
        }
      }
      emit(pos);
      continue;
    }
    // ' '?[^\s\p{L}\p{N}]+[\r\n]*
    Flags f2 = c == ' ' ? fl(pos + 1) : f;
    if (!(f2.whitespace || f2.letter || f2.number) && f.any) {
      if (c == ' ') ++pos;
      while (!(f2.whitespace || f2.letter || f2.number) && f2.any) f2 = fl(++pos);
      while (at(pos) == '\r' || at(pos) == '\n') ++pos;
      emit(pos);
      continue;
    }
    size_t spaces = 0, last_newline_end = 0;
    while (fl(pos + spaces).whitespace) {
      const uint32_t w = at(pos + spaces);
      if (w == '\r' || w == '\n') last_newline_end = pos + spaces + 1;
      ++spaces;
    }
    // \s*[\r\n]+
    if (last_newline_end > 0) {
      pos = last_newline_end;
      emit(pos);
      continue;
    }
    // \s+(?!\S): a run before more text leaves its last space to the word.
    if (spaces > 1 && pos + spaces < n) {
      pos += spaces - 1;
      emit(pos);
      continue;
    }
    // \s+
    if (spaces > 0) {
      pos += spaces;
      emit(pos);
      continue;
    }
    // No alternative matches (e.g. an unassigned code point): one alone.
    emit(++pos);
  }
  return words;
}

}  // namespace cacheopt
