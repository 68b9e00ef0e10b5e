// Kernels of the seam not yet written for CUDA. Each fails with a NotSupportedError naming the
// op, so a model that reaches one on a GPU says what is missing instead of crashing.
#include "backend/backend.h"

namespace momenta::backend::cuda {
namespace {
[[noreturn]] void not_yet(const char* what) {
  throw NotSupportedError(str_cat(what, " is not implemented on CUDA yet (move the tensor to the CPU with .to(kCPU))"));
}
}  // namespace

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

void batch_norm_stats(const Tensor&, int64_t, const Tensor&, const Tensor&) { not_yet("batch_norm"); }
void batch_norm_apply(const Tensor&, int64_t, const Tensor&, const Tensor&, const Tensor&, const Tensor&, double,
                      const Tensor&, bool, const Tensor&) {
  not_yet("batch_norm");
}
void batch_norm_backward(const Tensor&, int64_t, const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                         const Tensor&, double, bool, const Tensor&, const Tensor&, const Tensor&, const Tensor&) {
  not_yet("batch_norm backward");
}

void group_norm_forward(const Tensor&, int64_t, const Tensor&, const Tensor&, double, const Tensor&, const Tensor&,
                        const Tensor&) {
  not_yet("group_norm");
}
void group_norm_backward(const Tensor&, const Tensor&, int64_t, const Tensor&, const Tensor&, const Tensor&,
                         const Tensor&, const Tensor&, const Tensor&) {
  not_yet("group_norm backward");
}

}  // namespace momenta::backend::cuda
