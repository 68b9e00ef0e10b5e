// Noise processes of score-based diffusion models: how data x0 is perturbed at time t in [0, 1].
//
// Every process here is a linear SDE (Song et al. 2021, "Score-based generative modeling through
// stochastic differential equations", eq. 5):
//     dx = f(t) x dt + g(t) dw,
// whose perturbation kernel is p_t(x | x0) = N(mean_coef(t) x0, std(t)^2 I). All coefficients are
// scalars, so a process is a handful of functions of t; tensors only meet them in the loss and
// the samplers. Legend: N batch, t in [t_min, 1], "score" = grad_x log p_t(x).
//
// - VeSde: variance exploding (NCSN, Song & Ermon 2019/2020; Song et al. 2021 eq. 30):
//   sigma(t) = sigma_min (sigma_max / sigma_min)^t, mean_coef 1, std sigma(t),
//   g(t) = sigma(t) sqrt(2 ln(sigma_max / sigma_min)). The marginal at t is the data perturbed by
//   N(0, sigma(t)^2): t = 0 is the data already perturbed by sigma_min, as in NCSN, so the
//   geometric noise levels sigma_1 > ... > sigma_L of NCSN are exactly sigma(t) on an evenly
//   spaced grid of L times from 1 to 0 (level_times()).
// - VpSde: variance preserving (DDPM, Ho et al. 2020; Song et al. 2021 eq. 32-33):
//   beta(t) = beta_min + t (beta_max - beta_min), f = -beta/2, g = sqrt(beta),
//   mean_coef = exp(-(1/2) int_0^t beta), std = sqrt(1 - mean_coef^2). beta_min = 0.1,
//   beta_max = 20 is DDPM's 1000-step linear schedule 1e-4..0.02 in the continuum (ddpm_betas()).
// - PowerVeSde: the VE SDE of Song's tutorial that the PyTorch twin uses
//   (bench/pytorch/diffusion_unet.py): dx = sigma^t dw, so std(t)^2 = (sigma^(2t) - 1) / (2 ln sigma)
//   and std(0) = 0 (the marginal at t is the clean data perturbed by N(0, std(t)^2)).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "momenta/random.h"
#include "momenta/tensor.h"

namespace momenta::diffusion {

// One reverse-diffusion step's discretisation of the forward process from s = t - dt to t:
// x_t = (1 + F) x_s + G z (Song et al. 2021 App. E, eq. 45-47). VE: F = 0,
// G^2 = std(t)^2 - std(s)^2; VP: F = sqrt(1 - beta(t) dt) - 1, G^2 = beta(t) dt (DDPM's form).
struct Discretisation {
  double F = 0.0;
  double G = 0.0;
};

class NoiseProcess {
 public:
  virtual ~NoiseProcess() = default;
  // "ve", "vp" or "ve-power", and the parameters, for logs and reports.
  virtual std::string name() const = 0;
  virtual std::string describe() const = 0;

  // p_t(x | x0) = N(mean_coef(t) x0, marginal_std(t)^2 I); "std" in comments below.
  virtual double mean_coef(double t) const = 0;
  virtual double marginal_std(double t) const = 0;
  // Forward SDE dx = drift_coef(t) x dt + diffusion(t) dw.
  virtual double drift_coef(double t) const = 0;
  virtual double diffusion(double t) const = 0;
  // The reverse-diffusion predictor's step from t to t - dt (0 < dt <= t).
  virtual Discretisation discretise(double t, double dt) const;

  // The prior p_1 that sampling starts from: N(0, prior_std^2 I) (VE: sigma_max; VP: 1).
  virtual double prior_std() const = 0;
  // The smallest time training and sampling use by default: VE 0 (std sigma_min > 0); VP and
  // PowerVe 1e-3 (their std vanishes at 0, and the score with it would be unbounded).
  virtual double default_t_min() const = 0;
  // True when mean_coef(t) == 1 for every t (the VE family): annealed Langevin dynamics needs it.
  virtual bool variance_exploding() const = 0;

