#include "infercost/engine/fast_math.hpp"

#include <cmath>

namespace infercost::detail {
namespace {

FastMathTables make_tables() {
  FastMathTables t{};
  for (int j = 0; j < 128; ++j) {
    const double c = 1.0 + j / 128.0;
    t.ln_c[j] = std::log(c);
    t.inv_c[j] = 1.0 / c;
    t.exp2_j[j] = std::exp2(j / 128.0);
  }
  return t;
}

}  // namespace

const FastMathTables kFastMath = make_tables();

}  // namespace infercost::detail
