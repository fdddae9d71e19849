// Trace replay: row i arrives at round(time_i / speedup) ns (exact when speedup is 1) with the row's token counts.
// Rows carry their user when the trace names users (label k in order of first appearance is the class's k-th
// user); otherwise each row's user is drawn, row by row, from the class's stream "trace/<class>": uniformly over
// the class's users, or Zipf-distributed over them (user 0 the heaviest). Only the next row has a pending event.
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "infercost/workload/arrivals.hpp"
#include "infercost/workload/trace.hpp"
#include "infercost/workload/user_source.hpp"

namespace infercost {
namespace {

/// How rows without a user get one.
struct Assignment {
  bool zipf = false;
  double zipf_exponent = 1.0;
};

class TraceSource final : public UserSource {
 public:
  TraceSource(std::shared_ptr<const Trace> trace, double speedup, const Assignment& assignment,
              const UserClassInfo& info, TrafficContext ctx)
      : UserSource(info, ctx),
        trace_(std::move(trace)),
        speedup_(speedup),
        rng_(ctx.streams.stream("trace/" + info.name)) {
    if (assignment.zipf) zipf_.emplace(info.users, assignment.zipf_exponent);
  }

  void start() override { schedule(0); }
  void on_completed(Request&) override {}

 protected:
  void on_source_event(std::uint32_t, std::uint64_t data) override {
    const TraceRow& row = trace_->rows[data];
    std::uint32_t u = row.user;
    if (!trace_->has_users()) {
      u = static_cast<std::uint32_t>(zipf_ ? zipf_->sample(rng_) - 1 : rng_.uniform_int(info_.users));
    }
    schedule(data + 1);
    if (has_left(u)) return;  // a user who left sends none of its later rows
    Request& r = create(u, row.input_tokens, row.output_tokens);
    ctx_.sink.submit(r);
  }

 private:
  void schedule(std::uint64_t i) {
    if (i >= trace_->rows.size()) return;
    const SimTime t0 = trace_->rows[i].time;
    SimTime t = t0;
    if (speedup_ != 1.0) {
      const double scaled = static_cast<double>(t0) / speedup_;
      if (!(scaled < static_cast<double>(ctx_.end_time))) return;  // also keeps llround in range
      t = std::llround(scaled);
    }
    if (t < ctx_.end_time) ctx_.engine.schedule_at(std::max(t, ctx_.engine.now()), *this, 0, i);
  }

  std::shared_ptr<const Trace> trace_;
  double speedup_;
  RandomStream rng_;
  std::optional<ZipfSampler> zipf_;
};

class TraceConfig final : public ArrivalConfig {
 public:
  TraceConfig(std::shared_ptr<const Trace> trace, std::string shown_path, double speedup, Assignment assignment)
      : trace_(std::move(trace)), shown_path_(std::move(shown_path)), speedup_(speedup), assignment_(assignment) {}
  std::unique_ptr<TrafficSource> make_source(const UserClassInfo& users, TrafficContext context) const override {
    return std::make_unique<TraceSource>(trace_, speedup_, assignment_, users, context);
  }
  bool provides_lengths() const override { return true; }
  std::uint32_t min_users() const override { return std::max<std::uint32_t>(1, trace_->distinct_users); }
  std::string describe() const override {
    std::string users;
    if (trace_->has_users()) {
      users = fmt::format("{} users from the trace", trace_->distinct_users);
    } else if (assignment_.zipf) {
      users = fmt::format("the trace has no users: each row's user is drawn Zipf(exponent {:g}) over the class's "
                          "users (user 0 the heaviest) from the seeded stream trace/<class name>",
                          assignment_.zipf_exponent);
    } else {
      users = "the trace has no users: each row's user is drawn uniformly over the class's users from the seeded "
              "stream trace/<class name>";
    }
    return fmt::format("trace {} ({}, {} rows, {} input / {} output tokens), speedup x{:g}; {}", shown_path_,
                       trace_->schema == Trace::Schema::kAzure2023 ? "Azure 2023 schema" : "generic schema",
                       trace_->rows.size(), trace_->input_tokens, trace_->output_tokens, speedup_, users);
  }

 private:
  std::shared_ptr<const Trace> trace_;
  std::string shown_path_;
  double speedup_;
  Assignment assignment_;
};

}  // namespace

void register_trace_arrivals(Registry<ArrivalConfig>& registry) {
  registry.add("trace",
               "replay a CSV trace (`file`, Azure 2023 or generic schema) at `speedup` times its rate; rows without "
               "users get a seeded `assignment` (uniform or zipf)",
               [](const ConfigNode& n) -> std::unique_ptr<ArrivalConfig> {
                 const ConfigNode file = n.child("file");
                 const std::string shown = file.as_string();
                 auto trace = read_trace(resolve_scenario_path(n, shown), file);
                 const double speedup = n.get_double("speedup", 1.0, 1e-6, 1e6);
                 Assignment a;
                 a.zipf = n.get_choice("assignment", {"uniform", "zipf"}, "uniform") == "zipf";
                 if (a.zipf) a.zipf_exponent = n.get_double("zipf_exponent", 1.0, 0.01, 10.0);
                 if (trace->has_users() && n.has("assignment")) {
                   n.child("assignment").fail("the trace names its users: there is nothing to assign");
                 }
                 if (!a.zipf && n.has("zipf_exponent")) n.child("zipf_exponent").fail("applies to assignment: zipf only");
                 return std::make_unique<TraceConfig>(std::move(trace), shown, speedup, a);
               });
}

}  // namespace infercost
