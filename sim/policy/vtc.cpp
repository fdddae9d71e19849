// The Virtual Token Counter (vtc.hpp): Sheng et al., OSDI 2024, Algorithm 2 with per-client weights as in
// the authors' artifact (github.com/Ying1123/VTC-artifact, slora/server/router/vtc_req_queue.py).
#include "infercost/policy/vtc.hpp"

#include <algorithm>
#include <stdexcept>

namespace infercost {

VirtualTokenCounter::VirtualTokenCounter(std::uint32_t clients, VtcParams params, std::vector<double> client_weight)
    : params_(params),
      weight_(client_weight.empty() ? std::vector<double>(clients, 1.0) : std::move(client_weight)),
      counter_(clients, 0.0),
      waiting_(clients, 0),
      stamp_(clients, 0) {
  if (weight_.size() != clients) throw std::invalid_argument("VirtualTokenCounter: one weight per client");
  for (double w : weight_) {
    if (!(w > 0)) throw std::invalid_argument("VirtualTokenCounter: weights must be > 0");
  }
}

void VirtualTokenCounter::on_enqueue(std::uint32_t client) {
  if (waiting_[client]++ > 0) return;
  // The client becomes backlogged: lift its counter so that time spent idle earns no credit.
  if (params_.lift) {
    if (!backlogged_.empty()) {
      counter_[client] = std::max(counter_[client], std::get<0>(*backlogged_.begin()));
    } else if (last_left_) {
      counter_[client] = std::max(counter_[client], counter_[*last_left_]);
    }
  }
  stamp_[client] = next_stamp_++;
  backlogged_.emplace(counter_[client], stamp_[client], client);
}

std::optional<std::uint32_t> VirtualTokenCounter::select() const {
  if (backlogged_.empty()) return std::nullopt;
  return std::get<2>(*backlogged_.begin());
}

void VirtualTokenCounter::add(std::uint32_t client, double amount) {
  if (amount == 0.0) return;
  if (waiting_[client] > 0) {
    backlogged_.erase(Key{counter_[client], stamp_[client], client});
    counter_[client] += amount;
    backlogged_.emplace(counter_[client], stamp_[client], client);
  } else {
    counter_[client] += amount;
  }
}

void VirtualTokenCounter::leave(std::uint32_t client) {
  if (waiting_[client] == 0) throw std::logic_error("VirtualTokenCounter: no waiting request of this client");
  if (--waiting_[client] == 0) backlogged_.erase(Key{counter_[client], stamp_[client], client});
}

void VirtualTokenCounter::on_dispatch(std::uint32_t client, std::uint32_t input_tokens) {
  leave(client);
  last_left_ = client;
  add(client, params_.input_weight * input_tokens / weight_[client]);
}

void VirtualTokenCounter::on_decode(std::uint32_t client, std::uint32_t tokens) {
  add(client, params_.output_weight * tokens / weight_[client]);
}

void VirtualTokenCounter::on_prefill(std::uint32_t client, std::uint64_t tokens) {
  add(client, params_.input_weight * static_cast<double>(tokens) / weight_[client]);
}

void VirtualTokenCounter::on_withdraw(std::uint32_t client) { leave(client); }

}  // namespace infercost
