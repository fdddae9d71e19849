#include "infercost/engine/fast_math.hpp"

#include <cmath>

namespace infercost::detail {
namespace {

FastMathTables make_tables() {
  FastMathTables t{};
  for (int j = 0; j < 128; ++j) {
    t.exp2_j[j] = std::exp2(j / 128.0);
  }
  return t;
}

}  // namespace

const FastMathTables kFastMath = make_tables();

}  // namespace infercost::detail
