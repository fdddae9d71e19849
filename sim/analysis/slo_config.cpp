// Reads the scenario's optional `slo:` section: latency targets whose attainment summary.csv reports.
#include "infercost/core/scenario.hpp"

namespace infercost {

void read_slo_section(const ConfigNode& root, Scenario& s) {
  auto slo = root.optional_child("slo");
  if (!slo) return;
  slo->require_map();
  s.slo.ttft = slo->get_duration("ttft", kTimeNever, 1);
  s.slo.tpot = slo->get_duration("tpot", kTimeNever, 1);
  s.slo.latency = slo->get_duration("latency", kTimeNever, 1);
}

}  // namespace infercost
