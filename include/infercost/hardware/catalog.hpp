#pragma once
// GPU and LLM specifications as plain values. They come from catalog files (scenarios/catalog/gpus.yaml and
// models.yaml, every number with its source) and a scenario names an entry, overrides some of its fields, or
// defines its own inline. Other models (power, cost) read the same GpuSpec, so its fields carry their units.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "infercost/io/config.hpp"

namespace infercost {

/// Numeric format of weights, activations or the KV cache.
enum class Precision : std::uint8_t { kBf16, kFp8 };

/// Bytes per element of a precision (2 for bf16, 1 for fp8).
double bytes_per_element(Precision precision);
const char* to_string(Precision precision);

/// One GPU model: dense peak rates, memory, power and price. A value type; every field has its unit in its name.
struct GpuSpec {
  std::string name;
  double bf16_flops_per_s = 0.0;            ///< dense BF16 tensor-core peak, FLOP/s (no sparsity)
  double fp8_flops_per_s = 0.0;             ///< dense FP8 tensor-core peak, FLOP/s; 0 when the GPU has none
  double memory_bytes = 0.0;                ///< device memory capacity (HBM or GDDR), bytes
  double memory_bandwidth_bytes_per_s = 0.0;///< peak device memory bandwidth, bytes/s
  double tdp_w = 0.0;                       ///< maximum board power (TDP / TBP), W
  double idle_power_w = 0.0;                ///< measured power with no work running, W
  double interconnect_bandwidth_bytes_per_s = 0.0;  ///< GPU-to-GPU link per GPU, both directions summed, bytes/s
  std::uint32_t gpus_per_node = 8;          ///< GPUs sharing the interconnect in one server
  double capex_usd = 0.0;                   ///< list or typical purchase price per GPU, USD
  std::map<std::string, std::string> sources;  ///< catalog key -> citation of its number

  /// Peak FLOP/s for math in `precision`; FP8 falls back to BF16 on GPUs without FP8 tensor cores.
  double flops_per_s(Precision precision) const;
};

/// One decoder-only transformer LLM (dense or mixture-of-experts): its architecture and weight format.
struct LlmSpec {
  std::string name;
  std::uint32_t layers = 0;
  std::uint32_t hidden_size = 0;
  std::uint32_t attention_heads = 0;
  std::uint32_t kv_heads = 0;              ///< key/value heads (grouped-query attention)
  std::uint32_t head_dim = 0;
  std::uint32_t vocab_size = 0;
  std::uint32_t intermediate_size = 0;     ///< MLP width of one expert (SwiGLU: 3 matrices)
  std::uint32_t experts = 1;               ///< MLP experts per layer (1: dense)
  std::uint32_t experts_per_token = 1;     ///< experts each token is routed to
  Precision weight_precision = Precision::kBf16;
  std::uint32_t max_context_tokens = 0;    ///< longest context the model supports
  double declared_params = 0.0;            ///< published total parameter count (checks the architecture)
  double declared_active_params = 0.0;     ///< published parameters used per token
  std::map<std::string, std::string> sources;  ///< catalog key -> citation

  /// Attention projection parameters of one layer (Q, K, V, O).
  double attention_params_per_layer() const;
  /// Parameters of one MLP expert (gate, up, down).
  double mlp_params_per_expert() const;
  /// Parameters of all transformer layers, every expert counted (the weights a forward pass must hold).
  double layer_params_total() const;
  /// Parameters of all transformer layers that one token uses (routed experts only).
  double layer_params_active() const;
  /// Total parameters: layers, input embedding and output head.
  double params() const;
  /// Parameters used per token: active layers, embedding and output head.
  double active_params() const;
  /// Bytes of K and V cached per token for the whole model at `kv_precision`.
  double kv_bytes_per_token(Precision kv_precision) const;
};

/// The GPU and LLM catalogs of one directory.
struct Catalog {
  std::filesystem::path directory;
  std::map<std::string, GpuSpec> gpus;
  std::map<std::string, LlmSpec> models;
};

/// Loads `gpus.yaml` and `models.yaml` from `directory`, validating every entry (units, ranges, a source for every
/// number, unknown keys). Throws ConfigError naming the catalog file, line and key.
Catalog load_catalog(const std::filesystem::path& directory);

/// The catalog directory for a scenario: `explicit_dir` when given (relative to the scenario's directory), else
/// `catalog/` next to the scenario file when it has gpus.yaml, else the repository's scenarios/catalog/.
std::filesystem::path find_catalog_dir(const std::string& scenario_file, const std::string& explicit_dir);

/// Reads a `gpu:` value: a catalog name, or a mapping with an optional `base:` name plus fields that override it
/// (without `base:` every required field must be given, and `name:`).
GpuSpec read_gpu(const ConfigNode& node, const Catalog& catalog);
/// Reads a `model:` value, like read_gpu.
LlmSpec read_model(const ConfigNode& node, const Catalog& catalog);

}  // namespace infercost
