#include "momenta/analysis/escape_rate.h"

#include <cmath>

#include "momenta/error.h"

namespace momenta::analysis {

EscapeRate escape_rate(const std::vector<double>& times) {
  const size_t n = times.size();
  check<ValueError>(n >= 4, "escape_rate: needs at least 4 escape times (eq. 120's lower bound is positive only then), got ",
                    n);
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    check<ValueError>(std::isfinite(times[i]) && times[i] > 0, "escape_rate: escape time ", i,
                      " must be finite and positive, got ", times[i]);
    sum += times[i];
  }
  const double dn = static_cast<double>(n);
  EscapeRate r;
  r.rate = (dn - 2.0) / sum;
  const double half = 1.96 / std::sqrt(dn);
  r.lo = r.rate * (1.0 - half);
  r.hi = r.rate * (1.0 + half);
  r.mean_time = sum / dn;
  return r;
}

double smoothed_st_grad(double y, double var) { return 2.0 * y * y * y - 16.0 * y + 2.5 + 6.0 * var * y; }

double smoothed_st_min(double var) {
  check<ValueError>(std::isfinite(var) && var >= 0, "smoothed_st_min: the data variance must be >= 0, got ", var);
  // The averaged loss is a quartic with positive leading term; Newton from the left of every
  // stationary point (where the second derivative 6 y^2 + 6 var - 16 is positive and the
  // gradient negative) descends monotonically onto the leftmost root.
  double y = -3.0 - std::sqrt(var);
  for (int i = 0; i < 200; ++i) {
    const double step = smoothed_st_grad(y, var) / (6.0 * y * y + 6.0 * var - 16.0);
    y -= step;
    if (std::fabs(step) < 1e-15 * (1.0 + std::fabs(y))) break;
  }
  return y;
}

double smoothed_st_two_valley_limit() { return (16.0 - std::cbrt(675.0 / 8.0)) / 6.0; }

}  // namespace momenta::analysis
