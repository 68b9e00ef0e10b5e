// Stands in for the CUDA backend in a build without CUDA (STYLE habit 7): every entry point
// fails with one clear message instead of a link error or a crash.
#include "backend/backend.h"
#include "momenta/allocator.h"

namespace momenta::backend::cuda {
namespace {
[[noreturn]] void not_built(const char* what) {
  throw NotSupportedError(str_cat(what, ": momenta was built without CUDA (configure with -DMOMENTA_CUDA=ON on a "
                                        "machine with the CUDA toolkit)"));
}
}  // namespace

bool built() { return false; }
int device_count() { return 0; }
std::string no_device_reason() { return "momenta was built without CUDA (configure with -DMOMENTA_CUDA=ON on a machine with the CUDA toolkit and cuDNN)"; }
Allocator& allocator(int) { not_built("CUDA allocation"); }

void unary(UnaryOp, const Tensor&, const Tensor&) { not_built("unary op on CUDA"); }
void binary(BinaryOp, const Tensor&, const Tensor&, const Tensor&) { not_built("binary op on CUDA"); }
void binary_scalar(BinaryOp, const Tensor&, double, bool, const Tensor&) { not_built("binary op on CUDA"); }
void copy(const Tensor&, const Tensor&) { not_built("copy to or from CUDA"); }
void fill(const Tensor&, double) { not_built("fill on CUDA"); }
void add_scaled(const Tensor&, const Tensor&, double) { not_built("add_ on CUDA"); }
void reduce(ReduceOp, const Tensor&, int64_t, int64_t, int64_t, const Tensor&) { not_built("reduction on CUDA"); }
void gemm(DType, bool, bool, int64_t, int64_t, int64_t, double, const void*, int64_t, const void*, int64_t, double,
          void*, int64_t) {
  not_built("matmul on CUDA");
}
void add_row_bias(const Tensor&, const Tensor&) { not_built("bias add on CUDA"); }
void softmax(const Tensor&, int64_t, int64_t, int64_t, bool, const Tensor&) { not_built("softmax on CUDA"); }
void softmax_backward(const Tensor&, const Tensor&, int64_t, int64_t, int64_t, bool, const Tensor&) {
  not_built("softmax on CUDA");
}
double nll_loss(const Tensor&, const Tensor&) { not_built("cross_entropy on CUDA"); }
void cross_entropy_backward(const Tensor&, const Tensor&, double, const Tensor&) { not_built("cross_entropy on CUDA"); }
void fill_random(const Tensor&, RandomKind, double, double, uint64_t, uint64_t) { not_built("random fill on CUDA"); }

int64_t conv2d_workspace_bytes(const Conv2dParams&, const Tensor&) { not_built("conv2d on CUDA"); }
void conv2d_forward(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  not_built("conv2d on CUDA");
}
void conv2d_backward(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                     const Tensor&, const Tensor&) {
  not_built("conv2d backward on CUDA");
}
void pool2d(const Pool2dParams&, const Tensor&, const Tensor&, const Tensor&) { not_built("pooling on CUDA"); }
void pool2d_backward(const Pool2dParams&, const Tensor&, const Tensor&, const Tensor&) {
  not_built("pooling backward on CUDA");
}

void batch_norm_stats(const Tensor&, int64_t, const Tensor&, const Tensor&) { not_built("batch_norm on CUDA"); }
void batch_norm_apply(const Tensor&, int64_t, const Tensor&, const Tensor&, const Tensor&, const Tensor&, double,
                      const Tensor&, bool, const Tensor&) {
  not_built("batch_norm on CUDA");
}
void batch_norm_backward(const Tensor&, int64_t, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                         const Tensor&, double, bool, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  not_built("batch_norm backward on CUDA");
}
void group_norm_forward(const Tensor&, int64_t, const Tensor&, const Tensor&, double, const Tensor&, const Tensor&,
                        const Tensor&) {
  not_built("group_norm on CUDA");
}
void group_norm_backward(const Tensor&, const Tensor&, int64_t, const Tensor&, const Tensor&, const Tensor&,
                         const Tensor&, const Tensor&, const Tensor&) {
  not_built("group_norm backward on CUDA");
}

}  // namespace momenta::backend::cuda
