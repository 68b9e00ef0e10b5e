#include "momenta/diffusion/noise_process.h"

#include <cmath>
#include <limits>

#include "momenta/error.h"

namespace momenta::diffusion {

namespace {

// VE family: x_t = x_s + sqrt(std(t)^2 - std(s)^2) z exactly (Song et al. 2021 eq. 45).
Discretisation ve_discretise(const NoiseProcess& p, double t, double dt) {
  const double a = p.marginal_std(t), b = p.marginal_std(t - dt);
  return {0.0, std::sqrt(std::max(a * a - b * b, 0.0))};
}

void check_step(double t, double dt) {
  check<ValueError>(dt > 0.0 && dt <= t + 1e-12, "diffusion: a reverse step needs 0 < dt <= t, got t = ", t,
                    ", dt = ", dt);
}

bool finite_positive(double v) { return std::isfinite(v) && v > 0.0; }

}  // namespace

Discretisation NoiseProcess::discretise(double t, double dt) const {
  check_step(t, dt);
  return {drift_coef(t) * dt, diffusion(t) * std::sqrt(dt)};
}

Tensor NoiseProcess::sample_prior(const Shape& shape, Generator& gen, DType dtype, Device device) const {
  Tensor x = Tensor::empty(shape, dtype, device);
  normal_(x, 0.0, prior_std(), gen);
  return x;
}

// ---- VE ----
VeSde::VeSde(double sigma_min, double sigma_max) : sigma_min_(sigma_min), sigma_max_(sigma_max) {
  check<ValueError>(finite_positive(sigma_min) && std::isfinite(sigma_max) && sigma_min < sigma_max,
                    "VE SDE: needs 0 < sigma_min < sigma_max, got sigma_min = ", sigma_min, ", sigma_max = ", sigma_max);
}
std::string VeSde::describe() const { return str_cat("VE SDE (sigma_min ", sigma_min_, ", sigma_max ", sigma_max_, ")"); }
double VeSde::sigma(double t) const { return sigma_min_ * std::pow(sigma_max_ / sigma_min_, t); }
double VeSde::diffusion(double t) const { return sigma(t) * std::sqrt(2.0 * std::log(sigma_max_ / sigma_min_)); }
Discretisation VeSde::discretise(double t, double dt) const {
  check_step(t, dt);
  return ve_discretise(*this, t, dt);
}

// ---- VP ----
VpSde::VpSde(double beta_min, double beta_max) : beta_min_(beta_min), beta_max_(beta_max) {
  check<ValueError>(finite_positive(beta_min) && std::isfinite(beta_max) && beta_min <= beta_max,
                    "VP SDE: needs 0 < beta_min <= beta_max, got beta_min = ", beta_min, ", beta_max = ", beta_max);
}
std::string VpSde::describe() const { return str_cat("VP SDE (beta_min ", beta_min_, ", beta_max ", beta_max_, ")"); }
double VpSde::beta(double t) const { return beta_min_ + t * (beta_max_ - beta_min_); }
double VpSde::mean_coef(double t) const {
  return std::exp(-0.5 * (beta_min_ * t + 0.5 * t * t * (beta_max_ - beta_min_)));
}
double VpSde::marginal_std(double t) const {
  const double log_m = -0.5 * (beta_min_ * t + 0.5 * t * t * (beta_max_ - beta_min_));
  return std::sqrt(-std::expm1(2.0 * log_m));  // 1 - m^2 without cancellation at small t
}
double VpSde::diffusion(double t) const { return std::sqrt(beta(t)); }
Discretisation VpSde::discretise(double t, double dt) const {
  check_step(t, dt);
  const double b = std::min(beta(t) * dt, 1.0);
  return {std::sqrt(1.0 - b) - 1.0, std::sqrt(b)};
}

// ---- VE, sigma^t ----
PowerVeSde::PowerVeSde(double sigma) : sigma_(sigma) {
  check<ValueError>(std::isfinite(sigma) && sigma > 1.0, "VE (sigma^t) SDE: needs sigma > 1, got ", sigma);
}
std::string PowerVeSde::describe() const { return str_cat("VE SDE dx = sigma^t dw (sigma ", sigma_, ")"); }
double PowerVeSde::marginal_std(double t) const {
  const double ls = std::log(sigma_);
  return std::sqrt(std::expm1(2.0 * t * ls) / (2.0 * ls));
}
double PowerVeSde::diffusion(double t) const { return std::pow(sigma_, t); }
Discretisation PowerVeSde::discretise(double t, double dt) const {
  check_step(t, dt);
  return ve_discretise(*this, t, dt);
}

std::unique_ptr<NoiseProcess> make_noise_process(const std::string& name, double a, double b) {
  if (name == "ve") return std::make_unique<VeSde>(a, b);
  if (name == "vp") return std::make_unique<VpSde>(a, b);
  if (name == "ve-power") return std::make_unique<PowerVeSde>(a);
  throw ValueError(str_cat("diffusion: unknown noise process '", excerpt(name, 40), "' (expected ve, vp or ve-power)"));
}

std::vector<double> level_times(int64_t levels, double t_min) {
  check<ValueError>(levels >= 2, "diffusion: needs at least 2 noise levels, got ", levels);
  check<ValueError>(t_min >= 0.0 && t_min < 1.0, "diffusion: t_min must be in [0, 1), got ", t_min);
  std::vector<double> t(static_cast<size_t>(levels));
  for (int64_t i = 0; i < levels; ++i)
    t[static_cast<size_t>(i)] = 1.0 - (1.0 - t_min) * static_cast<double>(i) / static_cast<double>(levels - 1);
  return t;
}

std::vector<double> ddpm_betas(int64_t n, double beta_min, double beta_max) {
  check<ValueError>(n >= 2, "ddpm_betas: needs at least 2 steps, got ", n);
  std::vector<double> b(static_cast<size_t>(n));
  const double dn = static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    b[static_cast<size_t>(i)] = beta_min / dn + static_cast<double>(i) * (beta_max - beta_min) / (dn * (dn - 1.0));
  return b;
}

std::vector<double> times_of(const Tensor& t, const Tensor& like) {
  check<ShapeError>(t.defined() && like.defined() && like.dim() >= 1, "diffusion: times and batch must be defined");
  check<ShapeError>(t.dim() == 1 && t.size(0) == like.size(0), "diffusion: times must be [N] with N = ", like.size(0),
                    " (the batch), got ", fmt(t.shape()));
  return t.to_vector<double>();
}

Tensor per_sample_values(const std::vector<double>& v, const Tensor& like) {
  Shape shape(static_cast<size_t>(like.dim()), 1);
  shape[0] = static_cast<int64_t>(v.size());
  Tensor out = Tensor::from_vector(v, shape).to(like.dtype());
  return like.device() == kCPU ? out : out.to(like.device());
}

}  // namespace momenta::diffusion
