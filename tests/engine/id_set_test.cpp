#include "infercost/engine/id_set.hpp"

#include <catch2/catch.hpp>

#include <set>

#include "infercost/engine/random.hpp"

using namespace infercost;

TEST_CASE("IdSet agrees with std::set under random inserts, erases and lookups", "[engine]") {
  for (std::uint64_t seed : {1u, 2u}) {
    RandomStream rng = StreamFactory(seed).stream("id-set");
    IdSet set;
    std::set<std::uint64_t> reference;
    // Ids from a small range collide often; some are huge (the hash must not need small ids).
    for (int step = 0; step < 200000; ++step) {
      const std::uint64_t id = rng.uniform_int(4) == 0 ? rng.next_u64() >> 1 : rng.uniform_int(3000);
      switch (rng.uniform_int(3)) {
        case 0: REQUIRE(set.insert(id) == reference.insert(id).second); break;
        case 1: REQUIRE(set.erase(id) == (reference.erase(id) == 1)); break;
        default: REQUIRE(set.contains(id) == (reference.count(id) == 1)); break;
      }
      REQUIRE(set.size() == reference.size());
    }
    std::set<std::uint64_t> listed;
    set.for_each([&](std::uint64_t id) { listed.insert(id); });
    CHECK(listed == reference);
  }
}
