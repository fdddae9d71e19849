#include "infercost/hardware/catalog.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "infercost/core/scenario.hpp"

using namespace infercost;
namespace fs = std::filesystem;

namespace {

const fs::path kCatalog = fs::path(INFERCOST_SOURCE_DIR) / "scenarios" / "catalog";

/// A scratch catalog directory with the given gpus.yaml and the shipped models.yaml, removed afterwards. One per
/// process and name: ctest runs test cases in parallel processes.
struct ScratchCatalog {
  ScratchCatalog(const std::string& name, const std::string& gpus_yaml)
      : dir(fs::temp_directory_path() / ("infercost-catalog-" + name + "-" + std::to_string(::getpid()))) {
    fs::create_directories(dir);
    std::ofstream(dir / "gpus.yaml") << gpus_yaml;
    fs::copy_file(kCatalog / "models.yaml", dir / "models.yaml", fs::copy_options::overwrite_existing);
  }
  ~ScratchCatalog() { fs::remove_all(dir); }
  fs::path dir;
};

std::string scenario_with_serving(const std::string& serving_lines) {
  return "duration: 1h\ncluster:\n  serving:\n    type: continuous_batching\n" + serving_lines +
         "workload:\n  classes:\n    - {name: c, users: 1, arrival: {type: poisson, rate: 1/s}, input_tokens: 100, "
         "output_tokens: 10}\n";
}

}  // namespace

TEST_CASE("the shipped GPU catalog has every required GPU, each number with its source", "[hardware]") {
  const Catalog c = load_catalog(kCatalog);
  for (const char* name : {"A100-SXM4-80GB", "H100-SXM5-80GB", "H200-SXM-141GB", "B200", "L40S", "MI300X"}) {
    INFO(name);
    REQUIRE(c.gpus.count(name) == 1);
    const GpuSpec& g = c.gpus.at(name);
    for (const char* key : {"bf16_dense", "memory", "memory_bandwidth", "tdp", "idle_power", "interconnect_bandwidth",
                            "capex_usd"}) {
      INFO(key);
      CHECK_FALSE(g.sources.at(key).empty());
    }
    CHECK(g.bf16_flops_per_s > 1e14);
    CHECK(g.idle_power_w < g.tdp_w);
    CHECK(g.capex_usd > 0);
  }
  const GpuSpec& h100 = c.gpus.at("H100-SXM5-80GB");
  CHECK(h100.bf16_flops_per_s == Approx(989.4e12));
  CHECK(h100.memory_bandwidth_bytes_per_s == Approx(3.35e12));
  CHECK(h100.tdp_w == 700.0);
  // FP8 math on a GPU without FP8 tensor cores runs at the BF16 rate.
  const GpuSpec& a100 = c.gpus.at("A100-SXM4-80GB");
  CHECK(a100.flops_per_s(Precision::kFp8) == a100.bf16_flops_per_s);
  CHECK(h100.flops_per_s(Precision::kFp8) == Approx(2 * h100.bf16_flops_per_s).epsilon(1e-3));
}

TEST_CASE("parameter counts derived from the architecture match the published ones", "[hardware]") {
  const Catalog c = load_catalog(kCatalog);
  for (const char* name : {"Llama-3.1-8B", "Llama-3.1-70B", "Llama-3.1-405B", "Mixtral-8x7B"}) {
    INFO(name);
    const LlmSpec& m = c.models.at(name);
    CHECK(m.params() == Approx(m.declared_params).epsilon(0.01));
    CHECK(m.active_params() == Approx(m.declared_active_params).epsilon(0.02));
  }
  const LlmSpec& mixtral = c.models.at("Mixtral-8x7B");
  CHECK(mixtral.active_params() < 0.3 * mixtral.params());  // 2 of 8 experts per token
  // K and V of 8 heads of 128 dims per layer, 16-bit: 128 KiB per token for 8B, 320 KiB for 70B.
  CHECK(c.models.at("Llama-3.1-8B").kv_bytes_per_token(Precision::kBf16) == 131072.0);
  CHECK(c.models.at("Llama-3.1-70B").kv_bytes_per_token(Precision::kBf16) == 327680.0);
  CHECK(c.models.at("Llama-3.1-70B").kv_bytes_per_token(Precision::kFp8) == 163840.0);
}

