#include "model/model_loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "model/file_reader.h"
#include "model/gguf_loader.h"
#include "model/gguf_types.h"
#include "model/llama2c_loader.h"

namespace cacheopt {

Result<Model> LoadModel(const std::string& path, const std::string& tokenizer_path, int32_t context_override) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound(path + ": no such model file");
  if (ReadFilePrefix(path, 4) == std::string(kGgufMagic, 4)) {
    if (!tokenizer_path.empty())
      return Status::InvalidArgument(path + " is a GGUF file, which carries its own tokenizer; drop --tokenizer " +
                                     tokenizer_path);
    return LoadGguf(path, context_override);
  }
  std::string tokenizer = tokenizer_path;
  if (tokenizer.empty()) {
    auto found = FindLlama2cTokenizer(path);
    if (!found.ok()) return found.status();
    tokenizer = *found;
  }
  return LoadLlama2c(path, tokenizer, context_override);
}

Result<std::string> FindLlama2cTokenizer(const std::string& checkpoint_path) {
  auto config = ReadLlama2cConfig(checkpoint_path);
  if (!config.ok()) return config.status();
  const std::filesystem::path dir = std::filesystem::path(checkpoint_path).parent_path();
  const std::string custom = (dir / ("tok" + std::to_string(config->vocab_size) + ".bin")).string();
  const std::string fallback = (dir / "tokenizer.bin").string();
  std::error_code ec;
  if (std::filesystem::is_regular_file(custom, ec)) return custom;
  if (std::filesystem::is_regular_file(fallback, ec)) return fallback;
  return Status::NotFound(checkpoint_path + ": no tokenizer found beside it (looked for " + custom + " and " +
                          fallback + "); pass --tokenizer PATH");
}

int32_t KnownTrainedContext(const std::string& path) {
  std::string name = std::filesystem::path(path).filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  struct Known {
    const char* stem;
    int32_t context;
  };
  for (const Known& k : {Known{"stories260k", 512}, Known{"stories15m", 256}, Known{"stories42m", 1024},
                         Known{"stories110m", 1024}}) {
    if (name.find(k.stem) != std::string::npos) return k.context;
  }
  return 0;
}

}  // namespace cacheopt
