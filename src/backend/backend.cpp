#include "backend/backend.h"

#include "backend/cpu/conv_onednn.h"

namespace momenta::backend {

namespace {
// Every operand of one kernel call must live on one device.
Device device_of(const Tensor& first, std::initializer_list<const Tensor*> others, const char* what) {
  const Device d = first.device();
  for (const Tensor* t : others) {
    check<ValueError>(t->device() == d, what, ": tensors on different devices (", d.str(), " and ",
                      t->device().str(), ")");
  }
  return d;
}
}  // namespace

void unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  if (device_of(x, {&out}, "unary").is_cpu()) return cpu::unary(op, x, out);
  cuda::unary(op, x, out);
}
void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  if (device_of(a, {&b, &out}, "binary").is_cpu()) return cpu::binary(op, a, b, out);
  cuda::binary(op, a, b, out);
}
void binary_scalar(BinaryOp op, const Tensor& a, double s, bool scalar_first, const Tensor& out) {
  if (device_of(a, {&out}, "binary").is_cpu()) return cpu::binary_scalar(op, a, s, scalar_first, out);
  cuda::binary_scalar(op, a, s, scalar_first, out);
}
void copy(const Tensor& src, const Tensor& dst) {
  const bool src_cpu = src.device().is_cpu(), dst_cpu = dst.device().is_cpu();
  if (src_cpu && dst_cpu) return cpu::copy(src, dst);
  cuda::copy(src, dst);  // the CUDA backend owns every transfer that touches a GPU
}
void fill(const Tensor& dst, double value) {
  if (dst.device().is_cpu()) return cpu::fill(dst, value);
  cuda::fill(dst, value);
}
void add_scaled(const Tensor& dst, const Tensor& src, double alpha) {
  if (device_of(dst, {&src}, "add_").is_cpu()) return cpu::add_scaled(dst, src, alpha);
  cuda::add_scaled(dst, src, alpha);
}
void reduce(ReduceOp op, const Tensor& x, int64_t outer, int64_t n, int64_t inner, const Tensor& out) {
  if (device_of(x, {&out}, "reduce").is_cpu()) return cpu::reduce(op, x, outer, n, inner, out);
  cuda::reduce(op, x, outer, n, inner, out);
}
void gemm(DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const void* a,
          int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
  cpu::gemm(dtype, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void gemm_on(Device device, DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
             const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
  if (device.is_cpu()) return cpu::gemm(dtype, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  cuda::gemm(dtype, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
int64_t preferred_channel_block(Device device, DType dtype) {
  return device.is_cpu() && dtype == kFloat32 ? cpu::onednn_channel_block() : 0;  // cuDNN: plain layouts
}
void add_row_bias(const Tensor& out, const Tensor& bias) {
  if (device_of(out, {&bias}, "add_row_bias").is_cpu()) return cpu::add_row_bias(out, bias);
  cuda::add_row_bias(out, bias);
}
void softmax(const Tensor& x, int64_t outer, int64_t n, int64_t inner, bool log, const Tensor& out) {
  if (device_of(x, {&out}, "softmax").is_cpu()) return cpu::softmax(x, outer, n, inner, log, out);
  cuda::softmax(x, outer, n, inner, log, out);
}
void softmax_backward(const Tensor& y, const Tensor& gy, int64_t outer, int64_t n, int64_t inner, bool log,
                      const Tensor& gx) {
  if (device_of(y, {&gy, &gx}, "softmax_backward").is_cpu())
    return cpu::softmax_backward(y, gy, outer, n, inner, log, gx);
  cuda::softmax_backward(y, gy, outer, n, inner, log, gx);
}
double nll_loss(const Tensor& logp, const Tensor& target) {
  if (device_of(logp, {&target}, "cross_entropy").is_cpu()) return cpu::nll_loss(logp, target);
  return cuda::nll_loss(logp, target);
}
void cross_entropy_backward(const Tensor& logp, const Tensor& target, double scale, const Tensor& gx) {
  if (device_of(logp, {&target, &gx}, "cross_entropy").is_cpu())
    return cpu::cross_entropy_backward(logp, target, scale, gx);
  cuda::cross_entropy_backward(logp, target, scale, gx);
}
void fill_random(const Tensor& t, RandomKind kind, double a, double b, uint64_t seed, uint64_t offset) {
  if (t.device().is_cpu()) return cpu::fill_random(t, kind, a, b, seed, offset);
  cuda::fill_random(t, kind, a, b, seed, offset);
}

int64_t conv2d_workspace_bytes(const Conv2dParams& p, const Tensor& x) {
  if (x.device().is_cpu()) return cpu::conv2d_workspace_bytes(p, x);
  return cuda::conv2d_workspace_bytes(p, x);
}
void conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y,
                    const Tensor& workspace) {
  if (device_of(x, {&w, &y}, "conv2d").is_cpu()) return cpu::conv2d_forward(p, x, w, bias, y, workspace);
  cuda::conv2d_forward(p, x, w, bias, y, workspace);
}
void conv2d_backward(const Conv2dParams& p, const Tensor& x, const Tensor& workspace, const Tensor& gy,
                     const Tensor& w, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  if (device_of(gy, {&w}, "conv2d backward").is_cpu()) return cpu::conv2d_backward(p, x, workspace, gy, w, gx, gw, gb);
  cuda::conv2d_backward(p, x, workspace, gy, w, gx, gw, gb);
}
void pool2d(const Pool2dParams& p, const Tensor& x, const Tensor& y, const Tensor& indices) {
  if (device_of(x, {&y}, "pool2d").is_cpu()) return cpu::pool2d(p, x, y, indices);
  cuda::pool2d(p, x, y, indices);
}
void pool2d_backward(const Pool2dParams& p, const Tensor& gy, const Tensor& indices, const Tensor& gx) {
  if (device_of(gy, {&gx}, "pool2d backward").is_cpu()) return cpu::pool2d_backward(p, gy, indices, gx);
  cuda::pool2d_backward(p, gy, indices, gx);
}

void batch_norm_stats(const Tensor& x, int64_t lanes, const Tensor& mean, const Tensor& var) {
  if (device_of(x, {&mean, &var}, "batch_norm").is_cpu()) return cpu::batch_norm_stats(x, lanes, mean, var);
  cuda::batch_norm_stats(x, lanes, mean, var);
}
void batch_norm_apply(const Tensor& x, int64_t lanes, const Tensor& mean, const Tensor& var, const Tensor& weight,
                      const Tensor& bias, double eps, const Tensor& residual, bool relu, const Tensor& y) {
  if (device_of(x, {&mean, &var, &y}, "batch_norm").is_cpu())
    return cpu::batch_norm_apply(x, lanes, mean, var, weight, bias, eps, residual, relu, y);
  cuda::batch_norm_apply(x, lanes, mean, var, weight, bias, eps, residual, relu, y);
}
void batch_norm_backward(const Tensor& x, int64_t lanes, const Tensor& gy, const Tensor& y_relu, const Tensor& mean,
                         const Tensor& var, const Tensor& weight, double eps, bool batch_stats, const Tensor& gx,
                         const Tensor& gw, const Tensor& gb, const Tensor& g_residual) {
  if (device_of(x, {&gy, &mean, &var}, "batch_norm backward").is_cpu())
    return cpu::batch_norm_backward(x, lanes, gy, y_relu, mean, var, weight, eps, batch_stats, gx, gw, gb, g_residual);
  cuda::batch_norm_backward(x, lanes, gy, y_relu, mean, var, weight, eps, batch_stats, gx, gw, gb, g_residual);
}

void group_norm_forward(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  if (device_of(x, {&y, &mean, &rstd}, "group_norm").is_cpu())
    return cpu::group_norm_forward(x, groups, weight, bias, eps, y, mean, rstd);
  cuda::group_norm_forward(x, groups, weight, bias, eps, y, mean, rstd);
}
void group_norm_backward(const Tensor& x, const Tensor& gy, int64_t groups, const Tensor& mean, const Tensor& rstd,
                         const Tensor& weight, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  if (device_of(x, {&gy, &mean, &rstd}, "group_norm backward").is_cpu())
    return cpu::group_norm_backward(x, gy, groups, mean, rstd, weight, gx, gw, gb);
  cuda::group_norm_backward(x, gy, groups, mean, rstd, weight, gx, gw, gb);
}

}  // namespace momenta::backend
