// The Frechet distance between Gaussian fits of feature vectors (the "FID" of generative models,
// computed on whatever features the caller supplies):
//
//   d^2 = |mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr( (S_a^{1/2} S_b S_a^{1/2})^{1/2} )
//
// The matrix square roots come from symmetric eigendecompositions (Eigen), in double precision;
// eigenvalues that round-off leaves slightly negative count as zero. The covariance is the sample
// covariance (divided by N - 1). The distance is biased upwards for finite N: compare numbers
// computed from the same number of samples, and report it.
#pragma once

#include <cstdint>
#include <vector>

#include "momenta/tensor.h"

namespace momenta::analysis {

struct GaussianFit {
  int64_t dim = 0;
  int64_t samples = 0;
  std::vector<double> mean;  // [dim]
  std::vector<double> cov;   // [dim, dim], row-major
};

// The mean and sample covariance of the rows of `features` [N, D] (N >= 2, floating, finite);
// ShapeError or ValueError otherwise.
GaussianFit fit_gaussian(const Tensor& features);
// From a mean and a covariance given directly (e.g. closed forms in tests); ValueError unless the
// sizes agree and cov is symmetric.
GaussianFit gaussian(std::vector<double> mean, std::vector<double> cov, int64_t samples = 0);

// d^2 above (the squared distance, as FID is reported); ValueError when the dimensions differ.
double frechet_distance(const GaussianFit& a, const GaussianFit& b);

}  // namespace momenta::analysis
