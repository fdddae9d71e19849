#include "infercost/io/config.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace infercost {
namespace {

std::string describe(const YAML::Node& n) {
  if (!n || n.IsNull()) return "nothing";
  if (n.IsScalar()) return fmt::format("'{}'", n.Scalar());
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "an unknown node";
}

std::string format_range(double min, double max) {
  if (min > 0 && min <= 1e-9 && max >= 1e299) return " > 0";
  if (min > -1e299 && max < 1e299) return fmt::format(" in [{}, {}]", min, max);
  if (min > -1e299) return fmt::format(" >= {}", min);
  if (max < 1e299) return fmt::format(" <= {}", max);
  return "";
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : path) {
    if (c == '.') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

bool is_index(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void apply_override(ConfigDocument& doc, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(fmt::format("--set {}: expected key.path=value", assignment));
  }
  const std::string path = assignment.substr(0, eq);
  const std::string value_text = assignment.substr(eq + 1);
  const auto parts = split_path(path);
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::Exception&) {
    value = YAML::Node(value_text);
  }
  if (!doc.root || !doc.root.IsMap()) doc.root = YAML::Node(YAML::NodeType::Map);
  YAML::Node cur;
  cur.reset(doc.root);
  std::string shown;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string& key = parts[i];
    if (key.empty()) throw ConfigError(fmt::format("--set {}: empty key in path '{}'", assignment, path));
    const bool last = i + 1 == parts.size();
    shown += (i ? "." : "") + key;
    if (cur.IsSequence()) {
      if (!is_index(key)) {
        throw ConfigError(fmt::format("--set {}: '{}' is a list; expected an index, got '{}'", assignment,
                                      shown.substr(0, shown.size() - key.size() - 1), key));
      }
      const std::size_t idx = std::stoul(key);
      if (idx >= cur.size()) {
        throw ConfigError(fmt::format("--set {}: index {} is past the end of a list of {}", assignment, idx,
                                      cur.size()));
      }
      if (last) {
        cur[idx] = value;
      } else {
        YAML::Node next = cur[idx];
        cur.reset(next);
      }
      continue;
    }
    if (!cur.IsMap()) {
      throw ConfigError(fmt::format("--set {}: '{}' is not a mapping", assignment, shown));
    }
    if (last) {
      cur[key] = value;
    } else {
      if (!cur[key] || cur[key].IsNull() || cur[key].IsScalar()) cur[key] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = cur[key];
      cur.reset(next);
    }
  }
  // Store in the same form as reader paths ("a.b[0].c").
  std::string reader_path;
  YAML::Node walk;
  walk.reset(doc.root);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (walk.IsSequence()) {
      reader_path += "[" + parts[i] + "]";
      YAML::Node next = walk[std::stoul(parts[i])];
      walk.reset(next);
    } else {
      reader_path += (reader_path.empty() ? "" : ".") + parts[i];
      YAML::Node next = walk[parts[i]];
      walk.reset(next);
    }
  }
  doc.overrides[reader_path] = value_text;
}

std::shared_ptr<ConfigDocument> parse_document(const std::string& text, const std::string& name,
                                               const std::vector<std::string>& overrides) {
  auto doc = std::make_shared<ConfigDocument>();
  doc->file = name;
  try {
    doc->root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(fmt::format("{}:{}:{}: YAML syntax error: {}", name, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (!doc->root || doc->root.IsNull()) {
    throw ConfigError(fmt::format("{}:1:1: the scenario is empty; expected a mapping of scenario keys", name));
  }
  if (!doc->root.IsMap()) {
    throw ConfigError(fmt::format("{}:{}:{}: expected a mapping of scenario keys at the top level, got {}", name,
                                  doc->root.Mark().line + 1, doc->root.Mark().column + 1, describe(doc->root)));
  }
  for (const auto& o : overrides) apply_override(*doc, o);
  YAML::Emitter emitter;
  emitter << doc->root;
  doc->canonical_text = emitter.c_str();
  return doc;
}

}  // namespace

std::string resolve_scenario_path(const ConfigNode& node, const std::string& path) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) return p.string();
  return (std::filesystem::path(node.document().file).parent_path() / p).lexically_normal().string();
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

ConfigNode::ConfigNode(std::shared_ptr<ConfigDocument> doc, YAML::Node node, std::string path)
    : doc_(std::move(doc)), node_(std::move(node)), path_(std::move(path)) {}

ConfigNode ConfigNode::load_file(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot open the scenario file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path, overrides);
}

ConfigNode ConfigNode::load_string(const std::string& text, const std::string& name,
                                   const std::vector<std::string>& overrides) {
  auto doc = parse_document(text, name, overrides);
  YAML::Node root = doc->root;
  return ConfigNode(doc, root, "");
}

