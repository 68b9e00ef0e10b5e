#include "momenta/analysis/escape_rate.h"

#include <algorithm>
#include <cmath>
#include <numbers>

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

namespace {

// Weighted least squares of y on (1, x) for x = k^-q: returns chi2 and sets a, b.
double chi2_line(const PowerFit& f, double q, double& a, double& b) {
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < f.k.size(); ++i) {
    const double w = 1.0 / (f.sigma[i] * f.sigma[i]), x = std::pow(f.k[i], -q);
    sw += w, sx += w * x, sy += w * f.y[i], sxx += w * x * x, sxy += w * x * f.y[i];
  }
  b = (sw * sxy - sx * sy) / (sw * sxx - sx * sx);
  a = (sy - b * sx) / sw;
  double c = 0;
  for (size_t i = 0; i < f.k.size(); ++i) {
    const double r = (f.y[i] - a - b * std::pow(f.k[i], -q)) / f.sigma[i];
    c += r * r;
  }
  return c;
}

}  // namespace

double PowerFit::chi2_at(double q) const {
  double a0 = 0, b0 = 0;
  return chi2_line(*this, q, a0, b0);
}

PowerFit fit_power_law(const std::vector<double>& k, const std::vector<double>& y, const std::vector<double>& sigma) {
  check<ValueError>(k.size() >= 3 && y.size() == k.size() && sigma.size() == k.size(),
                    "fit_power_law: needs at least 3 points with one y and one sigma each, got ", k.size(), " k, ",
                    y.size(), " y, ", sigma.size(), " sigma");
  for (size_t i = 0; i < k.size(); ++i)
    check<ValueError>(k[i] > 0 && sigma[i] > 0 && std::isfinite(y[i]), "fit_power_law: point ", i,
                      " needs k > 0, sigma > 0 and a finite y");
  PowerFit f;
  f.k = k, f.y = y, f.sigma = sigma;
  std::vector<double> qs, cs;
  for (int i = 0; i <= 590; ++i) qs.push_back(0.05 + 0.005 * i), cs.push_back(f.chi2_at(qs.back()));
  size_t best = 0;
  for (size_t i = 1; i < qs.size(); ++i)
    if (cs[i] < cs[best]) best = i;
  f.p = qs[best];
  f.chi2 = chi2_line(f, f.p, f.a, f.b);
  const double dof = static_cast<double>(k.size()) - 3.0;
  const double limit = 3.84 * (dof > 0 ? std::max(1.0, f.chi2 / dof) : 1.0);
  f.lo = f.hi = f.p;
  for (size_t i = best; i-- > 0 && cs[i] - f.chi2 <= limit;) f.lo = qs[i];
  for (size_t i = best + 1; i < qs.size() && cs[i] - f.chi2 <= limit; ++i) f.hi = qs[i];
  return f;
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

std::vector<double> st_data_stationary_points(double m1, double m2, double m3) {
  check<ValueError>(std::isfinite(m1) && std::isfinite(m2) && std::isfinite(m3),
                    "st_data_stationary_points: the data moments must be finite");
  // y^3 + b y^2 + c y + d = 0 (the gradient over 2); y = t - b/3 gives t^3 + P t + Q = 0.
  const double b = -3.0 * m1, c = 3.0 * m2 - 8.0, d = 8.0 * m1 - m3 + 1.25;
  const double P = c - b * b / 3.0, Q = 2.0 * b * b * b / 27.0 - b * c / 3.0 + d, shift = -b / 3.0;
  std::vector<double> roots;
  if (4.0 * P * P * P + 27.0 * Q * Q < 0) {  // three real roots (P < 0): the trigonometric form
    const double m = 2.0 * std::sqrt(-P / 3.0);
    const double phi = std::acos(std::clamp(3.0 * Q / (P * m), -1.0, 1.0)) / 3.0;
    for (int j = 0; j < 3; ++j) roots.push_back(shift + m * std::cos(phi - 2.0 * std::numbers::pi * j / 3.0));
  } else {  // one real root: Cardano
    const double s = std::sqrt(Q * Q / 4.0 + P * P * P / 27.0);
    roots.push_back(shift + std::cbrt(-Q / 2.0 + s) + std::cbrt(-Q / 2.0 - s));
  }
  for (double& y : roots)  // polish: a Newton step on the cubic itself
    for (int i = 0; i < 3; ++i) {
      const double g = ((y + b) * y + c) * y + d, dg = (3.0 * y + 2.0 * b) * y + c;
      if (dg != 0) y -= g / dg;
    }
  std::sort(roots.begin(), roots.end());
  return roots;
}

double smoothed_st_saddle(double var) {
  check<ValueError>(std::isfinite(var) && var >= 0 && var < smoothed_st_two_valley_limit(),
                    "smoothed_st_saddle: two valleys need 0 <= var < ", smoothed_st_two_valley_limit(), ", got ", var);
  return st_data_stationary_points(0.0, var, 0.0)[1];
}

}  // namespace momenta::analysis
