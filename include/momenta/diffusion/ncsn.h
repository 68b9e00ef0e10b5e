// NCSNv2's techniques for choosing the noise levels and the Langevin step size (Song & Ermon
// 2020, "Improved techniques for training score-based generative models", Sec. 3-4).
//
// - Technique 1: sigma_1 as large as the maximum Euclidean distance between pairs of training
//   points (max_pairwise_distance).
// - Technique 2: sigma_1 > ... > sigma_L geometric with ratio gamma = sigma_{i-1} / sigma_i such
//   that the overlap C(gamma) = Phi(sqrt(2D)(gamma - 1) + 3 gamma) - Phi(sqrt(2D)(gamma - 1) - 3 gamma)
//   is about 0.5 (D the data dimension). C is the probability that the norm of a sample of
//   N(0, sigma_i^2 I), about N(sqrt(D) sigma_i, sigma_i^2 / 2) in high dimension, falls within
//   three of its standard deviations of the norm at level i - 1. The released configurations
//   (CIFAR-10: sigma 50 -> 0.01, L = 232, D = 3072; CelebA 64: 90 -> 0.01, L = 500) have
//   C = 0.567, i.e. slightly denser levels than 0.5 gives (L = 220 and 473).
// - Technique 4: with T Langevin steps per level and step alpha_i = eps sigma_i^2 / sigma_L^2
//   (NCSNv2 Alg. 1: x <- x + alpha_i s(x, sigma_i) + sqrt(2 alpha_i) z), the variance ratio
//   s_T^2 / sigma_i^2 after one level, for data that is a single point, is (their eq. 6)
//     (1 - eps/sigma_L^2)^(2T) (gamma^2 - 2 eps / (sigma_L^2 - sigma_L^2 (1 - eps/sigma_L^2)^2))
//       + 2 eps / (sigma_L^2 - sigma_L^2 (1 - eps/sigma_L^2)^2);
//   choose eps that brings it closest to 1. This reproduces the released step sizes
//   (CIFAR-10 T = 5: 6.2e-6; CelebA: 3.3e-6), see tests/diffusion/ncsn_test.cpp.
// - Technique 5 (EMA of the weights, rate 0.999) is an averager: optim/averager.h.
#pragma once

#include <cstdint>
#include <vector>

#include "momenta/tensor.h"

namespace momenta::diffusion {

// Technique 1: max_{i<j} ||x_i - x_j||_2 over the rows of data [N, ...] (each row flattened),
// in float64. O(N^2 D): pass a subset of a large training set (a few thousand images).
double max_pairwise_distance(const Tensor& data);

// Technique 2: C(gamma) for data of dimension D (gamma >= 1).
double ncsn_overlap(double gamma, int64_t dim);
// The gamma > 1 with C(gamma) = target (0 < target < C(1) = 0.9973), by bisection.
double ncsn_gamma(int64_t dim, double target = 0.5);
// The smallest L whose geometric ratio (sigma_max / sigma_min)^(1 / (L - 1)) is at most
// ncsn_gamma(dim, target): L = ceil(1 + ln(sigma_max / sigma_min) / ln gamma).
int64_t ncsn_num_levels(double sigma_max, double sigma_min, int64_t dim, double target = 0.5);
// sigma_max (sigma_min / sigma_max)^(i / (L - 1)), i = 0..L-1 (L >= 2, 0 < sigma_min < sigma_max).
std::vector<double> geometric_sigmas(double sigma_max, double sigma_min, int64_t levels);

// Technique 4: eq. 6, the variance ratio after T steps at one level (0 < eps < 2 sigma_min^2).
double ald_variance_ratio(double eps, double sigma_min, double gamma, int64_t steps);
// The eps in (0, sigma_min^2) whose ald_variance_ratio is closest to 1 (a log-spaced scan, then
// golden-section refinement; relative accuracy about 1e-9).
double ncsn_step_size(double sigma_min, double gamma, int64_t steps);

}  // namespace momenta::diffusion
