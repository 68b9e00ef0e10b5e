#include "momenta/analysis/grosse_worst.h"

#include "momenta/error.h"

namespace momenta::analysis {

double grosse_worst_value(const std::vector<double>& w) {
  check<ValueError>(!w.empty(), "grosse_worst_value: w needs at least one coordinate");
  double j = 0.5 * (1.0 - w[0]) * (1.0 - w[0]);
  for (size_t i = 0; i + 1 < w.size(); ++i) j += 0.5 * (w[i + 1] - w[i]) * (w[i + 1] - w[i]);
  return j;
}

double grosse_worst_span_min(int t, int D) {
  check<ValueError>(t >= 0 && D >= 1, "grosse_worst_span_min: needs t >= 0 and D >= 1, got t = ", t, ", D = ", D);
  return t < D ? 0.5 / (t + 1.0) : 0.0;
}

std::vector<double> grosse_worst_span_argmin(int t, int D) {
  check<ValueError>(t >= 0 && D >= 1, "grosse_worst_span_argmin: needs t >= 0 and D >= 1, got t = ", t, ", D = ", D);
  std::vector<double> w(static_cast<size_t>(D), t < D ? 0.0 : 1.0);
  if (t < D)
    for (int j = 1; j <= t; ++j) w[static_cast<size_t>(j - 1)] = 1.0 - j / (t + 1.0);
  return w;
}

}  // namespace momenta::analysis
