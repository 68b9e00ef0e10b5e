// The noise processes against their closed forms, and the forward SDE (f, g) against the
// marginals it must produce: for dx = f x dt + g dw from a point x0, the kernel's mean m and
// variance v obey dm/dt = f m and dv/dt = 2 f v + g^2 (checked by central differences).
#include <gtest/gtest.h>

#include <cmath>

#include "momenta/diffusion/noise_process.h"
#include "momenta/error.h"

using namespace momenta;
using namespace momenta::diffusion;

namespace {

void expect_sde_matches_marginals(const NoiseProcess& p, double t0) {
  for (double t = t0; t <= 0.99; t += 0.07) {
    const double h = 1e-5;
    const double m = p.mean_coef(t), v = p.marginal_std(t) * p.marginal_std(t);
    const double dm = (p.mean_coef(t + h) - p.mean_coef(t - h)) / (2 * h);
    const double vp = p.marginal_std(t + h), vm = p.marginal_std(t - h);
    const double dv = (vp * vp - vm * vm) / (2 * h);
    const double f = p.drift_coef(t), g = p.diffusion(t);
    EXPECT_NEAR(dm, f * m, 1e-6 * (1 + std::abs(f * m))) << p.describe() << " t = " << t;
    EXPECT_NEAR(dv, 2 * f * v + g * g, 1e-6 * (1 + g * g)) << p.describe() << " t = " << t;
  }
}

}  // namespace

TEST(NoiseProcess, VeClosedForms) {
  const VeSde ve(0.01, 50.0);
  EXPECT_DOUBLE_EQ(ve.marginal_std(0.0), 0.01);
  EXPECT_NEAR(ve.marginal_std(1.0), 50.0, 1e-12);
  EXPECT_NEAR(ve.marginal_std(0.5), std::sqrt(0.01 * 50.0), 1e-12);  // geometric mean at the midpoint
  EXPECT_NEAR(ve.diffusion(0.3), ve.sigma(0.3) * std::sqrt(2 * std::log(5000.0)), 1e-12);
  EXPECT_EQ(ve.mean_coef(0.7), 1.0);
  EXPECT_EQ(ve.prior_std(), 50.0);
  expect_sde_matches_marginals(ve, 0.01);
  // The reverse-diffusion step carries exactly the variance between the two levels.
  const Discretisation d = ve.discretise(0.6, 0.1);
  EXPECT_EQ(d.F, 0.0);
  EXPECT_NEAR(d.G * d.G, ve.sigma(0.6) * ve.sigma(0.6) - ve.sigma(0.5) * ve.sigma(0.5), 1e-10);
}

TEST(NoiseProcess, VpClosedForms) {
  const VpSde vp(0.1, 20.0);
  // int_0^t beta = 0.1 t + 9.95 t^2: at t = 1, 10.05.
  EXPECT_NEAR(vp.mean_coef(1.0), std::exp(-0.5 * 10.05), 1e-15);
  EXPECT_NEAR(vp.marginal_std(1.0), std::sqrt(1 - std::exp(-10.05)), 1e-15);
  EXPECT_NEAR(vp.marginal_std(1e-4), std::sqrt(1 - std::exp(-(0.1e-4 + 9.95e-8))), 1e-12);  // no cancellation
  EXPECT_NEAR(vp.beta(0.5), 10.05, 1e-12);
  EXPECT_EQ(vp.prior_std(), 1.0);
  for (double t : {0.01, 0.3, 0.9})
    EXPECT_NEAR(vp.mean_coef(t) * vp.mean_coef(t) + vp.marginal_std(t) * vp.marginal_std(t), 1.0, 1e-14);  // variance preserving
  expect_sde_matches_marginals(vp, 0.01);
  // DDPM's step: x_t = sqrt(1 - beta dt) x_s + sqrt(beta dt) z.
  const Discretisation d = vp.discretise(0.5, 0.001);
  EXPECT_NEAR(d.F, std::sqrt(1 - 10.05e-3) - 1, 1e-15);
  EXPECT_NEAR(d.G, std::sqrt(10.05e-3), 1e-15);
}

