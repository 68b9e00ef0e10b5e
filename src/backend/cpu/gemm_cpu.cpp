// CPU GEMM. float32 goes to oneDNN's dnnl_sgemm (row-major; the fastest sgemm measured on this
// machine, see BENCHMARKING.md). oneDNN has no float64 GEMM, so float64 (gradient checks,
// golden tests) uses a plain cache-blocked kernel: correct first, adequate for small shapes.
#include <dnnl.h>

#include <algorithm>

#include "backend/backend.h"
#include "backend/cpu/strided_loop.h"

namespace momenta::backend::cpu {
namespace {

void dgemm_simple(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
                  const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  auto A = [&](int64_t i, int64_t p) { return ta ? a[p * lda + i] : a[i * lda + p]; };
  auto B = [&](int64_t p, int64_t j) { return tb ? b[j * ldb + p] : b[p * ldb + j]; };
  parallel_for(m, n * k, [&](int64_t i0, int64_t i1) {
    std::vector<double> row(static_cast<size_t>(n));
    for (int64_t i = i0; i < i1; ++i) {
      std::fill(row.begin(), row.end(), 0.0);
      for (int64_t p = 0; p < k; ++p) {
        const double av = A(i, p);
        if (av == 0.0) continue;
        if (!tb) {
          const double* brow = b + p * ldb;
          for (int64_t j = 0; j < n; ++j) row[j] += av * brow[j];
        } else {
          for (int64_t j = 0; j < n; ++j) row[j] += av * B(p, j);
        }
      }
      double* crow = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) crow[j] = alpha * row[j] + (beta == 0.0 ? 0.0 : beta * crow[j]);
    }
  });
}

}  // namespace

void gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const void* a,
          int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (dtype == DType::kFloat32) {
    if (k == 0) {  // oneDNN rejects K = 0; the product is empty
      float* cp = static_cast<float*>(c);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) cp[i * ldc + j] = beta == 0.0 ? 0.f : static_cast<float>(beta) * cp[i * ldc + j];
      return;
    }
    const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, static_cast<float>(alpha),
                                        static_cast<const float*>(a), lda, static_cast<const float*>(b), ldb,
                                        static_cast<float>(beta), static_cast<float*>(c), ldc);
    check<Error>(st == dnnl_success, "dnnl_sgemm failed with status ", static_cast<int>(st), " for M=", m, " N=", n,
                 " K=", k);
    return;
  }
  if (dtype == DType::kFloat64) {
    dgemm_simple(trans_a, trans_b, m, n, k, alpha, static_cast<const double*>(a), lda, static_cast<const double*>(b),
                 ldb, beta, static_cast<double*>(c), ldc);
    return;
  }
  throw ShapeError(str_cat("matmul: expected float32 or float64, got ", dtype_name(dtype)));
}

}  // namespace momenta::backend::cpu
