#pragma once
// A registry maps the scenario's `type:` strings to the factories of model configurations.
// Registries are ordinary values (no global state): builtin_registries() builds a fresh set.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "infercost/io/config.hpp"

namespace infercost {

/// Named factories of `Product` (a validated configuration that later builds runtime objects).
template <class Product>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Product>(const ConfigNode&)>;
  struct Entry {
    std::string description;
    Factory factory;
  };

  explicit Registry(std::string family = "model") : family_(std::move(family)) {}

  void add(const std::string& name, std::string description, Factory factory) {
    entries_[name] = Entry{std::move(description), std::move(factory)};
  }
  bool contains(const std::string& name) const { return entries_.count(name) > 0; }
  const std::map<std::string, Entry>& entries() const { return entries_; }
  const std::string& family() const { return family_; }

  /// Builds from a mapping with a `type:` key (or `default_type` when absent and non-empty).
  std::unique_ptr<Product> create(const ConfigNode& node, const std::string& default_type = "") const {
    node.require_map();
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries_) names.push_back(name);
    const std::string type = node.get_choice("type", names, default_type);
    return entries_.at(type).factory(node);
  }

 private:
  std::string family_;
  std::map<std::string, Entry> entries_;
};

}  // namespace infercost
