#pragma once
// A strict tag-balance check for the HTML and SVG the report writes: every element closed, in order.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace infercost::test {

/// Returns "" when every start tag has its end tag in nesting order (HTML void elements and "/>" excepted),
/// attribute values are quoted, and no stray '<' or '>' is in text; else what is wrong and where.
inline std::string markup_problem(const std::string& doc) {
  static const std::set<std::string> void_elements = {"meta", "br", "hr", "img", "input", "link", "col", "wbr"};
  std::vector<std::string> stack;
  std::size_t i = 0;
  while (i < doc.size()) {
    const char c = doc[i];
    if (c == '>') return "stray '>' at offset " + std::to_string(i);
    if (c != '<') {
      ++i;
      continue;
    }
    if (doc.compare(i, 4, "<!--") == 0) {
      const auto end = doc.find("-->", i);
      if (end == std::string::npos) return "unclosed comment";
      i = end + 3;
      continue;
    }
    if (doc.compare(i, 2, "<!") == 0) {
      i = doc.find('>', i) + 1;
      continue;
    }
    const bool closing = i + 1 < doc.size() && doc[i + 1] == '/';
    std::size_t j = i + (closing ? 2 : 1);
    std::string name;
    while (j < doc.size() && (std::isalnum(static_cast<unsigned char>(doc[j])) || doc[j] == '-')) name += doc[j++];
    if (name.empty()) return "stray '<' at offset " + std::to_string(i);
    // Skip attributes, honouring quotes.
    bool self_closing = false;
    while (j < doc.size() && doc[j] != '>') {
      if (doc[j] == '"' || doc[j] == '\'') {
        const auto end = doc.find(doc[j], j + 1);
        if (end == std::string::npos) return "unclosed attribute quote in <" + name + ">";
        if (doc.substr(j + 1, end - j - 1).find('<') != std::string::npos) return "'<' in an attribute of <" + name + ">";
        j = end + 1;
        continue;
      }
      if (doc[j] == '<') return "'<' inside the tag <" + name + ">";
      if (doc[j] == '/' && j + 1 < doc.size() && doc[j + 1] == '>') self_closing = true;
      ++j;
    }
    if (j >= doc.size()) return "unterminated tag <" + name + ">";
    i = j + 1;
    if (closing) {
      if (stack.empty() || stack.back() != name) {
        return "</" + name + "> closes " + (stack.empty() ? std::string("nothing") : "<" + stack.back() + ">") +
               " at offset " + std::to_string(j);
      }
      stack.pop_back();
    } else if (!self_closing && !void_elements.count(name)) {
      stack.push_back(name);
      if (name == "style") {
        // CSS may hold '>' (child selectors): skip to the end tag.
        const auto end = doc.find("</style>", i);
        if (end == std::string::npos) return "unclosed <style>";
        i = end;
      }
    }
  }
  if (!stack.empty()) return "<" + stack.back() + "> is never closed";
  return "";
}

/// Occurrences of `needle` in `hay`.
inline std::size_t count_of(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

}  // namespace infercost::test
