// Sweeps over MPI ranks (mpi_sweep.hpp). Rank 0 is the coordinator: it keeps the queue of points, answers each
// worker's request with the next index (dynamic load balancing: points differ in cost), journals the rows it
// receives and writes sweep.csv. Rows are rendered by run_sweep_point on the worker, so the bytes are those
// of the threaded sweep; rank 0 orders them by point index.
#include "infercost/mpi/mpi_sweep.hpp"

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "infercost/mpi/mpi_session.hpp"

namespace infercost {
namespace {

constexpr int kTagResult = 1;  ///< worker -> 0: empty (first request) or 8 bytes of point index + its rows
constexpr int kTagWork = 2;    ///< 0 -> worker: the next point index (uint64)
constexpr int kTagStop = 3;    ///< 0 -> worker: nothing left

void work(const SweepSpec& spec) {
  const Registries registries = builtin_registries();
  std::string message;
  for (;;) {
    MPI_Send(message.data(), static_cast<int>(message.size()), MPI_CHAR, 0, kTagResult, MPI_COMM_WORLD);
    std::uint64_t index = 0;
    MPI_Status status;
    MPI_Recv(&index, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
    if (status.MPI_TAG == kTagStop) return;
    const std::string rows = run_sweep_point(spec, registries, static_cast<std::size_t>(index));
    message.assign(reinterpret_cast<const char*>(&index), sizeof index);
    message += rows;
  }
}

std::size_t coordinate(const SweepSpec& spec, const SweepRunOptions& options, int ranks) {
  std::map<std::size_t, std::string> rows = options.resume ? read_completed_points(spec, options.dir)
                                                           : std::map<std::size_t, std::string>{};
  SweepJournal journal(spec, options.dir, rows);
  const std::vector<std::size_t> pending = pending_points(spec, rows);
  std::size_t next = 0;
  int working = ranks - 1;
  while (working > 0) {
    int ready = 0;
    MPI_Status status;
    // Polling with a short sleep, not a blocking receive: Open MPI spins in MPI_Recv, which would take a core
    // from the workers when ranks outnumber cores.
    MPI_Iprobe(MPI_ANY_SOURCE, kTagResult, MPI_COMM_WORLD, &ready, &status);
    if (!ready) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      continue;
    }
    int bytes = 0;
    MPI_Get_count(&status, MPI_CHAR, &bytes);
    std::string message(static_cast<std::size_t>(bytes), '\0');
    MPI_Recv(message.data(), bytes, MPI_CHAR, status.MPI_SOURCE, kTagResult, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (message.size() >= sizeof(std::uint64_t)) {
      std::uint64_t index = 0;
      std::memcpy(&index, message.data(), sizeof index);
      std::string text = message.substr(sizeof index);
      journal.append(text);
      rows[static_cast<std::size_t>(index)] = std::move(text);
      if (options.progress) options.progress(rows.size(), spec.points.size());
    }
    if (next < pending.size()) {
      const std::uint64_t index = pending[next++];
      MPI_Send(&index, 1, MPI_UINT64_T, status.MPI_SOURCE, kTagWork, MPI_COMM_WORLD);
    } else {
      const std::uint64_t none = 0;
      MPI_Send(&none, 1, MPI_UINT64_T, status.MPI_SOURCE, kTagStop, MPI_COMM_WORLD);
      --working;
    }
  }
  journal.finish(rows);
  return pending.size();
}

}  // namespace

bool mpi_launched() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "PMI_RANK"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

MpiSweepResult run_sweep_mpi(const SweepSpec& spec, const SweepRunOptions& options) {
  MpiSweepResult result;
  with_mpi([&](int rank, int size) {
    result = MpiSweepResult{rank == 0, size, 0};
    if (size == 1) {
      result.points_run = run_sweep(spec, options);  // rank 0 alone: its threads do the work
    } else if (rank == 0) {
      result.points_run = coordinate(spec, options, size);
    } else {
      work(spec);
    }
  });
  return result;
}

}  // namespace infercost
