// The escape-time analysis of Xie et al., "Adaptive Inertia" (Adai), App. E: the estimator of
// an escape rate from repeated runs, and the Styblinski-Tang loss of that appendix averaged over
// its Gaussian data (where its valley actually lies).
//
// NOTE [escape-rate estimator] Escape times are taken as exponential, t ~ Exp(Gamma)
// (002, l.1748-1750). From n runs, eq. 119 estimates Gamma by (n - 2)/sum(t_i) (the paper writes
// n = 100; n - 2 makes it the c/sum(t) estimator of least mean squared error; n - 1 would be
// unbiased, n the maximum likelihood) and eq. 120 gives the 95% interval
// Gamma_hat (1 - 1.96/sqrt(n)) <= Gamma <= Gamma_hat (1 + 1.96/sqrt(n)).
#pragma once

#include <vector>

namespace momenta::analysis {

struct EscapeRate {
  double rate = 0;    // Gamma_hat, eq. 119
  double lo = 0, hi = 0;  // eq. 120
  double mean_time = 0;   // sum(t)/n, the plain mean escape time
};

// ValueError unless there are at least 4 times (so that the lower bound is positive), all
// finite and positive.
EscapeRate escape_rate(const std::vector<double>& times);

// The law y = a + b k^(-p) fitted to points (k_i, y_i) with standard deviations sigma_i, by
// weighted least squares in a and b for each p on a grid (step 0.005 over [0.05, 3]): p is the
// best, [lo, hi] the 95% profile interval, where chi2(p) - chi2(best) <= 3.84 s with
// s = max(1, chi2(best)/(n - 3)) widening it when the law itself misfits. Fig. 6 of the Adai
// paper reads -log Gamma = O(k^-1) or O(k^-1/2) off such points.
struct PowerFit {
  double p = 0, lo = 0, hi = 0;
  double a = 0, b = 0;      // at p
  double chi2 = 0;          // at p
  double chi2_at(double q) const;  // chi2 of the best a, b with the exponent fixed to q
  std::vector<double> k, y, sigma;
};
// ValueError for fewer than 3 points, mismatched sizes, k <= 0 or sigma <= 0.
PowerFit fit_power_law(const std::vector<double>& k, const std::vector<double>& y, const std::vector<double>& sigma);

// Styblinski-Tang per coordinate, ST(y) = (y^4 - 16 y^2 + 5 y)/2, averaged over a data shift
// x ~ N(0, var): E ST(y - x) = ST(y) + 3 var y^2 + const. Its derivative:
double smoothed_st_grad(double y, double var);
// The left (deepest) minimum of the averaged loss (Newton from ST's global minimum -2.903534).
double smoothed_st_min(double var);
// The averaged loss has two valleys (two minima and a saddle between) iff var is below this
// limit, where 2 y^3 + (6 var - 16) y + 2.5 stops having three real roots:
// var = (16 - (675/8)^(1/3)) / 6 ~ 1.936.
double smoothed_st_two_valley_limit();

// The stationary points, ascending, of the training loss of one coordinate,
// (1/N) sum_n ST(y - x_n), from the sample moments m_j = (1/N) sum_n x_n^j of its data: the roots
// of its gradient 2 y^3 - 6 m1 y^2 + (6 m2 - 16) y + 16 m1 - 2 m3 + 2.5. Three roots (minimum,
// saddle, minimum): two valleys; one root: one valley. With m1 = m3 = 0 and m2 = var this is the
// averaged loss above, so the two-valley limit is the var at which the cubic's discriminant is 0.
std::vector<double> st_data_stationary_points(double m1, double m2, double m3);
// The saddle between the two valleys of the averaged loss (ValueError for var >= the limit).
double smoothed_st_saddle(double var);

}  // namespace momenta::analysis
