// CPU GEMM. float32 goes to oneDNN's dnnl_sgemm (row-major; the fastest sgemm measured on this
// machine, see BENCHMARKING.md). oneDNN has no float64 GEMM, so float64 (gradient checks,
// golden tests) uses a plain cache-blocked kernel: correct first, adequate for small shapes.
#include <dnnl.h>

#include <algorithm>
#include <exception>

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
    const float* af = static_cast<const float*>(a);
    const float* bf = static_cast<const float*>(b);
    float* cf = static_cast<float*>(c);
    auto sgemm = [&](int64_t row0, int64_t rows) {
      // Rows row0.. of C come from rows (or, transposed, columns) row0.. of A.
      const float* a_rows = af + (trans_a ? row0 : row0 * lda);
      const dnnl_status_t st = dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', rows, n, k, static_cast<float>(alpha),
                                          a_rows, lda, bf, ldb, static_cast<float>(beta), cf + row0 * ldc, ldc);
      check<Error>(st == dnnl_success, "dnnl_sgemm failed with status ", static_cast<int>(st), " for M=", rows,
                   " N=", n, " K=", k);
    };
    // NOTE [tall-skinny sgemm]: for a tall C with few columns (a full-batch layer such as
    // 60000 x 784 @ 784 x 30) oneDNN's own threading reached ~72 GFLOP/s here; splitting the rows
    // into blocks, each a single-threaded sgemm, reached ~100 (bench/mlp_step, full batch).
    constexpr int64_t kRowBlock = 1024;
    if (m >= 4 * kRowBlock && n <= 128 && omp_get_max_threads() > 1 && !omp_in_parallel()) {
      const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
      std::exception_ptr error;
#pragma omp parallel for schedule(dynamic)
      for (int64_t blk = 0; blk < blocks; ++blk) {
        try {
          const int64_t r0 = blk * kRowBlock;
          sgemm(r0, std::min(kRowBlock, m - r0));
        } catch (...) {
#pragma omp critical
          error = std::current_exception();
        }
      }
      if (error) std::rethrow_exception(error);
      return;
    }
    sgemm(0, m);
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
