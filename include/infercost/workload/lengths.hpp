#pragma once
// Distributions of token counts (prompt and output lengths).
#include <cstdint>
#include <memory>
#include <string>

#include "infercost/core/registry.hpp"
#include "infercost/engine/random.hpp"

namespace infercost {

/// A distribution of positive token counts.
class LengthDistribution {
 public:
  virtual ~LengthDistribution() = default;
  virtual std::uint32_t sample(RandomStream& rng) const = 0;
  /// The exact mean, in tokens (used by analytic checks and capacity estimates).
  virtual double mean() const = 0;
  virtual std::string describe() const = 0;
};

/// Registers the built-in length distributions (constant, uniform, lognormal).
void register_length_distributions(Registry<LengthDistribution>& registry);

/// Reads a length from a node that is either a bare integer (constant) or a mapping with `type:`.
std::unique_ptr<LengthDistribution> read_length(const ConfigNode& node, const Registry<LengthDistribution>& registry);

}  // namespace infercost
