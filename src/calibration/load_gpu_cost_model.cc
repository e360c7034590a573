#include "calibration/load_gpu_cost_model.h"

#include <cstdio>

#include "cacheopt/cost/analytic_tables.h"
#include "calibration/all_reduce_profile.h"
#include "calibration/attention_fit.h"
#include "calibration/cpu_overhead_fit.h"
#include "calibration/mlp_profile.h"
#include "calibration/text_file.h"

namespace cacheopt {
namespace {

constexpr const char* kReferenceGpuFolder = "a100";  // where the attention table was measured
constexpr const char* kAttentionTable = "vidur_profiling/legacy_e2d00e9/a100/attention.csv";
constexpr const char* kCpuOverheads = "vidur_profiling/legacy_7f14d6a/a100/cpu_overheads.csv";
// The part Vidur's A100 tables were most likely measured on (A100-80GB PCIe).
constexpr double kReferenceFlops = 312e12;
constexpr double kReferenceHbm = 1.94e12;

std::string Fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), format, a, b, c);
  return buf;
}

class Loader {
 public:
  Loader(const GpuCostModelOptions& o, const ModelSpec& m, const GpuSpec& g, CostModelProvenance* p)
      : opt_(o), model_(m), gpu_(g), prov_(p) {}

  // "" when the data dir is unset or neither the file nor its .xz exists.
  std::string Find(const std::string& relative) const {
    if (opt_.data_dir.empty()) return "";
    return FindPlainOrXz(opt_.data_dir + "/" + relative);
  }

  // Records a part that fell back; an error when fallbacks are not allowed.
  Status Missing(const std::string& part, const std::string& relative, const std::string& why) {
    const std::string where = opt_.data_dir.empty()
                                  ? "no data dir given"
                                  : opt_.data_dir + "/" + relative + "[.xz] " + why;
    if (!opt_.allow_fallback) return Status::NotFound(part + ": " + where);
    prov_->analytic_fallback = true;
    Note(part + ": analytic fallback (" + where + ")");
    return Status::Ok();
  }

  void Note(const std::string& line) { prov_->note += (prov_->note.empty() ? "" : "\n") + line; }
  void Read(const std::string& path) { prov_->files.push_back(path); }

  std::string MlpRelative(const std::string& gpu_folder) const {
    return "vidur_profiling/compute/" + gpu_folder + "/" + model_.profile_name + "/mlp.csv";
  }

  // The model's linear profile on `gpu_folder`; NotFound when absent.
  Result<MlpProfile> Mlp(const std::string& gpu_folder) {
    const std::string path = Find(MlpRelative(gpu_folder));
    if (path.empty()) return Status::NotFound(MlpRelative(gpu_folder));
    Read(path);
    return ReadMlpProfile(path, model_, opt_.tp);
  }

  Result<OperatorTables> Load();

 private:
  Status LoadLinear(OperatorTables* t, MlpProfile* own, bool* have_own);
  Status LoadAllReduce(OperatorTables* t);
  Status LoadAttention(OperatorTables* t, const MlpProfile* own);
  Status LoadOverhead(OperatorTables* t);

  const GpuCostModelOptions& opt_;
  const ModelSpec& model_;
  const GpuSpec& gpu_;
  CostModelProvenance* prov_;
};

Status Loader::LoadLinear(OperatorTables* t, MlpProfile* own, bool* have_own) {
  const std::string rel = MlpRelative(gpu_.profile_folder);
  if (Find(rel).empty()) return Missing("linear ops", rel, "not found");
  Result<MlpProfile> p = Mlp(gpu_.profile_folder);
  if (!p.ok() && p.status().code() == StatusCode::kNotFound) {
    return Missing("linear ops", rel, "has no rows for TP " + std::to_string(opt_.tp));
  }
  if (!p.ok()) return p.status();
  *own = *p;
  *have_own = true;
  t->layer_s = p->layer_s;
  t->step_s = p->step_s;
  // Achievable rates on this GPU, for the LM head: GEMM FLOP/s at the
  // largest profiled batch, weight bytes/s at 8 tokens.
  const double layer_params = static_cast<double>(model_.LayerMatrixParams(opt_.tp));
  t->gemm_flops_per_s = 2 * p->max_tokens * layer_params / p->gemm_s_at_max;
  t->weight_bytes_per_s = 2 * layer_params / p->layer_s_at_8;
  Note("linear ops: " + prov_->files.back() +
       Fmt(" (GEMMs %.0f TFLOP/s at %.0f tokens, weights %.0f GB/s at 8 tokens)",
           t->gemm_flops_per_s / 1e12, p->max_tokens, t->weight_bytes_per_s / 1e9));
  if (gpu_.memory_slowdown_vs_profile > 1) {
    SlowMemoryBoundLinear(gpu_.memory_slowdown_vs_profile, t);
    Note(Fmt("linear ops: memory-bound part slowed %.3fx for this GPU's bandwidth",
             gpu_.memory_slowdown_vs_profile));
  }
  return Status::Ok();
}

