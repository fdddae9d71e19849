#pragma once
// Federated runs over MPI ranks (built only with -DINFERCOST_MPI=ON): rank r runs the sites s with
// s mod ranks == r; at every window boundary the ranks exchange the messages that cross sites and the sites'
// snapshots (MPI_Allgatherv), and at the end rank 0 gathers every site's results and merges them exactly as a
// single-process run does (docs/models-federation.md).
#include <cstdint>
#include <optional>

#include "infercost/core/federation.hpp"

namespace infercost {

/// Initializes MPI, runs the federated scenario over the ranks and finalizes MPI; rank 0 gets the result. An
/// error on any rank aborts every rank (MPI_Abort) after printing it.
std::optional<FederatedResult> run_federated_mpi(const Scenario& scenario, std::uint64_t seed);

}  // namespace infercost
