#include "infercost/mpi/mpi_session.hpp"

#include <mpi.h>

#include <cstdio>
#include <exception>

#include <fmt/format.h>

#include "infercost/io/errors.hpp"

namespace infercost {

void with_mpi(const std::function<void(int rank, int ranks)>& body) {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  try {
    body(rank, size);
  } catch (const std::exception& e) {
    const auto* error = dynamic_cast<const Error*>(&e);
    fmt::print(stderr, "infercost: rank {}: {}\n", rank, e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, error ? error->exit_code() : kExitFailure);
  }
  MPI_Finalize();
}

}  // namespace infercost
