// The engine's timers: a winner tree against a reference (std::set of (time, tag, leaf)) over random sets,
// clears and growth, with equal times frequent.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <tuple>

#include "infercost/engine/random.hpp"
#include "infercost/engine/timer_tree.hpp"

using namespace infercost;

TEST_CASE("a timer tree's top is the smallest (time, tag) of its set leaves", "[engine][timers]") {
  TimerTree tree;
  CHECK(tree.empty());
  CHECK(tree.size() == 0);
  CHECK(tree.top().time == kTimeNever);
  std::set<std::tuple<SimTime, std::uint64_t, std::uint32_t>> ref;
  std::map<std::uint32_t, std::pair<SimTime, std::uint64_t>> key_of;
  RandomStream rng(11);
  std::uint64_t tag = 0;
  for (int step = 0; step < 200000; ++step) {
    if (rng.uniform_int(8) == 0 && !ref.empty()) {
      // The top leaf fires: clear_top, the engine's path.
      const auto [time, t, top_leaf] = *ref.begin();
      ref.erase(ref.begin());
      key_of.erase(top_leaf);
      tree.clear_top(top_leaf);
    } else {
      // Leaves up to 3,000 (several growths); times on a coarse grid, so that ties on time are common and the
      // tag decides.
      const auto leaf = static_cast<std::uint32_t>(rng.uniform_int(step < 1000 ? 20 : 3000));
      if (const auto old = key_of.find(leaf); old != key_of.end()) {
        ref.erase({old->second.first, old->second.second, leaf});
        key_of.erase(old);
      }
      if (rng.uniform_int(4) == 0) {
        tree.clear(leaf);
      } else {
        const auto time = static_cast<SimTime>(rng.uniform_int(50));
        const std::uint64_t t = (rng.uniform_int(2) == 0) ? ++tag : 1000000000 - ++tag;  // tags not in time order
        tree.set(leaf, time, t);
        ref.insert({time, t, leaf});
        key_of[leaf] = {time, t};
      }
    }
    if (tree.size() != ref.size()) REQUIRE(tree.size() == ref.size());
    if (ref.empty()) {
      if (!tree.empty()) REQUIRE(tree.empty());
      continue;
    }
    const auto& [time, t, l] = *ref.begin();
    const TimerTree::Key top = tree.top();
    if (top.time != time || top.tag != t) {
      REQUIRE(top.time == time);
      REQUIRE(top.tag == t);
    }
    const TimerTree::Key at = tree.at(l);
    if (at.time != time || at.tag != t) REQUIRE(at.tag == t);
  }
  CHECK(tree.at(1u << 20).time == kTimeNever);  // beyond the tree: empty
  tree.clear(1u << 20);                        // beyond the tree: nothing
  CHECK(tree.size() == ref.size());
}
