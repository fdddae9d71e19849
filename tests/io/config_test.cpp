#include <catch2/catch.hpp>

#include "infercost/io/config.hpp"

using namespace infercost;
using Catch::Matchers::Contains;

TEST_CASE("config errors name file, line, column and key path", "[io][config]") {
  const auto root = ConfigNode::load_string("a:\n  b: 7\n  c: xyz\n", "x.yaml");
  const auto a = root.child("a");
  CHECK(a.get_int("b") == 7);
  CHECK_THROWS_WITH(a.get_int("c"), Contains("x.yaml:3:6: a.c: expected an integer, got 'xyz'"));
  CHECK_THROWS_WITH(a.get_int("b", std::nullopt, 10), Contains("x.yaml:2:6: a.b: expected an integer >= 10, got 7"));
  CHECK_THROWS_WITH(a.get_int("missing"), Contains("x.yaml:2:3: a: missing required key 'missing'"));
}

TEST_CASE("unknown keys are reported with a did-you-mean", "[io][config]") {
  const auto root = ConfigNode::load_string("cluster:\n  replicsa: 3\n", "y.yaml");
  root.child("cluster").get_int("replicas", 1);
  CHECK_THROWS_WITH(root.check_unknown_keys(),
                    Contains("y.yaml:2:3: cluster.replicsa: unknown key 'replicsa'; did you mean 'replicas'?"));
}

TEST_CASE("config: --set overrides any key, creating maps, indexing lists, and is named in errors", "[io][config]") {
  const std::string text = "a:\n  b: 1\nlist:\n  - x: 1\n  - x: 2\n";
  const auto root = ConfigNode::load_string(text, "z.yaml", {"a.b=5", "list.1.x=9", "new.deep.key=3s"});
  CHECK(root.child("a").get_int("b") == 5);
  CHECK(root.child("list").elements()[1].get_int("x") == 9);
  CHECK(root.child("new").child("deep").get_duration("key") == 3 * kSecond);
  const auto bad = ConfigNode::load_string(text, "z.yaml", {"a.b=oops"});
  CHECK_THROWS_WITH(bad.child("a").get_int("b"), Contains("--set a.b=oops: a.b: expected an integer"));
  CHECK_THROWS_WITH(ConfigNode::load_string(text, "z.yaml", {"list.7.x=1"}), Contains("past the end"));
  CHECK_THROWS_WITH(ConfigNode::load_string(text, "z.yaml", {"novalue"}), Contains("expected key.path=value"));
}

TEST_CASE("YAML syntax errors carry their position", "[io][config]") {
  CHECK_THROWS_WITH(ConfigNode::load_string("a: [1, 2\n", "s.yaml"), Contains("s.yaml:"));
  CHECK_THROWS_WITH(ConfigNode::load_string("a: [1, 2\n", "s.yaml"), Contains("YAML syntax error"));
}

TEST_CASE("edit distance", "[io][config]") {
  CHECK(edit_distance("replicas", "replicsa") == 2);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("same", "same") == 0);
}
