#include "momenta/optim/schedule.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "momenta/error.h"

namespace momenta::optim {

double Schedule::factor(int64_t step, int64_t total_steps) const {
  double f = 1.0;
  switch (kind) {
    case Kind::kConstant: break;
    case Kind::kCosine: {
      const double span = static_cast<double>(std::max<int64_t>(total_steps - warmup_steps - 1, 1));
      const double x = std::min(1.0, std::max(0.0, static_cast<double>(step - warmup_steps) / span));
      f = final_factor + (1.0 - final_factor) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * x));
      break;
    }
    case Kind::kMultiStep:
      for (int64_t m : milestones)
        if (step >= m) f *= gamma;
      break;
  }
  if (warmup_steps > 0 && step < warmup_steps) f *= static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  return f;
}

double HpSchedule::value(int64_t step, int64_t total_steps) const {
  const double span = static_cast<double>(std::max<int64_t>(total_steps - 1, 1));
  const double x = std::min(1.0, std::max(0.0, static_cast<double>(step) / span));
  const double w = cosine ? 0.5 * (1.0 - std::cos(3.14159265358979323846 * x)) : x;  // 0 -> 1
  return start + (end - start) * w;
}

HpSchedule parse_hp_schedule(const std::string& item) {
  const std::string usage = " (expected key=start:end[:linear|cosine], e.g. sigma=5:2)";
  const auto eq = item.find('=');
  check<ValueError>(eq != std::string::npos && eq > 0, "--hp-schedule '", excerpt(item), "': no key", usage);
  HpSchedule s;
  s.key = item.substr(0, eq);
  std::vector<std::string> parts;
  std::string rest = item.substr(eq + 1);
  for (size_t pos = 0;;) {
    const auto c = rest.find(':', pos);
    parts.push_back(rest.substr(pos, c == std::string::npos ? std::string::npos : c - pos));
    if (c == std::string::npos) break;
    pos = c + 1;
  }
  check<ValueError>(parts.size() == 2 || parts.size() == 3, "--hp-schedule '", excerpt(item), "': wrong number of fields", usage);
  const auto num = [&](const std::string& text) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    check<ValueError>(!text.empty() && end != nullptr && *end == '\0' && std::isfinite(v), "--hp-schedule '", excerpt(item),
                      "': '", excerpt(text), "' is not a number", usage);
    return v;
  };
  s.start = num(parts[0]);
  s.end = num(parts[1]);
  if (parts.size() == 3) {
    check<ValueError>(parts[2] == "linear" || parts[2] == "cosine", "--hp-schedule '", excerpt(item), "': unknown shape '",
                      excerpt(parts[2]), "'", usage);
    s.cosine = parts[2] == "cosine";
  }
  return s;
}

Schedule::Kind parse_schedule_kind(const std::string& name) {
  if (name == "constant") return Schedule::Kind::kConstant;
  if (name == "cosine") return Schedule::Kind::kCosine;
  if (name == "multistep") return Schedule::Kind::kMultiStep;
  throw ValueError(str_cat("unknown schedule '", excerpt(name), "' (known: constant, cosine, multistep)"));
}

}  // namespace momenta::optim