std::string ConfigNode::location() const {
  for (const auto& [p, v] : doc_->overrides) {
    if (path_ == p || (path_.size() > p.size() && path_.compare(0, p.size(), p) == 0 &&
                       (path_[p.size()] == '.' || path_[p.size()] == '['))) {
      return fmt::format("--set {}={}", p, v);
    }
  }
  if (node_) {
    const YAML::Mark m = node_.Mark();
    if (m.line >= 0) return fmt::format("{}:{}:{}", doc_->file, m.line + 1, m.column + 1);
  }
  return doc_->file;
}

void ConfigNode::fail(const std::string& message) const {
  throw ConfigError(fmt::format("{}: {}: {}", location(), path_.empty() ? "(top level)" : path_, message));
}

std::string ConfigNode::child_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void ConfigNode::mark_known(const std::string& key) const { doc_->known_paths.insert(child_path(key)); }

void ConfigNode::require_map() const {
  if (!node_.IsMap()) fail(fmt::format("expected a mapping, got {}", describe(node_)));
}

bool ConfigNode::has(const std::string& key) const {
  mark_known(key);
  if (!node_.IsMap()) return false;
  const YAML::Node& n = node_;
  const YAML::Node c = n[key];
  return c && !c.IsNull();
}

ConfigNode ConfigNode::missing_or_child(const std::string& key, bool required) const {
  require_map();
  mark_known(key);
  const YAML::Node& n = node_;
  const YAML::Node c = n[key];
  if (!c || c.IsNull()) {
    if (required) fail(fmt::format("missing required key '{}'", key));
    return ConfigNode(doc_, YAML::Node(), child_path(key));
  }
  return ConfigNode(doc_, c, child_path(key));
}

ConfigNode ConfigNode::child(const std::string& key) const { return missing_or_child(key, true); }

std::optional<ConfigNode> ConfigNode::optional_child(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return missing_or_child(key, false);
}

std::vector<ConfigNode> ConfigNode::elements() const {
  if (!node_.IsSequence()) fail(fmt::format("expected a list, got {}", describe(node_)));
  std::vector<ConfigNode> out;
  for (std::size_t i = 0; i < node_.size(); ++i) {
    const YAML::Node& n = node_;
    out.emplace_back(doc_, n[i], fmt::format("{}[{}]", path_, i));
  }
  return out;
}

std::vector<std::string> ConfigNode::keys() const {
  require_map();
  std::vector<std::string> out;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    out.push_back(it->first.Scalar());
    mark_known(out.back());
  }
  return out;
}

std::string ConfigNode::as_string() const {
  if (!node_.IsScalar()) fail(fmt::format("expected a string, got {}", describe(node_)));
  return node_.Scalar();
}

double ConfigNode::as_double() const {
  if (!node_.IsScalar()) fail(fmt::format("expected a number, got {}", describe(node_)));
  auto v = parse_quantity(node_.Scalar(), UnitKind::kDimensionless);
  if (!v) fail(fmt::format("expected a number, got {}", describe(node_)));
  return *v;
}

std::int64_t ConfigNode::as_int() const {
  if (!node_.IsScalar()) fail(fmt::format("expected an integer, got {}", describe(node_)));
  const std::string& s = node_.Scalar();
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc() && ptr == s.data() + s.size()) return value;
  auto d = parse_quantity(s, UnitKind::kDimensionless);
  if (d && std::floor(*d) == *d && std::fabs(*d) < 9e18) return static_cast<std::int64_t>(*d);
  fail(fmt::format("expected an integer, got {}", describe(node_)));
}

bool ConfigNode::as_bool() const {
  if (node_.IsScalar()) {
    std::string s = node_.Scalar();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    if (s == "true" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "no" || s == "off") return false;
  }
  fail(fmt::format("expected true or false, got {}", describe(node_)));
}

double ConfigNode::as_quantity(UnitKind kind) const {
  if (!node_.IsScalar()) fail(fmt::format("expected {}, got {}", unit_kind_help(kind), describe(node_)));
  auto v = parse_quantity(node_.Scalar(), kind);
  if (!v) fail(fmt::format("expected {}, got {}", unit_kind_help(kind), describe(node_)));
  return *v;
}

SimTime ConfigNode::as_duration() const {
  const double s = as_quantity(UnitKind::kDuration);
  if (s < 0) fail(fmt::format("expected a non-negative duration, got {}", describe(node_)));
  return from_seconds(s);
}

std::string ConfigNode::get_string(const std::string& key) const { return child(key).as_string(); }

std::string ConfigNode::get_string(const std::string& key, const std::string& fallback) const {
  auto c = optional_child(key);
  return c ? c->as_string() : fallback;
}

