#include "default_model.h"

#include <filesystem>
#include <iostream>

#include "sim/shared_dir.h"

namespace cacheopt {

void ChooseModel(const std::string& model, const std::string& tokenizer, int32_t context, const std::string& who,
                 ModelSource* m) {
  const std::string prefix = who.empty() ? "" : who + ": ";
  m->path = model;
  m->tokenizer_path = tokenizer;
  m->context = context;
  if (!model.empty()) {
    std::cerr << prefix << "model " << model << "\n";
    return;
  }
  const std::string shared = FindSharedDir();
  const std::filesystem::path stories = std::filesystem::path(shared) / "models" / "stories260K" / "stories260K.bin";
  std::error_code ec;
  if (!shared.empty() && std::filesystem::is_regular_file(stories, ec)) {
    m->path = stories.string();
    std::cerr << prefix << "model: " << m->path << " (default)\n";
  } else {
    m->generate_config = "tiny";
    std::cerr << prefix << "model: random-weight tiny (no ../shared/models/stories260K; pass --model PATH for real "
                           "text)\n";
  }
}

}  // namespace cacheopt
