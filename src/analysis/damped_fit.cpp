#include "momenta/analysis/damped_fit.h"

#include <cmath>
#include <complex>
#include <limits>
#include <numbers>

#include "momenta/error.h"

namespace momenta::analysis {
namespace {

// Solves the 2x2 normal equations [[a, b], [b, c]] x = [u, v]; false when singular.
bool solve2(double a, double b, double c, double u, double v, double& x0, double& x1) {
  const double det = a * c - b * b;
  if (!(std::fabs(det) > 1e-300 * std::max(1.0, std::fabs(a * c)))) return false;
  x0 = (c * u - b * v) / det;
  x1 = (a * v - b * u) / det;
  return true;
}

}  // namespace

DampedFit fit_damped_cosine(const std::vector<double>& y) {
  check<ValueError>(y.size() >= 4, "fit_damped_cosine: need at least 4 samples, got ", y.size());
  // Scale so that tiny tails (1e-200) do not underflow the normal equations.
  double scale = 0;
  for (double v : y) scale = std::max(scale, std::fabs(v));
  check<ValueError>(scale > 0 && std::isfinite(scale), "fit_damped_cosine: the series is all zero or not finite");
  std::vector<double> s(y.size());
  for (size_t i = 0; i < y.size(); ++i) s[i] = y[i] / scale;

  // y_{t+1} = c1 y_t + c2 y_{t-1}, least squares over t = 1..n-2, by modified Gram-Schmidt on the
  // two columns: the normal equations would square their condition number, which is huge when
  // one mode dominates (e.g. a diverging run), and the fitted radius would lose all its digits.
  const size_t m = s.size() - 2;
  std::vector<double> cp(m), cq(m), cy(m);
  for (size_t t = 1; t + 1 < s.size(); ++t) cp[t - 1] = s[t], cq[t - 1] = s[t - 1], cy[t - 1] = s[t + 1];
  auto dot = [&](const std::vector<double>& a, const std::vector<double>& b) {
    double r = 0;
    for (size_t i = 0; i < m; ++i) r += a[i] * b[i];
    return r;
  };
  DampedFit fit;
  double c1 = 0, c2 = 0;
  const double pp = dot(cp, cp);
  if (pp > 0) {
    // Both the second column and the target are orthogonalised against the first, twice (one
    // pass leaves a rounding component along it that swamps a weak second mode).
    auto orth = [&](std::vector<double> v) {
      for (int pass = 0; pass < 2; ++pass) {
        const double k = dot(cp, v) / pp;
        for (size_t i = 0; i < m; ++i) v[i] -= k * cp[i];
      }
      return v;
    };
    const std::vector<double> qr = orth(cq), yr = orth(cy);
    const double qq = dot(qr, qr);
    // A geometric sequence (one mode) leaves no independent second column: fit y_{t+1} = c1 y_t.
    if (qq > 1e-26 * dot(cq, cq)) c2 = dot(qr, yr) / qq;
    c1 = (dot(cp, cy) - c2 * dot(cp, cq)) / pp;
  }
  const std::complex<double> disc = std::sqrt(std::complex<double>(c1 * c1 + 4 * c2, 0));
  const std::complex<double> z1 = (c1 + disc) / 2.0, z2 = (c1 - disc) / 2.0;
  const std::complex<double> z = std::abs(z1) >= std::abs(z2) ? z1 : z2;
  const double r = std::abs(z);
  fit.radius = r;
  fit.T = r < 1 ? -1.0 / std::log(r) : std::numeric_limits<double>::infinity();
  fit.omega = std::fabs(std::arg(z));

  // Amplitude and phase: y_t ~ p r^t cos(w t) + q r^t sin(w t) = A r^t cos(w t + d).
  double aa = 0, ab = 0, bb = 0, ua = 0, ub = 0;
  for (size_t t = 0; t < s.size(); ++t) {
    const double e = std::pow(r, static_cast<double>(t));
    const double ct = e * std::cos(fit.omega * static_cast<double>(t)), st = e * std::sin(fit.omega * static_cast<double>(t));
    aa += ct * ct, ab += ct * st, bb += st * st, ua += s[t] * ct, ub += s[t] * st;
  }
  double p = 0, q = 0;
  if (!solve2(aa, ab, bb, ua, ub, p, q)) {
    p = aa > 0 ? ua / aa : 0;
    q = 0;
  }
  fit.amplitude = std::hypot(p, q) * scale;
  fit.phase = std::atan2(-q, p);
  double err = 0, norm = 0;
  for (size_t t = 0; t < s.size(); ++t) {
    const double e = std::pow(r, static_cast<double>(t));
    const double model = e * (p * std::cos(fit.omega * static_cast<double>(t)) + q * std::sin(fit.omega * static_cast<double>(t)));
    err += (s[t] - model) * (s[t] - model);
    norm += s[t] * s[t];
  }
  fit.rel_residual = std::sqrt(err / norm);
  return fit;
}

}  // namespace momenta::analysis
