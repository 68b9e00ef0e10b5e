// Denoising score matching against closed forms on Gaussian data (gaussian_data.h).
//
// With the true score the per-sample loss at time t is || z m^2 s^2 / v - std m s xi / v ||^2
// (x - m mu = m s xi + std z, v = m^2 s^2 + std^2), whose expectation is D m^2 s^2 / v: the
// minimum of DSM is not zero. Its average over t is computed here by Simpson's rule (or exactly
// over discrete levels) and compared with the Monte-Carlo mean of 60000 per-sample losses,
// within four of their standard errors; a score scaled by 0.8 must land outside.
#include <gtest/gtest.h>

#include <cmath>

#include "diffusion/gaussian_data.h"
#include "momenta/autograd.h"
#include "momenta/diffusion/dsm_loss.h"
#include "momenta/nn/arena.h"
#include "momenta/optim/registry.h"

using namespace momenta;
using namespace momenta::diffusion;
using namespace momenta::diffusion::testing;

namespace {

double expected_loss_at(const NoiseProcess& p, double t) {
  const double m = p.mean_coef(t), sd = p.marginal_std(t), s2 = kDataStd * kDataStd;
  return static_cast<double>(kDim) * m * m * s2 / (m * m * s2 + sd * sd);
}

// E_t over U(t_min, 1) (Simpson, 4000 intervals) or uniform over the levels.
double expected_loss(const NoiseProcess& p, const DsmOptions& o) {
  const double t_min = resolve_t_min(p, o.t_min);
  if (o.levels > 0) {
    double s = 0;
    for (double t : level_times(o.levels, t_min)) s += expected_loss_at(p, t);
    return s / static_cast<double>(o.levels);
  }
  const int n = 4000;
  const double h = (1 - t_min) / n;
  double s = expected_loss_at(p, t_min) + expected_loss_at(p, 1.0);
  for (int i = 1; i < n; ++i) s += (i % 2 ? 4 : 2) * expected_loss_at(p, t_min + i * h);
  return s * h / 3 / (1 - t_min);
}

struct McMean {
  double mean = 0, se = 0;
};
McMean mc_mean(const Tensor& per_sample) {
  const std::vector<double> v = per_sample.to_vector<double>();
  double s = 0, s2 = 0;
  for (double e : v) s += e, s2 += e * e;
  const double n = static_cast<double>(v.size());
  const double mean = s / n;
  return {mean, std::sqrt((s2 / n - mean * mean) / (n - 1))};
}

void expect_closed_form(const NoiseProcess& p, const DsmOptions& o, const char* what) {
  const Tensor x0 = gaussian_batch(60000, 3);
  const double want = expected_loss(p, o);
  Generator g1(17);
  const McMean got = mc_mean(dsm_loss_per_sample(gaussian_score(p), p, x0, g1, o));
  EXPECT_NEAR(got.mean, want, 4 * got.se) << what << ": closed form " << want;
  EXPECT_GT(want, 0.5) << what << ": the minimum of DSM is not zero";
  Generator g2(17);
  const McMean wrong = mc_mean(dsm_loss_per_sample(scaled_score(gaussian_score(p), 0.8), p, x0, g2, o));
  EXPECT_GT(std::abs(wrong.mean - want), 4 * wrong.se) << what << ": a score scaled by 0.8 passes";
}

}  // namespace

TEST(DsmLoss, TrueScoreMeetsTheClosedFormVe) {
  const VeSde ve(0.01, 50.0);
  expect_closed_form(ve, {}, "VE continuous");
  DsmOptions levels;
  levels.levels = 10;
  expect_closed_form(ve, levels, "VE, 10 NCSN levels");
}

TEST(DsmLoss, TrueScoreMeetsTheClosedFormVp) {
  const VpSde vp(0.1, 20.0);
  expect_closed_form(vp, {}, "VP continuous");
  DsmOptions o;
  o.t_min = 1e-5;
  expect_closed_form(PowerVeSde(25.0), o, "VE sigma^t (the twin's), t_min 1e-5");
}

TEST(DsmLoss, ZeroScoreCostsTheNoiseNorm) {
  // score = 0: the loss is ||z||^2 whatever t is; E = D.
  const VpSde vp;
  const Tensor x0 = gaussian_batch(20000, 4);
  Generator g(1);
  const ScoreFn zero = [](const Tensor& x, const Tensor&) { return mul(x, 0.0); };
  const McMean got = mc_mean(dsm_loss_per_sample(zero, vp, x0, g));
  EXPECT_NEAR(got.mean, static_cast<double>(kDim), 4 * got.se);
}

