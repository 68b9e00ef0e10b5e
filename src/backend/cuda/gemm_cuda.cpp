// CUDA GEMM through cuBLAS. cuBLAS is column-major and we are row-major: a row-major M x N
// matrix with leading dimension ld is, read column-major, its N x M transpose with the same ld.
// So row-major C = op(A) op(B) is computed as column-major C^T = op(B)^T op(A)^T, i.e. cuBLAS
// gets (B, A) in that order with (n, m, k) and the same transpose flags.
//
// Math mode stays CUBLAS_DEFAULT_MATH: float32 is computed in float32 (no TF32), so results
// agree with the CPU up to summation order.
#include <cublas_v2.h>

#include <memory>
#include <mutex>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_util.h"

namespace momenta::backend::cuda {
namespace {

void check_cublas(cublasStatus_t st, const char* api) {
  if (st == CUBLAS_STATUS_SUCCESS) return;
  throw Error(str_cat(api, " failed: ", cublasGetStatusString(st), " (status ", static_cast<int>(st), ")"));
}

// One handle per device, made on first use and never destroyed (cublasDestroy after the CUDA
// runtime shut down at exit would fail). Handles run on the legacy default stream.
cublasHandle_t cublas_handle(int index) {
  static std::mutex mu;
  static auto* handles = new std::vector<cublasHandle_t>();
  std::lock_guard<std::mutex> lock(mu);
  if (handles->size() <= static_cast<size_t>(index)) handles->resize(static_cast<size_t>(index) + 1, nullptr);
  cublasHandle_t& h = (*handles)[static_cast<size_t>(index)];
  if (h == nullptr) {
    DeviceGuard guard(index);
    check_cublas(cublasCreate(&h), "cublasCreate");
    check_cublas(cublasSetPointerMode(h, CUBLAS_POINTER_MODE_HOST), "cublasSetPointerMode");
  }
  return h;
}

// The device that holds `p`; gemm gets raw pointers, so it asks the runtime where they live.
int device_of_pointer(const void* p, const char* operand) {
  cudaPointerAttributes attr{};
  check_cuda(cudaPointerGetAttributes(&attr, p), "cudaPointerGetAttributes");
  check<ValueError>(attr.type == cudaMemoryTypeDevice || attr.type == cudaMemoryTypeManaged,
                    "matmul on CUDA: operand ", operand, " is not in CUDA device memory");
  return attr.device;
}

}  // namespace

void gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const void* a,
          int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
  check<ShapeError>(dtype == DType::kFloat32 || dtype == DType::kFloat64,
                    "matmul on CUDA: expected float32 or float64, got ", dtype_name(dtype));
  check<ShapeError>(m >= 0 && n >= 0 && k >= 0, "matmul on CUDA: negative size M=", m, " N=", n, " K=", k);
  if (m == 0 || n == 0) return;
  const int device = device_of_pointer(c, "C");
  if (k > 0) {
    check<ValueError>(device_of_pointer(a, "A") == device && device_of_pointer(b, "B") == device,
                      "matmul on CUDA: operands on different devices");
  }
  DeviceGuard guard(device);
  cublasHandle_t h = cublas_handle(device);
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  // With k == 0 cuBLAS scales C by beta, as BLAS does; A and B are not read, but their leading
  // dimensions must still be at least 1.
  if (k == 0) {
    lda = lda < 1 ? 1 : lda;
    ldb = ldb < 1 ? 1 : ldb;
  }
  if (dtype == DType::kFloat32) {
    const float al = static_cast<float>(alpha), be = static_cast<float>(beta);
    check_cublas(cublasSgemm_64(h, op_b, op_a, n, m, k, &al, static_cast<const float*>(b), ldb,
                                static_cast<const float*>(a), lda, &be, static_cast<float*>(c), ldc),
                 "cublasSgemm");
  } else {
    check_cublas(cublasDgemm_64(h, op_b, op_a, n, m, k, &alpha, static_cast<const double*>(b), ldb,
                                static_cast<const double*>(a), lda, &beta, static_cast<double*>(c), ldc),
                 "cublasDgemm");
  }
}

}  // namespace momenta::backend::cuda