Status Loader::LoadAllReduce(OperatorTables* t) {
  if (opt_.tp == 1) return Status::Ok();
  const std::string rel = "vidur_profiling/network/" + gpu_.network_folder + "/all_reduce.csv";
  const std::string path = Find(rel);
  if (path.empty()) return Missing("all-reduce", rel, "not found");
  Read(path);
  Result<PiecewiseLinear> ar = ReadAllReduceProfile(path, opt_.tp);
  if (!ar.ok() && ar.status().code() == StatusCode::kNotFound) {
    return Missing("all-reduce", rel, "lacks " + std::to_string(opt_.tp) + " GPUs in one node");
  }
  if (!ar.ok()) return ar.status();
  t->all_reduce_s = *ar;
  Note("all-reduce: " + path);
  return Status::Ok();
}

Status Loader::LoadAttention(OperatorTables* t, const MlpProfile* own) {
  AttentionCoeffs reference = ReferenceA100Attention();
  const std::string path = Find(kAttentionTable);
  if (path.empty()) {
    if (Status s = Missing("attention", kAttentionTable, "not found"); !s.ok()) return s;
  } else {
    Read(path);
    Result<AttentionFit> fit = FitAttention(path);
    if (!fit.ok()) return fit.status();
    reference = fit->coeffs;
    prov_->attention_profiled_context = fit->max_context;
    Note("attention: fitted on " + path +
         Fmt(" (median |error| prefill %.1f%%, decode %.1f%%)", 100 * fit->prefill_median_error,
             100 * fit->decode_median_error));
  }
  // Carry the A100 fit to this GPU: 1 on the profiled A100; slower memory on
  // a100-40g; on another part, the ratios its own profile shows against the
  // A100 profile of the same model (GEMMs at the largest batch for FLOPs,
  // 8-token layers for bytes), else datasheet ratios.
  double compute = 1, memory = 1 / gpu_.memory_slowdown_vs_profile;
  if (gpu_.profile_folder != kReferenceGpuFolder) {
    compute = gpu_.dense_flops / kReferenceFlops;
    memory = gpu_.hbm_bytes_per_s / kReferenceHbm;
    std::string how = "datasheet ratios";
    Result<MlpProfile> ref = Mlp(kReferenceGpuFolder);
    if (!ref.ok() && ref.status().code() != StatusCode::kNotFound) return ref.status();
    if (ref.ok() && own != nullptr && ref->max_tokens == own->max_tokens) {
      compute = ref->gemm_s_at_max / own->gemm_s_at_max;
      memory = ref->layer_s_at_8 / own->layer_s_at_8;
      how = "GEMM and 8-token layer ratios of the " + gpu_.profile_folder + " and a100 profiles";
    }
    Note(Fmt("attention: scaled from a100 by %.2fx FLOP/s, %.2fx bytes/s", compute, memory) + " (" +
         how + ")");
  }
  t->attention = ScaleAttention(reference, compute, memory);
  return Status::Ok();
}

Status Loader::LoadOverhead(OperatorTables* t) {
  const std::string path = Find(kCpuOverheads);
  if (path.empty()) {
    t->overhead = ReferenceOverhead();
    return Missing("host overhead", kCpuOverheads, "not found");
  }
  Read(path);
  Result<OverheadFit> fit = FitCpuOverhead(path, model_.profile_name);
  if (!fit.ok()) return fit.status();
  t->overhead = fit->coeffs;
  Note("host overhead: " + path +
       Fmt(" (%.3f ms + %.4f ms per sequence, %.0f rows", fit->coeffs.step_s * 1e3,
           fit->coeffs.per_seq_s * 1e3, fit->rows) +
       (fit->model_rows ? " of this model)" : ", all models)"));
  return Status::Ok();
}

Result<OperatorTables> Loader::Load() {
  OperatorTables t = AnalyticTables(model_, gpu_, opt_.tp);
  MlpProfile own;
  bool have_own = false;
  if (Status s = LoadLinear(&t, &own, &have_own); !s.ok()) return s;
  if (Status s = LoadAllReduce(&t); !s.ok()) return s;
  if (Status s = LoadAttention(&t, have_own ? &own : nullptr); !s.ok()) return s;
  if (Status s = LoadOverhead(&t); !s.ok()) return s;
  t.source = prov_->note;
  return t;
}

}  // namespace

Result<OperatorTables> LoadOperatorTables(const GpuCostModelOptions& options,
                                          CostModelProvenance* provenance) {
  Result<ModelSpec> model = FindModel(options.model);
  if (!model.ok()) return model.status();
  model->kv_cache_bytes = options.kv_cache_bytes;
  Result<GpuSpec> gpu = FindGpu(options.gpu);
  if (!gpu.ok()) return gpu.status();
  if (options.tp < 1 || model->heads % options.tp != 0) {
    return Status::InvalidArgument("tp " + std::to_string(options.tp) +
                                   " must be >= 1 and divide the " + std::to_string(model->heads) +
                                   " heads of " + model->name);
  }
  CostModelProvenance local;
  CostModelProvenance* prov = provenance != nullptr ? provenance : &local;
  *prov = CostModelProvenance();
  Loader loader(options, *model, *gpu, prov);
  return loader.Load();
}

Result<std::unique_ptr<GpuCostModel>> LoadGpuCostModel(const GpuCostModelOptions& options,
                                                       CostModelProvenance* provenance) {
  Result<OperatorTables> tables = LoadOperatorTables(options, provenance);
  if (!tables.ok()) return tables.status();
  ModelSpec model = *FindModel(options.model);
  model.kv_cache_bytes = options.kv_cache_bytes;
  return GpuCostModel::Create(std::move(model), *FindGpu(options.gpu), options.tp,
                              std::move(*tables));
}

}  // namespace cacheopt
