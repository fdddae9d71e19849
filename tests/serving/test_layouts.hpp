#pragma once
// Replica layouts from the shipped catalog, shared by the serving tests.
#include <filesystem>

#include "infercost/hardware/catalog.hpp"
#include "infercost/serving/iteration.hpp"

namespace infercost::test {

inline const Catalog& shipped_catalog() {
  static const Catalog catalog = load_catalog(std::filesystem::path(INFERCOST_SOURCE_DIR) / "scenarios" / "catalog");
  return catalog;
}

inline ReplicaLayout layout(const char* gpu, const char* model, std::uint32_t tp, std::uint32_t pp = 1) {
  ReplicaLayout l;
  l.gpu = shipped_catalog().gpus.at(gpu);
  l.model = shipped_catalog().models.at(model);
  l.tensor_parallel = tp;
  l.pipeline_parallel = pp;
  return l;
}

}  // namespace infercost::test
