#pragma once
// Helpers for the workload tests: loading scenario text that may name shipped traces, a small harness that
// drives a scenario's traffic sources with a constant-latency server and a scripted admission policy while
// recording everything, and goodness-of-fit statistics (Kolmogorov-Smirnov, chi-squared).
#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <stdexcept>
#include <vector>

#include "infercost/core/scenario.hpp"
#include "infercost/engine/engine.hpp"
#include "infercost/workload/traffic.hpp"

namespace infercost::workload_test {

inline std::string repo_path(const std::string& relative) { return std::string(INFERCOST_SOURCE_DIR) + "/" + relative; }

/// Loads YAML text as if it were the file scenarios/<name>.yaml (so trace paths resolve like a shipped scenario's).
inline Scenario load_text(const std::string& yaml, const std::vector<std::string>& sets = {},
                          const std::string& name = "workload-test") {
  const Registries registries = builtin_registries();
  return load_scenario_text(yaml, repo_path("scenarios/" + name + ".yaml"), sets, registries);
}

/// A scripted admission policy: decides from the request and the time.
using PolicyFn = std::function<AdmissionDecision(const Request&, SimTime)>;

/// Drives every class's traffic source of a scenario: admitted requests complete after `latency(request)`
/// (unlimited servers), refusals come from `policy`. Records creations, submissions, refusals and outcomes.
class Harness final : public RequestSink, public EventHandler {
 public:
  struct Created {
    std::uint64_t id;
    std::uint32_t user;
    SimTime at;
    std::uint32_t input_tokens, output_tokens, source_tag;
  };
  struct Submission {
    std::uint64_t id;
    std::uint32_t user;
    SimTime at;
    std::uint32_t attempt;
    bool admitted;
    AdmissionDecision decision;
  };
  struct Ended {
    std::uint64_t id;
    std::uint32_t user;
    SimTime at;
    RequestOutcome outcome;
  };
  struct UserTally {
    std::uint64_t created = 0, completed = 0, rejected = 0, abandoned = 0;
    std::uint32_t outstanding = 0, max_outstanding = 0;
    bool left = false;
  };

  Harness(const Scenario& scenario, std::uint64_t seed, SimTime end)
      : streams_(seed), end_(end) {
    std::uint32_t first = 0;
    for (std::uint32_t ci = 0; ci < scenario.classes.size(); ++ci) {
      const auto& c = scenario.classes[ci];
      UserClassInfo info{c.name, ci, first, c.users, c.plan, c.input_tokens.get(), c.output_tokens.get(), c.client};
      sources_.push_back(c.arrival->make_source(info, TrafficContext{engine, *this, streams_, end}));
      class_of_.insert(class_of_.end(), c.users, ci);
      first += c.users;
    }
    users.resize(first);
  }

  void start() {
    for (auto& s : sources_) s->start();
  }
  void run() {
    start();
    engine.run_until(end_);
  }

  Request& create_request(std::uint32_t user, std::uint32_t user_class, std::uint32_t in, std::uint32_t out) override {
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(pool_.size());
      pool_.emplace_back();
    }
    Request& r = pool_[slot];
    r = Request{};
    r.id = next_id_++;
    r.pool_index = slot;
    r.user = user;
    r.user_class = class_of_[user];
    if (user_class != r.user_class) throw std::logic_error("a source passed the wrong class for its user");
    r.input_tokens = in;
    r.output_tokens = out;
    r.created_at = engine.now();
    UserTally& t = users[user];
    ++t.created;
    t.max_outstanding = std::max(t.max_outstanding, ++t.outstanding);
    created.push_back(Created{r.id, user, r.created_at, in, out, 0});
    pending_tag_.push_back(&r);
    return r;
  }

  void submit(Request& r) override {
    record_tags();
    const SimTime now = engine.now();
    r.submitted_at = now;
    ++r.attempts;
    const AdmissionDecision d = policy ? policy(r, now) : AdmissionDecision{};
    submissions.push_back(Submission{r.id, r.user, now, r.attempts, d.admit, d});
    if (!d.admit) {
      sources_[r.user_class]->on_rejected(r, d);
      return;
    }
    engine.schedule_in(latency ? latency(r) : kSecond, *this, 0, r.pool_index);
  }

