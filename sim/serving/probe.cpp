#include "infercost/serving/probe.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "infercost/engine/engine.hpp"

namespace infercost {
namespace {

/// Records milestones and integrates activity of one replica.
class ProbeRecorder final : public RequestListener, public ActivityObserver {
 public:
  void on_started(Request&, SimTime) override {}
  void on_first_token(Request& r, SimTime now) override {
    if (r.first_token_at == kTimeNever) r.first_token_at = now;
    last_first_token = std::max(last_first_token, now);
  }
  void on_completed(Request& r, SimTime now) override {
    r.completed_at = now;
    r.outcome = RequestOutcome::kCompleted;
    last_completion = std::max(last_completion, now);
    ++completed;
  }
  void on_activity(std::uint32_t, SimTime now, const ReplicaActivity& a) override {
    const double dt = to_seconds(now - last_change_);
    if (last_change_ >= last_first_token && last_first_token > 0) busy_s += current_.busy_fraction * dt;
    max_kv = std::max(max_kv, a.kv_occupancy);
    last_change_ = now;
    current_ = a;
  }

  SimTime last_first_token = 0;
  SimTime last_completion = 0;
  std::uint64_t completed = 0;
  double busy_s = 0.0;
  double max_kv = 0.0;

 private:
  SimTime last_change_ = 0;
  ReplicaActivity current_;
};

}  // namespace

DecodeProbe probe_decode(const ServingModelConfig& serving, std::uint32_t batch, std::uint32_t input_tokens,
                         std::uint32_t output_tokens) {
  if (batch == 0 || output_tokens < 2) throw std::invalid_argument("probe_decode: need batch >= 1 and output >= 2");
  Engine engine;
  ProbeRecorder recorder;
  auto replica = serving.make_replica(ReplicaContext{engine, recorder, recorder, RandomStream(1), 0});
  std::vector<Request> requests(batch);
  for (std::uint32_t i = 0; i < batch; ++i) {
    Request& r = requests[i];
    r.id = i;
    r.pool_index = i;
    r.input_tokens = input_tokens;
    r.output_tokens = output_tokens;
    r.created_at = 0;
    r.submitted_at = 0;
    replica->submit(r);
  }
  engine.run();
  if (recorder.completed != batch) throw std::runtime_error("probe_decode: not every request completed");
  DecodeProbe p;
  p.batch = batch;
  p.ttft_s = to_seconds(recorder.last_first_token);
  p.completion_s = to_seconds(recorder.last_completion);
  p.events = engine.events_processed();
  std::uint64_t generated_after_first = 0;
  for (const Request& r : requests) {
    p.preemptions += r.preemptions;
    generated_after_first += r.output_tokens - 1;
  }
  const double decode_s = to_seconds(recorder.last_completion - recorder.last_first_token);
  if (decode_s > 0) {
    p.decode_tokens_per_s = static_cast<double>(generated_after_first) / decode_s;
    p.mean_iteration_s = decode_s / (output_tokens - 1);
    p.mean_busy_fraction = recorder.busy_s / decode_s;
  }
  p.max_kv_occupancy = recorder.max_kv;
  return p;
}

}  // namespace infercost