TEST(DsmLoss, NetworkWrapperDividesByStd) {
  // A "network" predicting std * score, wrapped, gives the same losses as the score itself.
  const VeSde ve(0.01, 50.0);
  const ScoreFn score = gaussian_score(ve);
  const ScoreFn net = [&](const Tensor& x, const Tensor& t) {
    return mul(score(x, t), per_sample(t, x, [&](double u) { return ve.marginal_std(u); }));
  };
  const Tensor x0 = gaussian_batch(64, 5);
  Generator g1(9), g2(9);
  const std::vector<double> a = dsm_loss_per_sample(score, ve, x0, g1).to_vector<double>();
  const std::vector<double> b = dsm_loss_per_sample(score_from_network(net, ve), ve, x0, g2).to_vector<double>();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-9 * (1 + a[i])) << i;
}

TEST(DsmLoss, ReproducibleForASeedAndTestLossFixed) {
  const VpSde vp;
  const ScoreFn score = scaled_score(gaussian_score(vp), 0.9);
  const Tensor x0 = gaussian_batch(32, 6);
  Generator g1(3), g2(3), g3(4);
  const double a = dsm_loss(score, vp, x0, g1).item();
  EXPECT_EQ(a, dsm_loss(score, vp, x0, g2).item());
  EXPECT_NE(a, dsm_loss(score, vp, x0, g3).item());
  // The held-out estimator: same (seed, batch) -> same value, every time; another batch index
  // -> other noise.
  const double t1 = dsm_test_loss(score, vp, x0, 42, 0);
  EXPECT_EQ(t1, dsm_test_loss(score, vp, x0, 42, 0));
  EXPECT_NE(t1, dsm_test_loss(score, vp, x0, 42, 1));
  EXPECT_NE(t1, dsm_test_loss(score, vp, x0, 43, 0));
}

TEST(DsmLoss, RejectsBadInput) {
  const VpSde vp;
  Generator g(1);
  const ScoreFn bad_shape = [](const Tensor& x, const Tensor&) { return x.flatten(1); };
  EXPECT_THROW(dsm_loss(bad_shape, vp, gaussian_batch(4, 1), g), ShapeError);
  DsmOptions o;
  o.levels = 1;
  EXPECT_THROW(dsm_loss(gaussian_score(vp), vp, gaussian_batch(4, 1), g, o), ValueError);
  o.levels = 0;
  o.t_min = 0.0;  // VP has no noise at t = 0
  EXPECT_THROW(dsm_loss(gaussian_score(vp), vp, gaussian_batch(4, 1), g, o), ValueError);
  o.t_min = 1.0;
  EXPECT_THROW(dsm_loss(gaussian_score(vp), vp, gaussian_batch(4, 1), g, o), ValueError);
}

TEST(DsmLoss, GradientMatchesFiniteDifferences) {
  // The loss as a function of a parametric score's mean and log-std, for fixed noise.
  const VpSde vp;
  const Tensor x0 = gaussian_batch(6, 7);
  Generator pg(8);
  Tensor mu = randn(Shape{1, 1, 2, 4}, kFloat64, pg);
  mu.set_requires_grad(true);
  Tensor log_s = Tensor::scalar(-0.3, kFloat64);
  log_s.set_requires_grad(true);
  const auto f = [&](const std::vector<Tensor>& in) {
    Generator g(11);
    const ScoreFn s = [&](const Tensor& x, const Tensor& t) { return gaussian_score_of(vp, x, t, in[0], in[1]); };
    return dsm_loss(s, vp, x0, g);
  };
  const GradcheckResult r = gradcheck(f, {mu, log_s});
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(DsmLoss, AdamLearnsTheDataDistribution) {
  // A score of the Gaussian family with learned mean (per coordinate) and std, trained by DSM
  // with momenta's Adam on fresh batches, reaches the data's mean and std (from 0 and 1).
  // Tolerances: over six runs with other noise and data seeds the final errors were at most
  // 0.020 in a mean coordinate and 0.009 in s; we allow 0.05 and 0.02.
  const VpSde vp;
  const Tensor mu = Tensor::zeros(Shape{1, 1, 2, 4}, kFloat64), log_s = Tensor::zeros(Shape{}, kFloat64);
  nn::ParamArena arena({{"mu", mu}, {"log_s", log_s}}, kFloat64, kCPU);  // rebinds both handles
  auto opt = optim::make_optimizer("adam", arena, optim::HyperParams{{"lr", {0.05}}});
  Generator g(21);
  for (int step = 0; step < 500; ++step) {
    if (step == 400) opt->set_lr(2e-3);
    const Tensor x0 = gaussian_batch(256, 1000 + static_cast<uint64_t>(step));
    const ScoreFn s = [&](const Tensor& x, const Tensor& t) { return gaussian_score_of(vp, x, t, mu, log_s); };
    opt->zero_grad();
    const Tensor loss = dsm_loss(s, vp, x0, g);
    loss.backward();
    opt->step({loss.item(), step});
  }
  const std::vector<double> m = mu.to_vector<double>(), want = data_mean();
  for (size_t j = 0; j < want.size(); ++j) EXPECT_NEAR(m[j], want[j], 0.05) << "coordinate " << j;
  EXPECT_NEAR(std::exp(log_s.item()), kDataStd, 0.02);
}
