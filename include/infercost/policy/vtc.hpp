#pragma once
// The Virtual Token Counter (VTC) fair scheduler of Sheng et al., "Fairness in Serving Large Language
// Models", OSDI 2024 (docs/models-policy.md, "Fair share"). Each client has a counter of the weighted service
// it received: w_p per prompt token when a request is dispatched (prefill) and w_q per generated token (each
// decode step), divided by the client's weight. The waiting queue serves the backlogged client with the
// smallest counter. A client that becomes backlogged has its counter lifted to the smallest counter of the
// backlogged clients (or, when none is backlogged, to the counter of the client whose request left the queue
// last), so an idle spell earns no credit. For continuously backlogged clients f and g the paper proves
// |W_f(t1,t2) - W_g(t1,t2)| <= 2U with U = max(w_p * L_input, w_q * M) (Theorem 4.4; with weights, in
// counter units, i.e. service divided by weight).
// The serving model drives it: on_enqueue when a request joins the waiting queue, select() to pick the next
// client, on_dispatch when that client's head request enters the batch, on_decode after each decode step.
#include <cstdint>
#include <optional>
#include <set>
#include <tuple>
#include <vector>

namespace infercost {

/// VTC parameters: per-token weights and per-client weights.
struct VtcParams {
  double input_weight = 1.0;   ///< w_p: counter units per prompt token served
  double output_weight = 2.0;  ///< w_q: counter units per output token served
  bool lift = true;            ///< the counter-lift rule (off only to show what it prevents)
};

/// Virtual token counters of clients 0..n-1, and the set of backlogged clients ordered by counter.
class VirtualTokenCounter {
 public:
  /// `client_weight` has one weight (> 0) per client; empty means n clients of weight 1.
  VirtualTokenCounter(std::uint32_t clients, VtcParams params, std::vector<double> client_weight = {});

  /// A request of `client` joined the waiting queue (lifts the client's counter if it was not backlogged).
  void on_enqueue(std::uint32_t client);
  /// The backlogged client with the smallest counter (ties: the one backlogged longest); nullopt if none.
  std::optional<std::uint32_t> select() const;
  /// The head request of `client` left the waiting queue into the batch, with `input_tokens` to prefill.
  void on_dispatch(std::uint32_t client, std::uint32_t input_tokens);
  /// `tokens` output tokens of `client` were generated (one per running request per decode step).
  void on_decode(std::uint32_t client, std::uint32_t tokens);
  /// `tokens` prompt tokens of `client` entered the batch after its dispatch was counted (a serving model that
  /// charges prompts separately from on_dispatch, e.g. recomputed prompts after a preemption).
  void on_prefill(std::uint32_t client, std::uint64_t tokens);
  /// A waiting request of `client` left the queue without service (abandoned).
  void on_withdraw(std::uint32_t client);

  double counter(std::uint32_t client) const { return counter_[client]; }
  bool backlogged(std::uint32_t client) const { return waiting_[client] > 0; }
  std::uint32_t waiting(std::uint32_t client) const { return waiting_[client]; }
  double weight(std::uint32_t client) const { return weight_[client]; }
  const VtcParams& params() const { return params_; }

 private:
  using Key = std::tuple<double, std::uint64_t, std::uint32_t>;  // counter, backlog stamp, client
  void add(std::uint32_t client, double amount);
  void leave(std::uint32_t client);

  VtcParams params_;
  std::vector<double> weight_;
  std::vector<double> counter_;
  std::vector<std::uint32_t> waiting_;
  std::vector<std::uint64_t> stamp_;   ///< when the client last became backlogged (tie-break)
  std::set<Key> backlogged_;
  std::uint64_t next_stamp_ = 0;
  std::optional<std::uint32_t> last_left_;
};

}  // namespace infercost
