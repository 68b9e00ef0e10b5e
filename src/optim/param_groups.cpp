#include "momenta/optim/param_groups.h"

#include "momenta/parse.h"

namespace momenta::optim {
namespace {

// Iterative glob matching with backtracking to the last '*'.
bool glob(const std::string& pat, const std::string& s) {
  size_t p = 0, i = 0, star = std::string::npos, mark = 0;
  while (i < s.size()) {
    if (p < pat.size() && (pat[p] == '?' || pat[p] == s[i])) {
      ++p, ++i;
    } else if (p < pat.size() && pat[p] == '*') {
      star = p++;
      mark = i;
    } else if (star != std::string::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace

bool group_pattern_matches(const std::string& pattern, const nn::ParamArena::Entry& entry) {
  if (pattern == "@1d") return entry.shape.size() <= 1;
  if (pattern == "@nd") return entry.shape.size() >= 2;
  check<ValueError>(pattern.empty() || pattern[0] != '@', "parameter group pattern '", pattern,
                    "': unknown selector (known: @1d, @nd, or a glob over parameter names)");
  return glob(pattern, entry.name);
}

std::vector<ParamGroup> make_param_groups(const nn::ParamArena& arena, const std::vector<GroupRule>& rules) {
  check<ValueError>(arena.built(), "parameter groups: the model has no parameter arena (call finalize() first)");
  std::vector<int> used(rules.size(), 0);
  std::vector<ParamGroup> out;
  int current = -2;  // the rule of the run being extended; -1 is the default group
  for (const auto& e : arena.entries()) {
    int rule = -1;
    for (size_t r = 0; r < rules.size() && rule < 0; ++r)
      if (group_pattern_matches(rules[r].pattern, e)) rule = static_cast<int>(r);
    if (rule >= 0) used[static_cast<size_t>(rule)] = 1;
    if (rule == current && !out.empty() && out.back().end == e.offset) {
      out.back().end = e.offset + e.numel;
      continue;
    }
    ParamGroup g;
    g.begin = e.offset;
    g.end = e.offset + e.numel;
    if (rule >= 0) {
      const GroupRule& r = rules[static_cast<size_t>(rule)];
      g.hp = r.hp;
      g.name = r.name.empty() ? r.pattern : r.name;
    }
    out.push_back(std::move(g));
    current = rule;
  }
  for (size_t r = 0; r < rules.size(); ++r) {
    if (used[r]) continue;
    std::string names;
    for (const auto& e : arena.entries()) names += (names.empty() ? "" : ", ") + e.name;
    throw ValueError(str_cat("parameter group pattern '", rules[r].pattern, "' matches no parameter (the model has: ",
                             names, ")"));
  }
  return out;
}

std::vector<GroupRule> parse_group_rules(const std::vector<std::string>& items) {
  std::vector<GroupRule> rules;
  for (const auto& item : items) {
    const auto colon = item.rfind(':', item.find('='));
    const auto eq = item.find('=');
    check<ValueError>(colon != std::string::npos && colon > 0 && eq != std::string::npos && eq > colon + 1,
                      "--group '", excerpt(item), "': expected PATTERN:key=value, e.g. --group '@1d:weight_decay=0'");
    const std::string pattern = item.substr(0, colon), key = item.substr(colon + 1, eq - colon - 1);
    const std::vector<double> values = parse_number_list(item.substr(eq + 1), str_cat("--group '", excerpt(item), "' value"));
    GroupRule* rule = nullptr;
    for (auto& r : rules)
      if (r.pattern == pattern) rule = &r;
    if (rule == nullptr) {
      rules.push_back({pattern, pattern, {}});
      rule = &rules.back();
    }
    rule->hp[key] = values;
  }
  return rules;
}

}  // namespace momenta::optim
