// Kernels of the seam not yet written for CUDA. Each fails with a NotSupportedError naming the
// op, so a model that reaches one on a GPU says what is missing instead of crashing.
// Their math (row reductions, softmax, the cross-entropy gradient) is not yet in
// include/momenta/kernels/; it moves there first, so the CUDA versions can share it.
#include "backend/backend.h"

namespace momenta::backend::cuda {
namespace {
[[noreturn]] void not_yet(const char* what) {
  throw NotSupportedError(str_cat(what, " is not implemented on CUDA yet (move the tensor to the CPU with .to(kCPU))"));
}
}  // namespace

void reduce(ReduceOp, const Tensor&, int64_t, int64_t, int64_t, const Tensor&) {
  not_yet("reduction (sum/max/argmax)");
}
void softmax(const Tensor&, int64_t, int64_t, int64_t, bool, const Tensor&) { not_yet("softmax"); }
void softmax_backward(const Tensor&, const Tensor&, int64_t, int64_t, int64_t, bool, const Tensor&) {
  not_yet("softmax backward");
}
double nll_loss(const Tensor&, const Tensor&) { not_yet("cross_entropy (nll_loss)"); }
void cross_entropy_backward(const Tensor&, const Tensor&, double, const Tensor&) {
  not_yet("cross_entropy backward");
}

int64_t conv2d_workspace_bytes(const Conv2dParams&, const Tensor&) { not_yet("conv2d"); }
void conv2d_forward(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  not_yet("conv2d");
}
void conv2d_backward(const Conv2dParams&, const Tensor&, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                     const Tensor&, const Tensor&) {
  not_yet("conv2d backward");
}
void pool2d(const Pool2dParams&, const Tensor&, const Tensor&, const Tensor&) { not_yet("pooling"); }
void pool2d_backward(const Pool2dParams&, const Tensor&, const Tensor&, const Tensor&) {
  not_yet("pooling backward");
}

}  // namespace momenta::backend::cuda
