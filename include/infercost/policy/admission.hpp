#pragma once
// The policy seam: an admission policy sees every submission before routing and may reject it with a
// retry-after hint; it hears of completions to reconcile its counters.
#include <memory>
#include <string>

#include "infercost/core/request.hpp"
#include "infercost/engine/time.hpp"

namespace infercost {

/// The verdict on one submission.
struct AdmissionDecision {
  bool admit = true;
  SimTime retry_after = 0;      ///< hint for clients: earliest time worth retrying, as a delay from now
  bool permanent = false;       ///< true when retrying cannot help before a long reset (usage cap)
  const char* reason = "";      ///< static text: "rate_limit", "usage_cap", ...
};

/// Decides on submissions; one instance per run.
class AdmissionPolicy {
 public:
  virtual ~AdmissionPolicy() = default;
  virtual AdmissionDecision decide(const Request& request, SimTime now) = 0;
  virtual void on_completed(const Request& /*request*/, SimTime /*now*/) {}
};

/// A validated `policy:` configuration.
class PolicyConfig {
 public:
  virtual ~PolicyConfig() = default;
  virtual std::unique_ptr<AdmissionPolicy> make_policy() const = 0;
  virtual std::string describe() const = 0;
};

}  // namespace infercost
