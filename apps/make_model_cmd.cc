#include <filesystem>
#include <iostream>

#include "commands.h"
#include "model/model_check.h"
#include "model/model_writer.h"
#include "model/random_model.h"

namespace cacheopt {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

int RunMakeModel(const MakeModelFlags& f) {
  const std::string format = !f.format.empty() ? f.format : EndsWith(f.out, ".gguf") ? "gguf" : "llama2c";
  if (format != "llama2c" && format != "gguf")
    return BadInput(Status::InvalidArgument("unknown --format '" + f.format + "'; valid: llama2c, gguf"));
  if (f.f16 && format != "gguf") return BadInput(Status::InvalidArgument("--f16 needs --format gguf"));
  if (!f.tokenizer_out.empty() && format != "llama2c")
    return BadInput(Status::InvalidArgument("--tokenizer-out is for llama2c; a GGUF file holds its tokenizer"));
  if (f.style != "llama" && format != "gguf")
    return BadInput(
        Status::InvalidArgument("--style " + f.style + " needs --format gguf (llama2.c files hold llama only)"));
  auto model = MakeRandomModel(f.config, f.seed, f.style);
  if (!model.ok()) return BadInput(model.status());

  std::string tokenizer = f.tokenizer_out;
  if (format == "llama2c" && tokenizer.empty()) {
    // The name LoadModel looks for first when no --tokenizer is given.
    const auto dir = std::filesystem::path(f.out).parent_path();
    tokenizer = (dir / ("tok" + std::to_string(model->config.vocab_size) + ".bin")).string();
  }
  const Status s = format == "gguf" ? WriteGguf(*model, f.out, f.f16) : WriteLlama2c(*model, f.out, tokenizer);
  if (!s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  const ModelConfig& c = model->config;
  std::cout << "wrote " << f.out << " (" << format << (f.f16 ? " f16" : "") << "): random "
            << (f.style == "llama" ? "" : f.style + " ") << f.config << ", seed "
            << f.seed << ", " << ParameterCount(c, model->weights.wcls == model->weights.token_embedding)
            << " parameters, dim " << c.dim << ", " << c.n_layers
            << " layers, vocab " << c.vocab_size << ", context " << c.context << "\n";
  if (format == "llama2c") std::cout << "wrote " << tokenizer << " (tokenizer)\n";
  return 0;
}

}  // namespace cacheopt
