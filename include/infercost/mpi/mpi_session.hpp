#pragma once
// The life of an MPI program around one piece of work (built only with -DINFERCOST_MPI=ON).
#include <functional>

namespace infercost {

/// Initializes MPI, calls `body(rank, ranks)` and finalizes MPI. An exception on any rank is printed and aborts
/// every rank (MPI_Abort with the error's exit code).
void with_mpi(const std::function<void(int rank, int ranks)>& body);

}  // namespace infercost
