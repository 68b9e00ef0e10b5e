// A small well-formedness check for the SVG the project writes (no XML library in the build):
// one root <svg>, balanced and properly nested tags, quoted attributes, and no raw '&' or '<'
// in text. Returns "" when the document passes, else what is wrong.
#pragma once

#include <string>
#include <vector>

namespace momenta::testing {

inline std::string svg_problem(const std::string& s) {
  std::vector<std::string> stack;
  size_t i = 0;
  bool seen_root = false;
  while (i < s.size()) {
    if (s[i] == '&') {
      const size_t semi = s.find(';', i);
      if (semi == std::string::npos || semi - i > 6) return "raw '&' at " + std::to_string(i);
      i = semi + 1;
      continue;
    }
    if (s[i] != '<') {
      ++i;
      continue;
    }
    const size_t end = s.find('>', i);
    if (end == std::string::npos) return "unterminated tag at " + std::to_string(i);
    std::string tag = s.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return "empty tag";
    size_t quotes = 0;
    for (char c : tag) quotes += c == '"';
    if (quotes % 2) return "unbalanced quotes in <" + tag + ">";
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return "</" + name + "> does not close " + (stack.empty() ? "anything" : "<" + stack.back() + ">");
      stack.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    const std::string name = tag.substr(0, tag.find_first_of(" /\n"));
    if (!seen_root) {
      if (name != "svg") return "the root element is <" + name + ">, not <svg>";
      seen_root = true;
    } else if (stack.empty()) {
      return "content after the root element";
    }
    if (!self_closing) stack.push_back(name);
  }
  if (!seen_root) return "no <svg> element";
  if (!stack.empty()) return "<" + stack.back() + "> is not closed";
  return "";
}

}  // namespace momenta::testing
