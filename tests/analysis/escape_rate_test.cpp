// analysis/escape_rate.h against hand-computed values (eqs. 119-120 of the Adai paper, App. E),
// its statistical behaviour on exponential samples of known rate, and the closed forms of the
// data-averaged Styblinski-Tang loss.
#include "momenta/analysis/escape_rate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "momenta/error.h"

namespace {

using namespace momenta::analysis;

TEST(EscapeRate, HandComputedValues) {
  // n = 5, sum = 20: Gamma_hat = 3/20 = 0.15; 1.96/sqrt(5) = 0.876541...
  const EscapeRate r = escape_rate({1, 2, 3, 4, 10});
  EXPECT_DOUBLE_EQ(r.rate, 0.15);
  EXPECT_NEAR(r.lo, 0.15 * (1 - 0.8765386), 1e-7);
  EXPECT_NEAR(r.hi, 0.15 * (1 + 0.8765386), 1e-7);
  EXPECT_DOUBLE_EQ(r.mean_time, 4.0);
  // The paper's n = 100: 98/sum and the interval Gamma_hat (1 -+ 0.196).
  const EscapeRate p = escape_rate(std::vector<double>(100, 50.0));  // sum = 5000
  EXPECT_DOUBLE_EQ(p.rate, 98.0 / 5000.0);
  EXPECT_NEAR(p.lo, 0.0196 * 0.804, 1e-15);
  EXPECT_NEAR(p.hi, 0.0196 * 1.196, 1e-15);
}

// P(sum of n unit exponentials <= x), the regularized lower incomplete gamma function P(n, x).
double gamma_cdf(int n, double x) {
  double term = 1, s = 0;
  for (int k = 0; k < n; ++k) {
    if (k > 0) term *= x / k;
    s += term;
  }
  return 1 - std::exp(-x) * s;
}

TEST(EscapeRate, IntervalCoverageMatchesItsExactValue) {
  // With n = 100 the interval of eq. 120 covers the rate iff Gamma * sum t lies in
  // [98 * 0.804, 98 * 1.196]; Gamma * sum t ~ Gamma(100, 1), so the exact coverage is 94.0%
  // (the interval is asymptotic). 2000 simulated experiments must agree within 3 sd (1.6%), and
  // the mean estimate is 0.01 (n - 2)/(n - 1) (E[1/sum] = rate/(n - 1)).
  const double exact = gamma_cdf(100, 98 * 1.196) - gamma_cdf(100, 98 * 0.804);
  EXPECT_NEAR(exact, 0.94, 0.001);
  std::mt19937_64 gen(7);
  std::exponential_distribution<double> expo(0.01);
  int covered = 0;
  double mean = 0;
  const int trials = 2000;
  for (int i = 0; i < trials; ++i) {
    std::vector<double> t(100);
    for (double& x : t) x = expo(gen);
    const EscapeRate r = escape_rate(t);
    covered += r.lo <= 0.01 && 0.01 <= r.hi;
    mean += r.rate / trials;
  }
  EXPECT_NEAR(static_cast<double>(covered) / trials, exact, 3 * std::sqrt(exact * (1 - exact) / trials));
  EXPECT_NEAR(mean, 0.01 * 98.0 / 99.0, 3 * 0.01 * 0.1 / std::sqrt(trials));  // sd of one estimate ~ rate/sqrt(n)
}

TEST(EscapeRate, RejectsTooFewOrBadTimes) {
  EXPECT_THROW(escape_rate({1, 2, 3}), momenta::ValueError);
  EXPECT_THROW(escape_rate({1, 2, 3, 0}), momenta::ValueError);
  EXPECT_THROW(escape_rate({1, 2, 3, NAN}), momenta::ValueError);
  try {
    escape_rate({1, 2, -3, 4});
  } catch (const momenta::ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("escape time 2 must be finite and positive"), std::string::npos) << e.what();
  }
}

TEST(PowerLaw, RecoversAnExactExponentAndItsChiSquare) {
  // y = 1 + 2/k exactly: p = 1, chi^2 = 0, and the interval is tight around 1.
  const PowerFit f = fit_power_law({1, 2, 4}, {3, 2, 1.5}, {0.1, 0.1, 0.2});
  EXPECT_NEAR(f.p, 1.0, 1e-12);
  EXPECT_NEAR(f.chi2, 0.0, 1e-20);
  EXPECT_NEAR(f.a, 1.0, 1e-12);
  EXPECT_NEAR(f.b, 2.0, 1e-12);
  EXPECT_LE(f.lo, 1.0);
  EXPECT_GE(f.hi, 1.0);
  // With p fixed to 1/2: weighted least squares of y on k^-1/2, computed by hand (weights
  // 100, 100, 25): a = -0.2037178, b = 3.1839657, chi^2 = 0.5785269.
  EXPECT_NEAR(f.chi2_at(0.5), 0.578526885590864, 1e-12);
  // chi^2(1/2) - chi^2(1) = 0.58 < 3.84, so p = 1/2 is inside the interval; with sigma ten times
  // smaller the difference is 57.9 and it is outside.
  EXPECT_LE(f.lo, 0.5);
  const PowerFit g = fit_power_law({1, 2, 4}, {3, 2, 1.5}, {0.01, 0.01, 0.02});
  EXPECT_GT(g.lo, 0.5);
  EXPECT_LT(g.hi, 1.5);
}

