#include "infercost/core/scenario.hpp"

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "infercost/engine/random.hpp"
#include "infercost/io/config.hpp"

namespace infercost {
namespace {

}  // namespace

std::uint32_t Scenario::total_users() const {
  std::uint32_t n = 0;
  for (const auto& c : classes) n += c.users;
  return n;
}

static Scenario read_scenario(const ConfigNode& root, const Registries& registries) {
  Scenario s;
  s.file = root.document().file;
  s.name = root.get_string("name", std::filesystem::path(s.file).stem().string());
  s.description = root.get_string("description", "");
  s.seed = static_cast<std::uint64_t>(root.get_int("seed", 1, 0));
  s.duration = root.get_duration("duration", std::nullopt, kMillisecond);
  s.warmup = root.get_duration("warmup", 0);
  if (s.warmup >= s.duration) root.child("warmup").fail("expected a warmup shorter than the duration");

  read_cluster_section(root, registries, s);
  read_workload_section(root, registries, s);
  read_policy_section(root, registries, s);
  read_slo_section(root, s);
  read_power_section(root, registries, s);
  read_network_section(root, s);

  root.check_unknown_keys();
  s.canonical_text = root.document().canonical_text;
  s.hash = fnv1a64(s.canonical_text);
  return s;
}

Scenario load_scenario(const std::string& file, const std::vector<std::string>& overrides,
                       const Registries& registries) {
  return read_scenario(ConfigNode::load_file(file, overrides), registries);
}

Scenario load_scenario_text(const std::string& text, const std::string& name,
                            const std::vector<std::string>& overrides, const Registries& registries) {
  return read_scenario(ConfigNode::load_string(text, name, overrides), registries);
}

}  // namespace infercost
