// The `unlimited` policy admits everything; it is the built-in policy set named `unlimited`.
#include "infercost/core/registries.hpp"
#include "infercost/policy/admission.hpp"

namespace infercost {
namespace {

class Unlimited final : public AdmissionPolicy {
 public:
  AdmissionDecision decide(const Request&, SimTime) override { return {}; }
};

class UnlimitedConfig final : public PolicyConfig {
 public:
  std::unique_ptr<AdmissionPolicy> make_policy(const AdmissionContext&) const override {
    return std::make_unique<Unlimited>();
  }
  std::string describe() const override { return "unlimited"; }
};

}  // namespace

void register_policies(Registry<PolicyConfig>& registry) {
  registry.add("unlimited", "admits every request", [](const ConfigNode&) -> std::unique_ptr<PolicyConfig> {
    return std::make_unique<UnlimitedConfig>();
  });
}

}  // namespace infercost