TEST(PowerLaw, FindsAFractionalExponentAmongSevenPoints) {
  std::vector<double> k{1, 1.25, 1.5, 1.75, 2, 2.5, 3}, y, sd(7, 0.1);
  for (double x : k) y.push_back(2 + 5 * std::pow(x, -0.7));
  const PowerFit f = fit_power_law(k, y, sd);
  EXPECT_NEAR(f.p, 0.7, 1e-9);
  EXPECT_LT(f.lo, 0.7);
  EXPECT_GT(f.hi, 0.7);
  // Ten times more precise points exclude both p = 1/2 and p = 1.
  const PowerFit g = fit_power_law(k, y, std::vector<double>(7, 0.01));
  EXPECT_GT(g.lo, 0.5);
  EXPECT_LT(g.hi, 1.0);
  EXPECT_LT(g.hi - g.lo, f.hi - f.lo);
  EXPECT_THROW(fit_power_law({1, 2}, {1, 2}, {1, 1}), momenta::ValueError);
  EXPECT_THROW(fit_power_law({1, 2, 0}, {1, 2, 3}, {1, 1, 1}), momenta::ValueError);
}

TEST(SmoothedStyblinskiTang, MinimaAndTheTwoValleyLimit) {
  // var = 0: ST's own global minimum (Adai paper, 002, l.1739-1740).
  EXPECT_NEAR(smoothed_st_min(0.0), -2.903534, 1e-6);
  // The gradient is the derivative of E ST(y - x) = ST(y) + 3 var y^2 (+ const): check by a
  // central difference of ST(y) + 3 var y^2.
  auto avg = [](double y, double var) { return 0.5 * (y * y * y * y - 16 * y * y + 5 * y) + 3 * var * y * y; };
  for (double var : {0.0, 1.0, 4.0})
    for (double y : {-2.0, -0.3, 0.5}) {
      const double h = 1e-5;
      EXPECT_NEAR(smoothed_st_grad(y, var), (avg(y + h, var) - avg(y - h, var)) / (2 * h), 1e-6);
    }
  // The average itself: with E x^2 = var and E x^4 = 3 var^2, E ST(y - x) - (ST(y) + 3 var y^2)
  // is the constant (3 var^2 - 16 var)/2 for every y.
  for (double y : {-1.0, 0.7}) {
    const double var = 4.0;
    const double e4 = y * y * y * y + 6 * y * y * var + 3 * var * var, e2 = y * y + var;
    EXPECT_NEAR(0.5 * (e4 - 16 * e2 + 5 * y) - avg(y, var), 0.5 * (3 * var * var - 16 * var), 1e-12);
  }
  // var = 4 (the paper's data): one valley, minimum at the real root of 2 y^3 + 8 y + 2.5.
  const double y4 = smoothed_st_min(4.0);
  EXPECT_NEAR(2 * y4 * y4 * y4 + 8 * y4 + 2.5, 0.0, 1e-12);
  EXPECT_NEAR(y4, -0.3054, 1e-3);
  // The limit: the cubic 2 y^3 + (6 var - 16) y + 2.5 has three real roots just below it (a sign
  // change of the gradient on both sides of a local maximum below 0) and one just above it.
  const double lim = smoothed_st_two_valley_limit();
  EXPECT_NEAR(lim, (16 - std::cbrt(84.375)) / 6, 1e-15);
  auto real_roots = [](double var) {
    int changes = 0;
    double prev = smoothed_st_grad(-10.0, var);
    for (double y = -10.0 + 1e-4; y <= 10.0; y += 1e-4) {
      const double g = smoothed_st_grad(y, var);
      changes += (g > 0) != (prev > 0);
      prev = g;
    }
    return changes;
  };
  EXPECT_EQ(real_roots(lim - 0.01), 3);
  EXPECT_EQ(real_roots(lim + 0.01), 1);
  EXPECT_EQ(real_roots(4.0), 1);
  EXPECT_EQ(real_roots(0.0), 3);
  EXPECT_THROW(smoothed_st_min(-1.0), momenta::ValueError);
}

}  // namespace
