#include "momenta/analysis/trajectory_stats.h"

#include <cmath>
#include <limits>

#include "momenta/error.h"

namespace momenta::analysis {

double mean_log10(const std::vector<double>& d) {
  check<ValueError>(!d.empty(), "mean_log10: the series is empty");
  double s = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    check<ValueError>(std::isfinite(d[i]) && d[i] > 0, "mean_log10: element ", i, " is ", d[i],
                      ", expected a finite positive distance");
    s += std::log10(d[i]);
  }
  return s / static_cast<double>(d.size());
}

int settle_index(const std::vector<double>& d, double level) {
  int from = -1;
  for (size_t i = d.size(); i-- > 0;) {
    if (!(d[i] < level)) break;
    from = static_cast<int>(i);
  }
  return from;
}

EndCycle end_cycle(const std::vector<std::vector<double>>& x) {
  check<ValueError>(x.size() >= 3, "end_cycle: ", x.size(), " points, expected at least 3");
  const auto& a = x[x.size() - 1];
  const auto& b = x[x.size() - 2];
  const auto& c = x[x.size() - 3];
  check<ValueError>(a.size() == b.size() && a.size() == c.size(), "end_cycle: the last points differ in dimension");
  double s1 = 0, s2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    s1 += (a[i] - b[i]) * (a[i] - b[i]);
    s2 += (a[i] - c[i]) * (a[i] - c[i]);
  }
  return {std::sqrt(s1), std::sqrt(s2)};
}

double exp_decay_time(const std::vector<double>& y, double floor) {
  double n = 0, st = 0, sl = 0, stt = 0, stl = 0;
  for (size_t t = 0; t < y.size(); ++t) {
    const double m = std::fabs(y[t]);
    if (!(m > floor) || !std::isfinite(m)) continue;
    const double tt = static_cast<double>(t), l = std::log(m);
    n += 1, st += tt, sl += l, stt += tt * tt, stl += tt * l;
  }
  check<ValueError>(n >= 3, "exp_decay_time: ", n, " samples above the floor ", floor, ", expected at least 3");
  const double slope = (n * stl - st * sl) / (n * stt - st * st);
  if (!(slope < 0)) return std::numeric_limits<double>::infinity();
  return -1.0 / slope;
}

}  // namespace momenta::analysis
