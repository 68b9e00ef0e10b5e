// The Prony fit of analysis/damped_fit.h on synthetic series with known parameters, and on a run
// of the registered super-acceleration rule against the closed-form relaxation time.
#include "momenta/analysis/damped_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "momenta/analysis/momentum_theory.h"
#include "momenta/error.h"
#include "momenta/optim/objective_run.h"

namespace {

using momenta::analysis::fit_damped_cosine;

TEST(DampedFit, RecoversAnUnderdampedOscillation) {
  const double T = 17.5, w = 0.4, A = 2.5, d = 0.7;
  std::vector<double> y;
  for (int t = 0; t < 120; ++t) y.push_back(A * std::exp(-t / T) * std::cos(w * t + d));
  const auto f = fit_damped_cosine(y);
  EXPECT_NEAR(f.T, T, 1e-8 * T);
  EXPECT_NEAR(f.omega, w, 1e-9);
  EXPECT_NEAR(f.amplitude, A, 1e-7);
  EXPECT_NEAR(f.phase, d, 1e-7);
  EXPECT_NEAR(f.radius, std::exp(-1 / T), 1e-12);
  EXPECT_LT(f.rel_residual, 1e-9);
}

TEST(DampedFit, OverdampedTakesTheSlowerMode) {
  std::vector<double> y;
  for (int t = 0; t < 80; ++t) y.push_back(std::pow(0.95, t) + 3 * std::pow(0.5, t));
  const auto f = fit_damped_cosine(y);
  EXPECT_NEAR(f.radius, 0.95, 1e-9);
  EXPECT_DOUBLE_EQ(f.omega, 0.0);
}

TEST(DampedFit, GeometricSeriesAndDivergence) {
  std::vector<double> g, h;
  for (int t = 0; t < 30; ++t) g.push_back(std::pow(0.8, t)), h.push_back(std::pow(-1.1, t));
  EXPECT_NEAR(fit_damped_cosine(g).radius, 0.8, 1e-12);
  const auto f = fit_damped_cosine(h);
  EXPECT_NEAR(f.radius, 1.1, 1e-12);
  EXPECT_EQ(f.T, INFINITY);
  EXPECT_NEAR(f.omega, std::numbers::pi, 1e-12);
}

TEST(DampedFit, NoisySeriesGivesALargeResidual) {
  std::vector<double> y;
  for (int t = 0; t < 60; ++t) y.push_back(std::exp(-t / 10.0) * std::cos(0.3 * t) + ((t * 7919) % 13 - 6) * 0.05);
  EXPECT_GT(fit_damped_cosine(y).rel_residual, 0.01);
}

TEST(DampedFit, RejectsShortOrZeroSeries) {
  EXPECT_THROW(fit_damped_cosine({1.0, 0.5, 0.25}), momenta::ValueError);
  EXPECT_THROW(fit_damped_cosine(std::vector<double>(10, 0.0)), momenta::ValueError);
}

TEST(DampedFit, SuperAccelRunMatchesTheClosedForm) {
  const auto f = momenta::optim::make_test_function("quadratic", 1, {{"k", "1"}});
  for (double sigma : {0.0, 0.9, 3.0, 8.0}) {
    const double a = 0.05, mu = 0.9;
    std::vector<double> theta;
    momenta::optim::run_objective(f, {1.0},
                                  {"super_accel", {{"lr", {a}}, {"momentum", {mu}}, {"sigma", {sigma}}}, "", {}, 300},
                                  [&](const momenta::optim::StepView& v) {
                                    theta.push_back(v.optimizer.eval_weights().to_vector<double>()[0]);
                                    return true;
                                  });
    const double T = momenta::analysis::relaxation_time(momenta::analysis::momentum_spectral_radius(a, mu, sigma));
    EXPECT_NEAR(fit_damped_cosine(theta).T, T, 1e-7 * T) << "sigma " << sigma;
  }
}

}  // namespace