  void finish(Request& r, RequestOutcome outcome) override {
    record_tags();
    r.outcome = outcome;
    UserTally& t = users[r.user];
    --t.outstanding;
    if (outcome == RequestOutcome::kRejected) ++t.rejected;
    if (outcome == RequestOutcome::kAbandoned) ++t.abandoned;
    ended.push_back(Ended{r.id, r.user, engine.now(), outcome});
    free_.push_back(r.pool_index);
  }

  Request& request_at(std::uint32_t i) override { return pool_[i]; }
  void user_left(std::uint32_t user) override {
    users[user].left = true;
    left_at.emplace_back(user, engine.now());
  }

  void on_event(Engine&, std::uint32_t, std::uint64_t data) override {
    Request& r = pool_[data];
    r.outcome = RequestOutcome::kCompleted;
    r.completed_at = engine.now();
    UserTally& t = users[r.user];
    --t.outstanding;
    ++t.completed;
    ended.push_back(Ended{r.id, r.user, engine.now(), RequestOutcome::kCompleted});
    sources_[r.user_class]->on_completed(r);
    free_.push_back(r.pool_index);
  }

  /// Requests in the pool not yet ended.
  std::uint64_t in_flight() const {
    std::uint64_t n = 0;
    for (const auto& t : users) n += t.outstanding;
    return n;
  }

  Engine engine;
  PolicyFn policy;
  std::function<SimTime(const Request&)> latency;
  std::vector<Created> created;
  std::vector<Submission> submissions;
  std::vector<Ended> ended;
  std::vector<UserTally> users;
  std::vector<std::pair<std::uint32_t, SimTime>> left_at;

 private:
  // Sources set source_tag after create_request returns; pick it up at the next call.
  void record_tags() {
    for (Request* r : pending_tag_) created[r->id].source_tag = r->source_tag;
    pending_tag_.clear();
  }

  StreamFactory streams_;
  SimTime end_;
  std::vector<std::unique_ptr<TrafficSource>> sources_;
  std::vector<std::uint32_t> class_of_;
  std::deque<Request> pool_;
  std::vector<std::uint32_t> free_;
  std::vector<Request*> pending_tag_;
  std::uint64_t next_id_ = 0;
};

/// Kolmogorov-Smirnov statistic D = sup |F_n(x) - F(x)| of a sample against a continuous CDF.
inline double ks_statistic(std::vector<double> sample, const std::function<double(double)>& cdf) {
  std::sort(sample.begin(), sample.end());
  const double n = static_cast<double>(sample.size());
  double d = 0.0;
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const double f = cdf(sample[i]);
    d = std::max({d, static_cast<double>(i + 1) / n - f, f - static_cast<double>(i) / n});
  }
  return d;
}

/// The KS critical value at significance 0.001 for n draws (asymptotic: 1.9495 / sqrt(n)).
inline double ks_critical_001(std::size_t n) { return 1.9495 / std::sqrt(static_cast<double>(n)); }

/// Pearson's chi-squared statistic of observed counts against expected counts.
inline double chi_squared(const std::vector<double>& observed, const std::vector<double>& expected) {
  double x = 0.0;
  for (std::size_t i = 0; i < observed.size(); ++i) {
    const double d = observed[i] - expected[i];
    x += d * d / expected[i];
  }
  return x;
}

/// The 0.999 quantile of chi-squared with k degrees of freedom (Wilson-Hilferty 1931; within 1% for k >= 3).
inline double chi_squared_critical_001(std::size_t k) {
  const double kk = static_cast<double>(k);
  const double z = 3.090232306167813;  // standard normal 0.999 quantile
  const double a = 2.0 / (9.0 * kk);
  return kk * std::pow(1.0 - a + z * std::sqrt(a), 3.0);
}

/// Standard normal CDF.
inline double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace infercost::workload_test
