#pragma once
// Sweeps over MPI ranks (built only with -DINFERCOST_MPI=ON): rank 0 hands out point indices on request and
// writes sweep.csv and its journal; the other ranks run points and send back their rows as text. The file is
// byte for byte the threaded sweep's (docs/sweeps.md), for any number of ranks.
#include <cstddef>

#include "infercost/analysis/sweep.hpp"

namespace infercost {

/// What an MPI sweep did, as seen by one rank.
struct MpiSweepResult {
  bool root = false;           ///< whether this is rank 0 (the one that wrote sweep.csv)
  int ranks = 1;               ///< ranks in MPI_COMM_WORLD
  std::size_t points_run = 0;  ///< on rank 0: points run now (not resumed)
};

/// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun): the launcher's environment.
bool mpi_launched();

/// Initializes MPI, runs the sweep over the ranks (one rank: rank 0 runs it on options.jobs threads) and
/// finalizes MPI. An error on any rank aborts every rank (MPI_Abort) after printing it.
MpiSweepResult run_sweep_mpi(const SweepSpec& spec, const SweepRunOptions& options);

}  // namespace infercost
