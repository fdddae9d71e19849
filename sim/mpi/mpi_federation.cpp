// Federated runs over MPI ranks (mpi_federation.hpp): an MPI SiteExchange under the same windows loop as the
// single-process run, so the per-site event sequences, and the merged outputs, are the same bytes.
#include "infercost/mpi/mpi_federation.hpp"

#include <mpi.h>

#include <string>
#include <vector>

#include "infercost/mpi/mpi_session.hpp"

namespace infercost {
namespace {

/// Gathers every rank's bytes on every rank (all = true) or on rank 0 only.
std::vector<std::string> gather_bytes(const std::string& mine, int ranks, bool all) {
  const int size = static_cast<int>(mine.size());
  std::vector<int> sizes(static_cast<std::size_t>(ranks), 0);
  if (all) {
    MPI_Allgather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, MPI_COMM_WORLD);
  } else {
    MPI_Gather(&size, 1, MPI_INT, sizes.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  }
  std::vector<int> offsets(static_cast<std::size_t>(ranks), 0);
  int total = 0;
  for (int r = 0; r < ranks; ++r) {
    offsets[static_cast<std::size_t>(r)] = total;
    total += sizes[static_cast<std::size_t>(r)];
  }
  std::string buffer(static_cast<std::size_t>(total), '\0');
  if (all) {
    MPI_Allgatherv(mine.data(), size, MPI_CHAR, buffer.data(), sizes.data(), offsets.data(), MPI_CHAR,
                   MPI_COMM_WORLD);
  } else {
    MPI_Gatherv(mine.data(), size, MPI_CHAR, buffer.data(), sizes.data(), offsets.data(), MPI_CHAR, 0,
                MPI_COMM_WORLD);
  }
  std::vector<std::string> out;
  for (int r = 0; r < ranks; ++r) {
    out.push_back(buffer.substr(static_cast<std::size_t>(offsets[static_cast<std::size_t>(r)]),
                                static_cast<std::size_t>(sizes[static_cast<std::size_t>(r)])));
  }
  return out;
}

/// One Allgatherv per window: each rank contributes its sites' snapshots and outgoing messages (a few KB) and
/// keeps the messages addressed to its own sites.
class MpiExchange final : public SiteExchange {
 public:
  MpiExchange(int rank, int ranks, std::uint32_t sites) : rank_(rank), ranks_(ranks), sites_(sites) {}
  std::uint32_t rank() const override { return static_cast<std::uint32_t>(rank_); }
  std::uint32_t ranks() const override { return static_cast<std::uint32_t>(ranks_); }

  void exchange(const std::vector<FederatedMessage>& outgoing, const std::vector<SiteSnapshot>& mine,
                std::vector<FederatedMessage>& incoming, std::vector<SiteSnapshot>& all) override {
    buffer_.clear();
    ByteWriter w(buffer_);
    w.put_vector(mine);
    w.put_vector(outgoing);
    const std::vector<std::string> parts = gather_bytes(buffer_, ranks_, true);
    incoming.clear();
    all.assign(sites_, SiteSnapshot{});
    for (const std::string& part : parts) {
      ByteReader r(part);
      for (const SiteSnapshot& s : r.get_vector<SiteSnapshot>()) all.at(s.site) = s;
      for (const FederatedMessage& m : r.get_vector<FederatedMessage>()) {
        if (m.dest_site % static_cast<std::uint32_t>(ranks_) == static_cast<std::uint32_t>(rank_)) {
          incoming.push_back(m);
        }
      }
    }
  }

  std::vector<std::string> gather(const std::string& mine) override {
    std::vector<std::string> parts = gather_bytes(mine, ranks_, false);
    if (rank_ != 0) parts.clear();
    return parts;
  }

 private:
  int rank_, ranks_;
  std::uint32_t sites_;
  std::string buffer_;
};

}  // namespace

std::optional<FederatedResult> run_federated_mpi(const Scenario& scenario, std::uint64_t seed) {
  std::optional<FederatedResult> result;
  with_mpi([&](int rank, int size) {
    MpiExchange exchange(rank, size, static_cast<std::uint32_t>(scenario.power->sites.size()));
    result = run_federated(scenario, seed, exchange);
  });
  return result;
}

}  // namespace infercost