TEST_CASE("a scenario names a catalog GPU, overrides fields of one, or defines its own", "[hardware]") {
  const Registries reg = builtin_registries();
  SECTION("override") {
    const Scenario s = load_scenario_text(
        scenario_with_serving("    gpu: {base: H100-SXM5-80GB, memory_bandwidth: 3TB/s, capex_usd: 20000}\n"
                              "    model: {base: Llama-3.1-8B, weight_precision: fp8}\n"),
        "override.yaml", {}, reg);
    const GpuSpec* g = s.serving->gpu_spec();
    REQUIRE(g != nullptr);
    CHECK(g->memory_bandwidth_bytes_per_s == 3e12);
    CHECK(g->capex_usd == 20000);
    CHECK(g->tdp_w == 700.0);  // untouched fields keep the catalog's values
    CHECK(g->name == "H100-SXM5-80GB");
  }
  SECTION("inline definition") {
    const Scenario s = load_scenario_text(
        scenario_with_serving("    gpu: {name: lab-gpu, bf16_dense: 500TFLOP/s, memory: 96GB, memory_bandwidth: 4TB/s,\n"
                              "          tdp: 600W, idle_power: 60W, interconnect_bandwidth: 900GB/s, capex_usd: 1}\n"
                              "    model: Llama-3.1-8B\n"),
        "inline.yaml", {}, reg);
    CHECK(s.serving->gpu_spec()->name == "lab-gpu");
    CHECK(s.serving->gpu_spec()->bf16_flops_per_s == 500e12);
  }
  SECTION("inline definition missing a field") {
    CHECK_THROWS_WITH(load_scenario_text(scenario_with_serving("    gpu: {name: x, bf16_dense: 1TFLOP/s}\n"
                                                               "    model: Llama-3.1-8B\n"),
                                         "bad.yaml", {}, reg),
                      Catch::Contains("missing required key 'memory'"));
  }
  SECTION("unknown name suggests the closest") {
    CHECK_THROWS_WITH(load_scenario_text(scenario_with_serving("    gpu: H100-SXM5-80G\n    model: Llama-3.1-8B\n"),
                                         "typo.yaml", {}, reg),
                      Catch::Contains("did you mean 'H100-SXM5-80GB'"));
  }
  SECTION("unknown override key") {
    CHECK_THROWS_WITH(
        load_scenario_text(scenario_with_serving("    gpu: {base: H100-SXM5-80GB, memory_bandwith: 3TB/s}\n"
                                                 "    model: Llama-3.1-8B\n"),
                           "key.yaml", {}, reg),
        Catch::Contains("did you mean 'memory_bandwidth'"));
  }
}

TEST_CASE("a catalog number without a citation, or an unknown catalog key, is refused", "[hardware]") {
  const std::string entry =
      "gpus:\n  G:\n    bf16_dense: 1TFLOP/s\n    memory: 1GB\n    memory_bandwidth: 1GB/s\n    tdp: 100W\n"
      "    idle_power: 10W\n    interconnect_bandwidth: 1GB/s\n    capex_usd: 1\n";
  const std::string sources = "    sources:\n      bf16_dense, memory, memory_bandwidth, tdp: datasheet\n"
                              "      idle_power, interconnect_bandwidth: measured\n";
  CHECK_THROWS_WITH(load_catalog(ScratchCatalog("nosource", entry + sources).dir),
                    Catch::Contains("missing a citation for 'capex_usd'"));
  CHECK_NOTHROW(load_catalog(ScratchCatalog("ok", entry + sources + "      capex_usd: quote\n").dir));
  CHECK_THROWS_WITH(load_catalog(ScratchCatalog("unknown", entry + "    colour: green\n" + sources +
                                                                "      capex_usd: quote\n").dir),
                    Catch::Contains("unknown key 'colour'"));
}

TEST_CASE("the catalog is found next to the scenario, by an explicit path, or in the repository", "[hardware]") {
  CHECK(find_catalog_dir("", "") == kCatalog);
  CHECK(find_catalog_dir((fs::path(INFERCOST_SOURCE_DIR) / "scenarios" / "llama70b-h100.yaml").string(), "") ==
        fs::path(INFERCOST_SOURCE_DIR) / "scenarios" / "catalog");
  const ScratchCatalog scratch("explicit", "gpus: {}\n");
  CHECK(find_catalog_dir("", scratch.dir.string()) == scratch.dir);
}
