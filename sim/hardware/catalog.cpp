// GPU and LLM catalogs. One table of fields per spec drives reading catalog entries, scenario overrides and inline
// definitions, so the three stay consistent. Parameter counts follow the Llama/Mixtral architecture (docs/models-
// serving.md, "Model arithmetic"): per layer 4 attention projections (Q and O of hidden x hidden, K and V of
// hidden x kv_heads*head_dim) and per expert a SwiGLU MLP of 3 hidden x intermediate matrices; untied input
// embedding and output head of vocab x hidden each.
#include "infercost/hardware/catalog.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace infercost {
namespace {

/// How one catalog key is read into a spec.
template <class Spec>
struct Field {
  const char* key;
  UnitKind unit;       ///< kDimensionless for plain numbers
  bool integer;        ///< read as an integer
  bool required;       ///< must come from the entry or its base
  double min;
  double max;
  std::function<void(Spec&, double)> set;
  std::function<double(const Spec&)> get;
};

const std::vector<Field<GpuSpec>>& gpu_fields() {
  static const std::vector<Field<GpuSpec>> fields = {
      {"bf16_dense", UnitKind::kFlops, false, true, 1e9, 1e18,
       [](GpuSpec& g, double v) { g.bf16_flops_per_s = v; }, [](const GpuSpec& g) { return g.bf16_flops_per_s; }},
      {"fp8_dense", UnitKind::kFlops, false, false, 0, 1e18,
       [](GpuSpec& g, double v) { g.fp8_flops_per_s = v; }, [](const GpuSpec& g) { return g.fp8_flops_per_s; }},
      {"memory", UnitKind::kBytes, false, true, 1e6, 1e15,
       [](GpuSpec& g, double v) { g.memory_bytes = v; }, [](const GpuSpec& g) { return g.memory_bytes; }},
      {"memory_bandwidth", UnitKind::kBandwidth, false, true, 1e6, 1e15,
       [](GpuSpec& g, double v) { g.memory_bandwidth_bytes_per_s = v; },
       [](const GpuSpec& g) { return g.memory_bandwidth_bytes_per_s; }},
      {"tdp", UnitKind::kPower, false, true, 1, 1e5,
       [](GpuSpec& g, double v) { g.tdp_w = v; }, [](const GpuSpec& g) { return g.tdp_w; }},
      {"idle_power", UnitKind::kPower, false, true, 0, 1e5,
       [](GpuSpec& g, double v) { g.idle_power_w = v; }, [](const GpuSpec& g) { return g.idle_power_w; }},
      {"interconnect_bandwidth", UnitKind::kBandwidth, false, true, 1e6, 1e15,
       [](GpuSpec& g, double v) { g.interconnect_bandwidth_bytes_per_s = v; },
       [](const GpuSpec& g) { return g.interconnect_bandwidth_bytes_per_s; }},
      {"gpus_per_node", UnitKind::kDimensionless, true, false, 1, 1024,
       [](GpuSpec& g, double v) { g.gpus_per_node = static_cast<std::uint32_t>(v); },
       [](const GpuSpec& g) { return static_cast<double>(g.gpus_per_node); }},
      {"capex_usd", UnitKind::kDimensionless, false, true, 0, 1e9,
       [](GpuSpec& g, double v) { g.capex_usd = v; }, [](const GpuSpec& g) { return g.capex_usd; }},
  };
  return fields;
}

template <class Member>
Field<LlmSpec> int_field(const char* key, bool required, double min, double max, Member member) {
  return {key, UnitKind::kDimensionless, true, required, min, max,
          [member](LlmSpec& m, double v) { m.*member = static_cast<std::uint32_t>(v); },
          [member](const LlmSpec& m) { return static_cast<double>(m.*member); }};
}

const std::vector<Field<LlmSpec>>& model_fields() {
  static const std::vector<Field<LlmSpec>> fields = {
      int_field("layers", true, 1, 10'000, &LlmSpec::layers),
      int_field("hidden_size", true, 1, 1'000'000, &LlmSpec::hidden_size),
      int_field("attention_heads", true, 1, 100'000, &LlmSpec::attention_heads),
      int_field("kv_heads", true, 1, 100'000, &LlmSpec::kv_heads),
      int_field("head_dim", true, 1, 100'000, &LlmSpec::head_dim),
      int_field("vocab_size", true, 1, 100'000'000, &LlmSpec::vocab_size),
      int_field("intermediate_size", true, 1, 10'000'000, &LlmSpec::intermediate_size),
      int_field("experts", false, 1, 100'000, &LlmSpec::experts),
      int_field("experts_per_token", false, 1, 100'000, &LlmSpec::experts_per_token),
      int_field("max_context_tokens", true, 1, 1e9, &LlmSpec::max_context_tokens),
      {"params", UnitKind::kDimensionless, false, false, 0, 1e15,
       [](LlmSpec& m, double v) { m.declared_params = v; }, [](const LlmSpec& m) { return m.declared_params; }},
      {"active_params", UnitKind::kDimensionless, false, false, 0, 1e15,
       [](LlmSpec& m, double v) { m.declared_active_params = v; },
       [](const LlmSpec& m) { return m.declared_active_params; }},
  };
  return fields;
}

/// Keys of `sources:` may list several catalog keys separated by commas.
std::map<std::string, std::string> read_sources(const ConfigNode& node) {
  std::map<std::string, std::string> sources;
  auto s = node.optional_child("sources");
  if (!s) return sources;
  for (const auto& key : s->keys()) {
    const std::string text = s->get_string(key);
    std::stringstream ss(key);
    std::string part;
    while (std::getline(ss, part, ',')) {
      part.erase(0, part.find_first_not_of(" \t"));
      part.erase(part.find_last_not_of(" \t") + 1);
      if (!part.empty()) sources[part] = text;
    }
  }
  return sources;
}

/// Reads the fields of one entry over `spec` (a copy of the base, or defaults). `require_sources` makes every numeric
/// key given in the entry need a citation under `sources:`.
template <class Spec>
void read_fields(const ConfigNode& node, const std::vector<Field<Spec>>& fields, Spec& spec, bool has_base,
                 bool require_sources) {
  const auto sources = read_sources(node);
  for (const auto& [key, text] : sources) spec.sources[key] = text;
  for (const auto& f : fields) {
    if (node.has(f.key)) {
      const ConfigNode c = node.child(f.key);
      double v = 0;
      if (f.integer) {
        v = static_cast<double>(c.as_int());
      } else {
        v = c.as_quantity(f.unit);
      }
      if (v < f.min || v > f.max) {
        c.fail(fmt::format("expected {} in [{:g}, {:g}] (base units), got {:g}", unit_kind_help(f.unit), f.min, f.max, v));
      }
      f.set(spec, v);
      if (require_sources && !sources.count(f.key)) {
        node.fail(fmt::format("missing a citation for '{}': add sources.{} (datasheet, paper or page)", f.key, f.key));
      }
    } else if (f.required && !has_base) {
      node.fail(fmt::format("missing required key '{}'", f.key));
    }
  }
}

void read_model_precision(const ConfigNode& node, LlmSpec& m) {
  if (!node.has("weight_precision")) return;
  m.weight_precision = node.get_choice("weight_precision", {"bf16", "fp8"}, "bf16") == "fp8" ? Precision::kFp8
                                                                                              : Precision::kBf16;
}

void check_model(const ConfigNode& node, const LlmSpec& m) {
  if (m.attention_heads % m.kv_heads != 0) {
    node.fail(fmt::format("expected attention_heads ({}) to be a multiple of kv_heads ({})", m.attention_heads,
                          m.kv_heads));
  }
  if (m.experts_per_token > m.experts) {
    node.fail(fmt::format("expected experts_per_token ({}) <= experts ({})", m.experts_per_token, m.experts));
  }
}

GpuSpec read_gpu_entry(const ConfigNode& node, const std::string& name, const GpuSpec* base, bool require_sources) {
  node.require_map();
  GpuSpec g = base ? *base : GpuSpec{};
  g.name = name;
  read_fields(node, gpu_fields(), g, base != nullptr, require_sources);
  return g;
}

LlmSpec read_model_entry(const ConfigNode& node, const std::string& name, const LlmSpec* base, bool require_sources) {
  node.require_map();
  LlmSpec m = base ? *base : LlmSpec{};
  m.name = name;
  read_fields(node, model_fields(), m, base != nullptr, require_sources);
  read_model_precision(node, m);
  if (!base && !node.has("active_params")) m.declared_active_params = m.declared_params;
  check_model(node, m);
  return m;
}

template <class Spec>
const Spec& lookup(const ConfigNode& node, const std::map<std::string, Spec>& entries, const std::string& what,
                   const std::filesystem::path& dir) {
  const std::string name = node.as_string();
  auto it = entries.find(name);
  if (it != entries.end()) return it->second;
  std::string hint, list;
  std::size_t best = std::max<std::size_t>(3, name.size() / 3) + 1;
  for (const auto& [n, spec] : entries) {
    list += (list.empty() ? "" : ", ") + n;
    const std::size_t d = edit_distance(name, n);
    if (d < best) {
      best = d;
      hint = fmt::format(" (did you mean '{}'?)", n);
    }
  }
  node.fail(fmt::format("no {} '{}' in the catalog {}{}; known: {}", what, name, dir.string(), hint, list));
}

template <class Spec, class ReadEntry>
Spec read_named_or_inline(const ConfigNode& node, const std::map<std::string, Spec>& entries, const std::string& what,
                          const std::filesystem::path& dir, ReadEntry read_entry) {
  if (node.is_scalar()) return lookup(node, entries, what, dir);
  node.require_map();
  if (node.has("base")) {
    const Spec& base = lookup(node.child("base"), entries, what, dir);
    return read_entry(node, node.get_string("name", base.name), &base, false);
  }
  return read_entry(node, node.get_string("name"), nullptr, false);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot open the catalog file", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

double bytes_per_element(Precision precision) { return precision == Precision::kFp8 ? 1.0 : 2.0; }

const char* to_string(Precision precision) { return precision == Precision::kFp8 ? "fp8" : "bf16"; }

double GpuSpec::flops_per_s(Precision precision) const {
  if (precision == Precision::kFp8 && fp8_flops_per_s > 0) return fp8_flops_per_s;
  return bf16_flops_per_s;
}

double LlmSpec::attention_params_per_layer() const {
  const double h = hidden_size;
  const double q = static_cast<double>(attention_heads) * head_dim;
  const double kv = static_cast<double>(kv_heads) * head_dim;
  return h * q + 2.0 * h * kv + q * h;
}

double LlmSpec::mlp_params_per_expert() const { return 3.0 * hidden_size * static_cast<double>(intermediate_size); }

double LlmSpec::layer_params_total() const {
  // The router of a mixture-of-experts layer is hidden x experts; dense layers have none.
  const double router = experts > 1 ? static_cast<double>(hidden_size) * experts : 0.0;
  return layers * (attention_params_per_layer() + experts * mlp_params_per_expert() + router);
}

double LlmSpec::layer_params_active() const {
  const double router = experts > 1 ? static_cast<double>(hidden_size) * experts : 0.0;
  return layers * (attention_params_per_layer() + experts_per_token * mlp_params_per_expert() + router);
}

double LlmSpec::params() const { return layer_params_total() + 2.0 * vocab_size * static_cast<double>(hidden_size); }

double LlmSpec::active_params() const {
  return layer_params_active() + 2.0 * vocab_size * static_cast<double>(hidden_size);
}

double LlmSpec::kv_bytes_per_token(Precision kv_precision) const {
  return 2.0 * layers * static_cast<double>(kv_heads) * head_dim * bytes_per_element(kv_precision);
}

Catalog load_catalog(const std::filesystem::path& directory) {
  Catalog catalog;
  catalog.directory = directory;
  {
    const auto file = directory / "gpus.yaml";
    const ConfigNode root = ConfigNode::load_string(read_text(file), file.string());
    const ConfigNode gpus = root.child("gpus");
    for (const auto& name : gpus.keys()) {
      catalog.gpus[name] = read_gpu_entry(gpus.child(name), name, nullptr, true);
    }
    root.check_unknown_keys();
  }
  {
    const auto file = directory / "models.yaml";
    const ConfigNode root = ConfigNode::load_string(read_text(file), file.string());
    const ConfigNode models = root.child("models");
    for (const auto& name : models.keys()) {
      catalog.models[name] = read_model_entry(models.child(name), name, nullptr, true);
    }
    root.check_unknown_keys();
  }
  return catalog;
}

std::filesystem::path find_catalog_dir(const std::string& scenario_file, const std::string& explicit_dir) {
  namespace fs = std::filesystem;
  const fs::path scenario_dir = fs::path(scenario_file).parent_path();
  const bool real_file = !scenario_file.empty() && fs::is_regular_file(scenario_file);
  if (!explicit_dir.empty()) {
    const fs::path p(explicit_dir);
    return p.is_absolute() || !real_file ? p : scenario_dir / p;
  }
  if (real_file) {
    const fs::path next = scenario_dir / "catalog";
    if (fs::is_regular_file(next / "gpus.yaml")) return next;
  }
  return fs::path(INFERCOST_SOURCE_DIR) / "scenarios" / "catalog";
}

GpuSpec read_gpu(const ConfigNode& node, const Catalog& catalog) {
  return read_named_or_inline(node, catalog.gpus, "GPU", catalog.directory,
                              [](const ConfigNode& n, const std::string& name, const GpuSpec* base, bool sources) {
                                return read_gpu_entry(n, name, base, sources);
                              });
}

LlmSpec read_model(const ConfigNode& node, const Catalog& catalog) {
  return read_named_or_inline(node, catalog.models, "model", catalog.directory,
                              [](const ConfigNode& n, const std::string& name, const LlmSpec* base, bool sources) {
                                return read_model_entry(n, name, base, sources);
                              });
}

}  // namespace infercost
