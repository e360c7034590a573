#include <filesystem>
#include <iostream>
#include <optional>

#include "commands.h"
#include "model/ggml_blocks.h"
#include "model/gguf_types.h"
#include "model/model_check.h"
#include "model/model_loader.h"
#include "model/model_quant.h"
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
  if (f.config.empty() == f.from.empty())
    return BadInput(Status::InvalidArgument("give exactly one of --config (random weights) and --from (a model file)"));
  if (f.style != "llama" && format != "gguf")
    return BadInput(Status::InvalidArgument("--style " + f.style + " needs --format gguf (llama2.c files hold llama only)"));
  if (!f.from.empty() && f.style != "llama")
    return BadInput(Status::InvalidArgument("--style is for random weights; --from keeps the file's architecture"));
  std::optional<uint32_t> quant;
  if (!f.quant.empty()) {
    quant = GgmlTypeFromName(f.quant);
    if (!quant)
      return BadInput(Status::InvalidArgument("unknown --quant '" + f.quant + "'; valid: " + GgmlSupportedTypeNames()));
    if (format != "gguf") return BadInput(Status::InvalidArgument("--quant needs --format gguf"));
    if (f.f16) return BadInput(Status::InvalidArgument("--quant and --f16 both set; use --quant F16"));
  }
  auto model = f.from.empty() ? MakeRandomModel(f.config, f.seed, f.style) : LoadModel(f.from, "", 0);
  if (!model.ok()) return BadInput(model.status());
  WidenModelWeights(&*model);

  std::string tokenizer = f.tokenizer_out;
  if (format == "llama2c" && tokenizer.empty()) {
    // The name LoadModel looks for first when no --tokenizer is given.
    const auto dir = std::filesystem::path(f.out).parent_path();
    tokenizer = (dir / ("tok" + std::to_string(model->config.vocab_size) + ".bin")).string();
  }
  const Status s = format != "gguf" ? WriteLlama2c(*model, f.out, tokenizer)
                   : quant          ? WriteGgufAs(*model, f.out, *quant)
                                    : WriteGguf(*model, f.out, f.f16);
  if (!s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return 1;
  }
  const ModelConfig& c = model->config;
  std::cout << "wrote " << f.out << " (" << format << (f.f16 ? " f16" : "")
            << (quant ? " " + GgmlTypeName(*quant) : std::string()) << "): "
            << (f.from.empty() ? "random " + (f.style == "llama" ? "" : f.style + " ") + f.config + ", seed " +
                                     std::to_string(f.seed)
                               : "weights of " + f.from)
            << ", " << ParameterCount(c, model->weights.wcls == model->weights.token_embedding)
            << " parameters, dim " << c.dim << ", " << c.n_layers
            << " layers, vocab " << c.vocab_size << ", context " << c.context << "\n";
  if (format == "llama2c") std::cout << "wrote " << tokenizer << " (tokenizer)\n";
  return 0;
}

}  // namespace cacheopt
