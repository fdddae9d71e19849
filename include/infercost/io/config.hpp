#pragma once
// A validated view of a YAML scenario. Every read records the key as known; after loading, keys never
// read are reported as unknown with a did-you-mean. Every error names file:line:column, the key path
// and what was expected, and throws ConfigError (exit code 2).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "infercost/engine/time.hpp"
#include "infercost/io/errors.hpp"
#include "infercost/io/units.hpp"

namespace infercost {

/// The parsed YAML of one scenario plus what the loader learned while reading it.
struct ConfigDocument {
  std::string file;                           ///< path shown in messages
  YAML::Node root;
  std::map<std::string, std::string> overrides;  ///< key path -> text given with --set
  std::set<std::string> known_paths;          ///< every key path a reader asked for
  std::string canonical_text;                 ///< YAML of the effective document (after --set)
};

/// A node of the scenario at a key path.
class ConfigNode {
 public:
  ConfigNode(std::shared_ptr<ConfigDocument> doc, YAML::Node node, std::string path);

  /// Loads a file (and applies "key.path=value" overrides); throws ConfigError on YAML syntax errors.
  static ConfigNode load_file(const std::string& path, const std::vector<std::string>& overrides = {});
  /// Loads YAML text as if from a file named `name`.
  static ConfigNode load_string(const std::string& text, const std::string& name,
                                const std::vector<std::string>& overrides = {});

  const std::string& path() const { return path_; }
  const ConfigDocument& document() const { return *doc_; }
  const YAML::Node& yaml() const { return node_; }
  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  bool is_scalar() const { return node_.IsScalar(); }
  bool is_null() const { return !node_ || node_.IsNull(); }

  /// "file:line:column" of this node (or "--set key=value" when it came from the command line).
  std::string location() const;
  /// Throws ConfigError "location: path: message".
  [[noreturn]] void fail(const std::string& message) const;

  /// True if the mapping has the key (and records the key as known).
  bool has(const std::string& key) const;
  /// The child at key; fails if missing. Marks the key known.
  ConfigNode child(const std::string& key) const;
  /// The child at key, or nullopt; marks the key known.
  std::optional<ConfigNode> optional_child(const std::string& key) const;
  /// Elements of a sequence (fails if not a sequence).
  std::vector<ConfigNode> elements() const;
  /// Keys of a mapping in file order (all recorded as known).
  std::vector<std::string> keys() const;
  /// Requires this node to be a mapping.
  void require_map() const;

  // Scalars of this node.
  std::string as_string() const;
  double as_double() const;
  std::int64_t as_int() const;
  bool as_bool() const;
  double as_quantity(UnitKind kind) const;
  SimTime as_duration() const;

  // Keyed reads: the required form fails when absent; the defaulted form returns `fallback`.
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  /// A string restricted to `choices`.
  std::string get_choice(const std::string& key, const std::vector<std::string>& choices,
                         const std::string& fallback) const;
  double get_double(const std::string& key, std::optional<double> fallback = std::nullopt,
                    double min = -1e300, double max = 1e300) const;
  std::int64_t get_int(const std::string& key, std::optional<std::int64_t> fallback = std::nullopt,
                       std::int64_t min = INT64_MIN, std::int64_t max = INT64_MAX) const;
  bool get_bool(const std::string& key, std::optional<bool> fallback = std::nullopt) const;
  double get_quantity(const std::string& key, UnitKind kind, std::optional<double> fallback = std::nullopt,
                      double min = -1e300, double max = 1e300) const;
  SimTime get_duration(const std::string& key, std::optional<SimTime> fallback = std::nullopt,
                       SimTime min = 0, SimTime max = kTimeNever) const;

  /// Reports the first key present in the document that no reader asked for, with a did-you-mean.
  void check_unknown_keys() const;

 private:
  std::string child_path(const std::string& key) const;
  void mark_known(const std::string& key) const;
  ConfigNode missing_or_child(const std::string& key, bool required) const;

  std::shared_ptr<ConfigDocument> doc_;
  YAML::Node node_;
  std::string path_;
};

/// A data-file path as written in a scenario: absolute, or relative to the scenario file's folder.
std::string resolve_scenario_path(const ConfigNode& node, const std::string& path);

/// Levenshtein distance, for did-you-mean suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace infercost
