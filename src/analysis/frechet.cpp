#include "momenta/analysis/frechet.h"

#include <Eigen/Dense>

#include <cmath>

#include "momenta/error.h"

namespace momenta::analysis {
namespace {

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Eigen::Map<const Matrix> as_matrix(const GaussianFit& g) { return {g.cov.data(), g.dim, g.dim}; }

// The PSD square root of a symmetric matrix: V sqrt(max(L, 0)) V^T.
Matrix psd_sqrt(const Matrix& m) {
  const Eigen::SelfAdjointEigenSolver<Matrix> es(m);
  check<ValueError>(es.info() == Eigen::Success, "Frechet distance: the eigendecomposition did not converge");
  const Eigen::VectorXd root = es.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return es.eigenvectors() * root.asDiagonal() * es.eigenvectors().transpose();
}

}  // namespace

GaussianFit fit_gaussian(const Tensor& features) {
  check<ShapeError>(features.dim() == 2 && features.size(0) >= 2 && features.size(1) >= 1 &&
                        is_floating(features.dtype()),
                    "Gaussian fit: expected floating features [N, D] with N >= 2, got ", fmt(features.shape()));
  const int64_t n = features.size(0), d = features.size(1);
  const auto v = features.to(kCPU).to(kFloat64).contiguous().to_vector<double>();
  for (double x : v) check<ValueError>(std::isfinite(x), "Gaussian fit: the features hold a non-finite value");
  const Eigen::Map<const Matrix> x(v.data(), n, d);
  const Eigen::RowVectorXd mu = x.colwise().mean();
  const Matrix centred = x.rowwise() - mu;
  const Matrix cov = (centred.transpose() * centred) / static_cast<double>(n - 1);
  GaussianFit g;
  g.dim = d;
  g.samples = n;
  g.mean.assign(mu.data(), mu.data() + d);
  g.cov.assign(cov.data(), cov.data() + d * d);
  return g;
}

GaussianFit gaussian(std::vector<double> mean, std::vector<double> cov, int64_t samples) {
  const auto d = static_cast<int64_t>(mean.size());
  check<ValueError>(d >= 1 && cov.size() == mean.size() * mean.size(), "Gaussian: a mean of ", d,
                    " values needs a covariance of ", d * d, ", got ", cov.size());
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < i; ++j)
      check<ValueError>(cov[static_cast<size_t>(i * d + j)] == cov[static_cast<size_t>(j * d + i)],
                        "Gaussian: the covariance is not symmetric at (", i, ", ", j, ")");
  GaussianFit g;
  g.dim = d;
  g.samples = samples;
  g.mean = std::move(mean);
  g.cov = std::move(cov);
  return g;
}

double frechet_distance(const GaussianFit& a, const GaussianFit& b) {
  check<ValueError>(a.dim == b.dim && a.dim >= 1, "Frechet distance: the fits have dimensions ", a.dim, " and ", b.dim);
  const Eigen::Map<const Eigen::VectorXd> ma(a.mean.data(), a.dim), mb(b.mean.data(), b.dim);
  const Matrix sa = as_matrix(a), sb = as_matrix(b);
  const Matrix ra = psd_sqrt(sa);
  const Matrix m = ra * sb * ra;
  const Matrix sym = 0.5 * (m + m.transpose());  // symmetric up to round-off; make it exactly so
  const Eigen::SelfAdjointEigenSolver<Matrix> es(sym, Eigen::EigenvaluesOnly);
  check<ValueError>(es.info() == Eigen::Success, "Frechet distance: the eigendecomposition did not converge");
  const double tr_sqrt = es.eigenvalues().cwiseMax(0.0).cwiseSqrt().sum();
  return (ma - mb).squaredNorm() + sa.trace() + sb.trace() - 2.0 * tr_sqrt;
}

}  // namespace momenta::analysis