TEST(NoiseProcess, PowerVeIsTheTwinsSde) {
  // bench/pytorch/diffusion_unet.py: marginal_std = sqrt((25^(2t) - 1) / (2 ln 25)), g = 25^t.
  const PowerVeSde p(25.0);
  for (double t : {1e-3, 0.2, 1.0}) {
    EXPECT_NEAR(p.marginal_std(t), std::sqrt((std::pow(25.0, 2 * t) - 1) / (2 * std::log(25.0))), 1e-12);
    EXPECT_NEAR(p.diffusion(t), std::pow(25.0, t), 1e-12);
  }
  EXPECT_EQ(p.marginal_std(0.0), 0.0);
  expect_sde_matches_marginals(p, 0.01);
}

TEST(NoiseProcess, LevelTimesGiveNcsnGeometricSigmas) {
  const VeSde ve(0.01, 1.0);
  const std::vector<double> t = level_times(5, 0.0);
  ASSERT_EQ(t.size(), 5u);
  const double expect[] = {1.0, std::sqrt(0.1), 0.1, std::sqrt(0.001), 0.01};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(ve.marginal_std(t[static_cast<size_t>(i)]), expect[i], 1e-14) << i;
  EXPECT_NEAR(level_times(3, 0.1)[1], 0.55, 1e-15);
  EXPECT_THROW(level_times(1, 0.0), ValueError);
}

TEST(NoiseProcess, DdpmBetasAreTheLinearSchedule) {
  const std::vector<double> b = ddpm_betas(1000);
  EXPECT_NEAR(b.front(), 1e-4, 1e-18);
  EXPECT_NEAR(b.back(), 0.02, 1e-16);
  EXPECT_NEAR(b[500] - b[499], (0.02 - 1e-4) / 999, 1e-17);
}

TEST(NoiseProcess, PriorAndPerSampleCoefficients) {
  const VeSde ve(0.01, 3.0);
  Generator g(5);
  const Tensor x = ve.sample_prior(Shape{20000, 2}, g, kFloat64);
  const std::vector<double> v = x.to_vector<double>();
  double s = 0, s2 = 0;
  for (double e : v) s += e, s2 += e * e;
  const double n = static_cast<double>(v.size());
  EXPECT_NEAR(s / n, 0.0, 4 * 3.0 / std::sqrt(n));
  EXPECT_NEAR(s2 / n, 9.0, 4 * 9.0 * std::sqrt(2.0 / n));

  const Tensor like = Tensor::zeros(Shape{3, 2, 2}, kFloat32);
  const Tensor c = per_sample(Tensor::from_vector(std::vector<double>{0.0, 0.5, 1.0}), like,
                              [](double t) { return 2 * t + 1; });
  EXPECT_EQ(c.shape(), (Shape{3, 1, 1}));
  EXPECT_EQ(c.dtype(), kFloat32);
  EXPECT_EQ(c.to_vector<double>(), (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_THROW(per_sample(Tensor::zeros(Shape{2}), like, [](double t) { return t; }), ShapeError);
}

TEST(NoiseProcess, BadParametersAndNames) {
  EXPECT_THROW(VeSde(0.0, 1.0), ValueError);
  EXPECT_THROW(VeSde(2.0, 1.0), ValueError);
  EXPECT_THROW(VpSde(-0.1, 20.0), ValueError);
  EXPECT_THROW(VpSde(5.0, 1.0), ValueError);
  EXPECT_THROW(PowerVeSde(1.0), ValueError);
  EXPECT_EQ(make_noise_process("vp", 0.1, 20)->name(), "vp");
  EXPECT_EQ(make_noise_process("ve", 0.01, 50)->prior_std(), 50.0);
  EXPECT_EQ(make_noise_process("ve-power", 25, 0)->name(), "ve-power");
  EXPECT_THROW(make_noise_process("subvp", 0.1, 20), ValueError);
  EXPECT_THROW(VeSde(0.01, 1.0).discretise(0.1, 0.2), ValueError);
}
