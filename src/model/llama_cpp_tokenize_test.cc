// Tokenization against llama.cpp's own `llama-tokenize` (the peer, built by
// scripts/build-llama-cpp.sh into ~/.cache/cacheopt/llama.cpp-build/bin, or
// $CACHEOPT_LLAMA_CPP_BIN): 1000 random texts (words with contractions,
// digit runs, whitespace runs, code, several scripts, emoji, special-token
// strings) through a generated BPE vocabulary with each pre-tokenizer must
// give the same ids, BOS and parsed special tokens included, as
// `llama-tokenize --ids` (which adds BOS as the vocabulary says and parses
// specials) gives. Without llama-tokenize, the same through node-llama-cpp's
// prebuilt llama.cpp library (scripts/llama-cpp-tokenize.mjs; the npm
// package the peer's source comes from). Skips with a message when neither
// is present. $CACHEOPT_PEER_TEXTS changes the count.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/bpe_pretokenizer.h"
#include "model/model_test_util.h"
#include "model/model_writer.h"
#include "model/random_model.h"
#include "model/tokenizer.h"
#include "model/weight_rng.h"
#include "support/run_command.h"

namespace cacheopt {
namespace {

std::string PeerBinary(const std::string& name) {
  const char* env = std::getenv("CACHEOPT_LLAMA_CPP_BIN");
  const char* home = std::getenv("HOME");
  const std::string dir =
      env != nullptr ? env : std::string(home != nullptr ? home : "/root") + "/.cache/cacheopt/llama.cpp-build/bin";
  const std::string path = dir + "/" + name;
  return std::filesystem::exists(path) ? path : "";
}

// A random text: pieces drawn from categories the pre-tokenizers treat
// differently.
std::string RandomText(WeightRng& rng) {
  static const char* const kWords[] = {"the", "Once", "upon", "a", "time", "don't", "I'm", "WE'LL", "they're",
                                       "you've", "she'd", "It's", "hello", "HELLO", "naïve", "café", "über",
                                       "Привет", "мир", "Γεια", "κόσμε", "你好", "世界", "こんにちは", "مرحبا",
                                       "שלום", "नमस्ते", "한국어", "e\xCC\x81", "x86_64", "snake_case", "camelCase"};
  static const char* const kCode[] = {"(", ")", "{", "}", "[", "]", ";", "+=", "==", "->", "::", "&&", "||", "//",
                                      "/*", "*/", "#include", "<stdio.h>", "\"", "'", "`", "$", "%", "^", "~",
                                      "...", "!", "?", ",", ".", ":", "@", "\\", "|", "<", ">", "=", "-", "_"};
  static const char* const kSpace[] = {" ", "  ", "   ", "    ", "\t", "\n", "\n\n", "\r\n", " \n", "\n ", "\t\t",
                                       "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\x83", "        "};
  static const char* const kOther[] = {"\xF0\x9F\x98\x80", "\xF0\x9F\x8E\x89\xF0\x9F\x8E\x89", "\xE2\x82\xAC",
                                       "\xC2\xA9", "\xE2\x80\x94", "\xE2\x80\x9C", "\xD9\xA3\xD9\xA4",
                                       "\xE2\x85\xAB", "\xC2\xBD", "<|eot_id|>", "<|im_end|>", "<think>",
                                       "<|begin_of_text|>", "<|endoftext|>", "<s>", "\x7F", "\x01"};
  std::string s;
  const int n = 1 + static_cast<int>(rng.Below(24));
  for (int i = 0; i < n; ++i) {
    const uint64_t r = rng.Below(100);
    if (r < 40) {
      s += kWords[rng.Below(std::size(kWords))];
    } else if (r < 55) {
      const int digits = 1 + static_cast<int>(rng.Below(9));
      for (int d = 0; d < digits; ++d) s.push_back(static_cast<char>('0' + rng.Below(10)));
    } else if (r < 80) {
      s += kSpace[rng.Below(std::size(kSpace))];
    } else if (r < 92) {
      s += kCode[rng.Below(std::size(kCode))];
    } else if (r < 97) {
      s += kOther[rng.Below(std::size(kOther))];
    } else {
      AppendUtf8(static_cast<uint32_t>(0x20 + rng.Below(0x2FE0)), &s);  // any BMP code point below the surrogates
    }
  }
  return s;
}

std::vector<int32_t> ParseIds(const std::string& out) {
  std::vector<int32_t> ids;
  const size_t open = out.rfind('['), close = out.rfind(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return {-1};
  std::string body = out.substr(open + 1, close - open - 1);
  size_t at = 0;
  while (at < body.size()) {
    while (at < body.size() && (body[at] == ' ' || body[at] == ',')) ++at;
    if (at >= body.size()) break;
    ids.push_back(std::stoi(body.substr(at)));
    while (at < body.size() && body[at] != ',') ++at;
  }
  return ids;
}

std::string RunCommand(const std::string& cmd) { return testing::RunCommand(cmd).output; }

bool NodePeerPresent() {
  const char* home = std::getenv("HOME");
  const std::string pkg = std::string(home != nullptr ? home : "/root") +
                          "/.cache/cacheopt/node-llama-cpp-3.22.1/node_modules/node-llama-cpp";
  return std::filesystem::exists(pkg) && std::system("node --version > /dev/null 2>&1") == 0;
}

// Every text's ids from node-llama-cpp in one process, BOS added as the
// vocabulary says (the script adds none).
std::vector<std::vector<int32_t>> NodePeerIds(const std::string& model, const std::vector<std::string>& texts,
                                              const Model& m, const std::string& dir) {
  const std::string in = dir + "/texts.json";
  std::ofstream(in, std::ios::binary) << nlohmann::json(texts).dump();
  const std::string out = RunCommand("node " CACHEOPT_SOURCE_DIR "/scripts/llama-cpp-tokenize.mjs " + model + " " + in);
  std::vector<std::vector<int32_t>> ids;
  try {
    ids = nlohmann::json::parse(out).get<std::vector<std::vector<int32_t>>>();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "node peer output is not JSON: " << e.what() << ": " << out.substr(0, 300);
    return {};
  }
  if (m.vocab.add_bos)
    for (auto& v : ids) v.insert(v.begin(), m.config.bos_id);
  return ids;
}

TEST(LlamaCppTokenizeTest, GeneratedBpeVocabulariesMatchLlamaTokenize) {
  const std::string peer = PeerBinary("llama-tokenize");
  const bool node_peer = peer.empty() && NodePeerPresent();
  if (peer.empty() && !node_peer)
    GTEST_SKIP() << "llama.cpp's llama-tokenize not found (scripts/build-llama-cpp.sh builds it; or set "
                    "CACHEOPT_LLAMA_CPP_BIN), nor node with node-llama-cpp 3.22.1 in ~/.cache/cacheopt";
  const char* count_env = std::getenv("CACHEOPT_PEER_TEXTS");
  const int count = count_env != nullptr ? std::atoi(count_env) : 1000;
  const std::string dir = testing::ScratchDir("llama_cpp_tokenize");
  for (const char* style : {"llama3", "qwen2"}) {
    auto m = MakeRandomModel("tiny", 1, style);
    ASSERT_TRUE(m.ok()) << m.status().message();
    const std::string model = dir + "/" + style + ".gguf";
    ASSERT_TRUE(WriteGguf(*m, model, false).ok());
    const Tokenizer tok(*m);
    WeightRng rng(2026);
    std::vector<std::string> texts;
    for (int i = 0; i < count; ++i) texts.push_back(RandomText(rng));
    std::vector<std::vector<int32_t>> node_ids;
    if (node_peer) {
      node_ids = NodePeerIds(model, texts, *m, dir);
      ASSERT_EQ(node_ids.size(), texts.size());
    }
    int mismatches = 0;
    for (int i = 0; i < count; ++i) {
      const std::string& text = texts[i];
      std::vector<int32_t> want;
      if (node_peer) {
        want = node_ids[i];
      } else {
        const std::string file = dir + "/text.txt";
        std::ofstream(file, std::ios::binary) << text;
        want = ParseIds(
            RunCommand(peer + " -m " + model + " --file " + file + " --ids --no-escape --log-disable 2>/dev/null"));
      }
      const std::vector<int32_t> got = tok.Encode(text, true, false, true);
      if (got != want && ++mismatches <= 5) {
        std::string g, w;
        for (int32_t x : got) g += std::to_string(x) + " ";
        for (int32_t x : want) w += std::to_string(x) + " ";
        ADD_FAILURE() << style << " text " << i << " '" << text << "':\n  ours      " << g << "\n  llama.cpp " << w;
      }
    }
    std::printf("[ %s: %d of %d texts tokenized differently from llama.cpp (%s) ]\n", style, mismatches, count,
                node_peer ? "node-llama-cpp" : "llama-tokenize");
    EXPECT_EQ(mismatches, 0) << style;
  }
}

}  // namespace
}  // namespace cacheopt