  // x ~ N(0, prior_std^2 I) of `shape`, in `dtype` on `device`, from `gen`.
  Tensor sample_prior(const Shape& shape, Generator& gen, DType dtype = kFloat32, Device device = kCPU) const;
};

class VeSde final : public NoiseProcess {
 public:
  // ValueError unless 0 < sigma_min < sigma_max (finite).
  VeSde(double sigma_min, double sigma_max);
  std::string name() const override { return "ve"; }
  std::string describe() const override;
  double sigma(double t) const;
  double mean_coef(double) const override { return 1.0; }
  double marginal_std(double t) const override { return sigma(t); }
  double drift_coef(double) const override { return 0.0; }
  double diffusion(double t) const override;
  Discretisation discretise(double t, double dt) const override;
  double prior_std() const override { return sigma_max_; }
  double default_t_min() const override { return 0.0; }
  bool variance_exploding() const override { return true; }
  double sigma_min() const { return sigma_min_; }
  double sigma_max() const { return sigma_max_; }

 private:
  double sigma_min_, sigma_max_;
};

class VpSde final : public NoiseProcess {
 public:
  // ValueError unless 0 < beta_min <= beta_max (finite).
  VpSde(double beta_min = 0.1, double beta_max = 20.0);
  std::string name() const override { return "vp"; }
  std::string describe() const override;
  double beta(double t) const;
  double mean_coef(double t) const override;
  double marginal_std(double t) const override;
  double drift_coef(double t) const override { return -0.5 * beta(t); }
  double diffusion(double t) const override;
  Discretisation discretise(double t, double dt) const override;
  double prior_std() const override { return 1.0; }
  double default_t_min() const override { return 1e-3; }
  bool variance_exploding() const override { return false; }

 private:
  double beta_min_, beta_max_;
};

class PowerVeSde final : public NoiseProcess {
 public:
  // ValueError unless sigma > 1 (finite). The twin uses sigma = 25.
  explicit PowerVeSde(double sigma = 25.0);
  std::string name() const override { return "ve-power"; }
  std::string describe() const override;
  double mean_coef(double) const override { return 1.0; }
  double marginal_std(double t) const override;
  double drift_coef(double) const override { return 0.0; }
  double diffusion(double t) const override;
  Discretisation discretise(double t, double dt) const override;
  double prior_std() const override { return marginal_std(1.0); }
  double default_t_min() const override { return 1e-3; }
  bool variance_exploding() const override { return true; }

 private:
  double sigma_;
};

// A process by name: "ve" (sigma_min, sigma_max), "vp" (beta_min, beta_max) or "ve-power"
// (sigma; b unused). ValueError names the known processes.
std::unique_ptr<NoiseProcess> make_noise_process(const std::string& name, double a, double b);

// L times from 1 down to t_min, evenly spaced (L >= 2): the noise levels of NCSN for a VeSde
// with t_min = 0 (std(level_times[i]) = sigma_max (sigma_min / sigma_max)^(i / (L - 1))).
std::vector<double> level_times(int64_t levels, double t_min);

// DDPM's discrete linear schedule beta_i = beta_min / n + i (beta_max - beta_min) / (n (n - 1)),
// i = 0..n-1: the VP SDE discretised at n steps (Song et al. 2021 eq. 32, beta_i = beta(i/n)/n).
std::vector<double> ddpm_betas(int64_t n, double beta_min = 0.1, double beta_max = 20.0);

// [N] times -> [N, 1, ..., 1] tensor of fn(t_i), of like's rank, dtype and device: a
// per-sample coefficient that broadcasts against a batch like `like`.
template <class Fn>
Tensor per_sample(const Tensor& t, const Tensor& like, Fn fn);

// Host copy of a [N] time tensor, checked: ShapeError unless t is 1-D with like.size(0) entries.
std::vector<double> times_of(const Tensor& t, const Tensor& like);
Tensor per_sample_values(const std::vector<double>& v, const Tensor& like);

template <class Fn>
Tensor per_sample(const Tensor& t, const Tensor& like, Fn fn) {
  std::vector<double> v = times_of(t, like);
  for (double& x : v) x = fn(x);
  return per_sample_values(v, like);
}

}  // namespace momenta::diffusion
