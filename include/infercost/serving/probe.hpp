#pragma once
// Drives one replica outside a scenario with a fixed batch of identical requests (all arriving at time 0), to
// measure what it does at a given batch size: validation against published measurements and calibration.
#include <cstdint>

#include "infercost/serving/replica.hpp"

namespace infercost {

/// What a fixed batch measured on one replica.
struct DecodeProbe {
  std::uint32_t batch = 0;              ///< requests submitted together
  double ttft_s = 0.0;                  ///< latest first-token time (the prefill of the whole batch), s
  double completion_s = 0.0;            ///< latest completion time, s
  double decode_tokens_per_s = 0.0;     ///< tokens generated after the first ones / decode phase duration
  double mean_iteration_s = 0.0;        ///< decode phase duration / decode iterations, s
  double mean_busy_fraction = 0.0;      ///< time-average busy_fraction over the decode phase
  double max_kv_occupancy = 0.0;        ///< largest kv_occupancy reported
  std::uint64_t events = 0;             ///< engine events the run took
  std::uint64_t preemptions = 0;        ///< preemptions over all requests
};

/// Submits `batch` requests of `input_tokens` prompt and `output_tokens` output tokens at time 0 to a fresh replica
/// of `serving`, runs it until all complete, and measures the decode phase (from the last first token to the last
/// completion: output_tokens - 1 iterations when the batch prefills together).
DecodeProbe probe_decode(const ServingModelConfig& serving, std::uint32_t batch, std::uint32_t input_tokens,
                         std::uint32_t output_tokens);

}  // namespace infercost