std::string ConfigNode::get_choice(const std::string& key, const std::vector<std::string>& choices,
                                   const std::string& fallback) const {
  auto c = optional_child(key);
  if (!c) {
    if (fallback.empty()) child(key);  // fails: required
    return fallback;
  }
  const std::string v = c->as_string();
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
  std::string list;
  for (const auto& ch : choices) list += (list.empty() ? "" : ", ") + ch;
  std::string hint;
  std::size_t best = 3;
  for (const auto& ch : choices) {
    const std::size_t d = edit_distance(v, ch);
    if (d < best) {
      best = d;
      hint = fmt::format(" (did you mean '{}'?)", ch);
    }
  }
  c->fail(fmt::format("expected one of {}, got '{}'{}", list, v, hint));
}

double ConfigNode::get_double(const std::string& key, std::optional<double> fallback, double min, double max) const {
  auto c = optional_child(key);
  if (!c) {
    if (!fallback) child(key);
    return *fallback;
  }
  const double v = c->as_double();
  if (v < min || v > max) c->fail(fmt::format("expected a number{}, got {}", format_range(min, max), v));
  return v;
}

std::int64_t ConfigNode::get_int(const std::string& key, std::optional<std::int64_t> fallback, std::int64_t min,
                                 std::int64_t max) const {
  auto c = optional_child(key);
  if (!c) {
    if (!fallback) child(key);
    return *fallback;
  }
  const std::int64_t v = c->as_int();
  if (v < min || v > max) {
    std::string range;
    if (min != INT64_MIN && max != INT64_MAX) range = fmt::format(" in [{}, {}]", min, max);
    else if (min != INT64_MIN) range = fmt::format(" >= {}", min);
    else if (max != INT64_MAX) range = fmt::format(" <= {}", max);
    c->fail(fmt::format("expected an integer{}, got {}", range, v));
  }
  return v;
}

bool ConfigNode::get_bool(const std::string& key, std::optional<bool> fallback) const {
  auto c = optional_child(key);
  if (!c) {
    if (!fallback) child(key);
    return *fallback;
  }
  return c->as_bool();
}

double ConfigNode::get_quantity(const std::string& key, UnitKind kind, std::optional<double> fallback, double min,
                                double max) const {
  auto c = optional_child(key);
  if (!c) {
    if (!fallback) child(key);
    return *fallback;
  }
  const double v = c->as_quantity(kind);
  if (v < min || v > max) {
    c->fail(fmt::format("expected a value{} ({}), got {:g}", format_range(min, max), unit_kind_help(kind), v));
  }
  return v;
}

SimTime ConfigNode::get_duration(const std::string& key, std::optional<SimTime> fallback, SimTime min,
                                 SimTime max) const {
  auto c = optional_child(key);
  if (!c) {
    if (!fallback) child(key);
    return *fallback;
  }
  const SimTime v = c->as_duration();
  if (v < min || v > max) {
    std::string range = max == kTimeNever ? fmt::format(" of at least {}", format_duration(min))
                                          : fmt::format(" between {} and {}", format_duration(min), format_duration(max));
    c->fail(fmt::format("expected a duration{}, got {}", range, format_duration(v)));
  }
  return v;
}

namespace {

void walk_unknown(const ConfigDocument& doc, const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      const std::string p = path.empty() ? key : path + "." + key;
      if (!doc.known_paths.count(p)) {
        // Suggest the closest key that a reader asked for at the same level.
        std::string best;
        std::size_t best_d = std::max<std::size_t>(2, key.size() / 3) + 1;
        std::vector<std::string> siblings;
        const std::string prefix = path.empty() ? "" : path + ".";
        for (const auto& k : doc.known_paths) {
          if (k.size() <= prefix.size() || k.compare(0, prefix.size(), prefix) != 0) continue;
          const std::string rest = k.substr(prefix.size());
          if (rest.find_first_of(".[") != std::string::npos) continue;
          siblings.push_back(rest);
          const std::size_t d = edit_distance(key, rest);
          if (d < best_d) {
            best_d = d;
            best = rest;
          }
        }
        std::string msg = fmt::format("{}:{}:{}: {}: unknown key '{}'", doc.file, it->first.Mark().line + 1,
                                      it->first.Mark().column + 1, p, key);
        if (!best.empty()) {
          msg += fmt::format("; did you mean '{}'?", best);
        } else if (!siblings.empty()) {
          std::string list;
          for (const auto& s : siblings) list += (list.empty() ? "" : ", ") + s;
          msg += fmt::format("; expected one of: {}", list);
        }
        for (const auto& [op, ov] : doc.overrides) {
          if (op == p) msg = fmt::format("--set {}={}: {}: unknown key '{}'", op, ov, p, key) +
                             (best.empty() ? "" : fmt::format("; did you mean '{}'?", best));
        }
        throw ConfigError(msg);
      }
      walk_unknown(doc, it->second, p);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) walk_unknown(doc, node[i], fmt::format("{}[{}]", path, i));
  }
}

}  // namespace

void ConfigNode::check_unknown_keys() const { walk_unknown(*doc_, doc_->root, ""); }

}  // namespace infercost
