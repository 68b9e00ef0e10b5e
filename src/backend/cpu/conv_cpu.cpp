// CPU 2-D convolution. Two implementations behind one kernel:
//  * im2col + GEMM: each image's receptive fields are unrolled into a [C/G*R*S, P*Q] matrix and
//    multiplied by the weight on the backend GEMM (dnnl_sgemm in float32, the engine's own GEMM
//    in float64). It is the reference the fast path is tested against and the float64 path of the
//    gradient checks.
//  * oneDNN (conv_onednn.cpp): float32 only, the default for float32 (ConvAlgo::kAuto).
//   forward:        y_g = W_g @ col(x_g)
//   backward data:  gx_g = col2im(W_g^T @ gy_g)
//   backward weights: gW_g = sum_n gy_g @ col(x_g)^T,  gb = sum_{n,p,q} gy
#include <algorithm>
#include <cstring>

#include "backend/backend.h"
#include "backend/cpu/conv_onednn.h"
#include "backend/cpu/strided_loop.h"

namespace momenta::backend::cpu {
namespace {

int64_t group_in(const Conv2dParams& p) { return p.c / p.groups; }
int64_t group_out(const Conv2dParams& p) { return p.k / p.groups; }
int64_t col_rows(const Conv2dParams& p) { return group_in(p) * p.r * p.s; }

// A 1x1 kernel with unit stride and no padding reads the input as it is: no unrolling needed.
bool is_pointwise(const Conv2dParams& p) {
  return p.r == 1 && p.s == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
}

// col[(c*R + r)*S + s, oh*Q + ow] = x[c, oh*sh - ph + r*dh, ow*sw - pw + s*dw] (0 outside).
template <class T>
void im2col(const Conv2dParams& p, const T* x, T* col) {
  const int64_t rows = col_rows(p), pq = p.p * p.q;
  parallel_for(rows, pq, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t c = row / (p.r * p.s), r = (row / p.s) % p.r, s = row % p.s;
      T* dst = col + row * pq;
      for (int64_t oh = 0; oh < p.p; ++oh) {
        const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dil_h;
        T* d = dst + oh * p.q;
        if (ih < 0 || ih >= p.h) {
          std::fill(d, d + p.q, T(0));
          continue;
        }
        const T* src = x + (c * p.h + ih) * p.w;
        for (int64_t ow = 0; ow < p.q; ++ow) {
          const int64_t iw = ow * p.stride_w - p.pad_w + s * p.dil_w;
          d[ow] = (iw >= 0 && iw < p.w) ? src[iw] : T(0);
        }
      }
    }
  });
}

// The adjoint of im2col: x[c, ih, iw] = sum of the col entries that read it. Threads own channels,
// so no two write the same element.
template <class T>
void col2im(const Conv2dParams& p, const T* col, T* x) {
  const int64_t cg = group_in(p), pq = p.p * p.q;
  parallel_for(cg, p.r * p.s * pq, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      T* xc = x + c * p.h * p.w;
      std::fill(xc, xc + p.h * p.w, T(0));
      for (int64_t r = 0; r < p.r; ++r) {
        for (int64_t s = 0; s < p.s; ++s) {
          const T* src = col + ((c * p.r + r) * p.s + s) * pq;
          for (int64_t oh = 0; oh < p.p; ++oh) {
            const int64_t ih = oh * p.stride_h - p.pad_h + r * p.dil_h;
            if (ih < 0 || ih >= p.h) continue;
            T* row = xc + ih * p.w;
            for (int64_t ow = 0; ow < p.q; ++ow) {
              const int64_t iw = ow * p.stride_w - p.pad_w + s * p.dil_w;
              if (iw >= 0 && iw < p.w) row[iw] += src[oh * p.q + ow];
            }
          }
        }
      }
    }
  });
}

template <class T>
void forward_im2col(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y) {
  const int64_t cg = group_in(p), kg = group_out(p), rows = col_rows(p), pq = p.p * p.q;
  const bool pointwise = is_pointwise(p);
  Tensor col = pointwise ? Tensor() : Tensor::empty({rows, pq}, x.dtype());
  const T* xp = x.data<T>();
  const T* wp = w.data<T>();
  T* yp = y.data<T>();
  for (int64_t n = 0; n < p.n; ++n) {
    for (int64_t g = 0; g < p.groups; ++g) {
      const T* xg = xp + (n * p.c + g * cg) * p.h * p.w;
      const T* colp = xg;
      if (!pointwise) {
        im2col(p, xg, col.data<T>());
        colp = col.data<T>();
      }
      gemm(x.dtype(), false, false, kg, pq, rows, 1.0, wp + g * kg * rows, rows, colp, pq, 0.0,
           yp + (n * p.k + g * kg) * pq, pq);
    }
  }
  if (!bias.defined()) return;
  const T* bp = bias.data<T>();
  parallel_for(p.n * p.k, pq, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T v = bp[i % p.k];
      T* row = yp + i * pq;
      for (int64_t j = 0; j < pq; ++j) row[j] += v;
    }
  });
}

template <class T>
void backward_data_im2col(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx) {
  const int64_t cg = group_in(p), kg = group_out(p), rows = col_rows(p), pq = p.p * p.q;
  const bool pointwise = is_pointwise(p);
  Tensor col = pointwise ? Tensor() : Tensor::empty({rows, pq}, gy.dtype());
  const T* gyp = gy.data<T>();
  const T* wp = w.data<T>();
  T* gxp = gx.data<T>();
  for (int64_t n = 0; n < p.n; ++n) {
    for (int64_t g = 0; g < p.groups; ++g) {
      T* gxg = gxp + (n * p.c + g * cg) * p.h * p.w;
      T* colp = pointwise ? gxg : col.data<T>();
      gemm(gy.dtype(), true, false, rows, pq, kg, 1.0, wp + g * kg * rows, rows, gyp + (n * p.k + g * kg) * pq, pq,
           0.0, colp, pq);
      if (!pointwise) col2im(p, colp, gxg);
    }
  }
}

template <class T>
void backward_weights_im2col(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                             const Tensor& gb) {
  const int64_t cg = group_in(p), kg = group_out(p), rows = col_rows(p), pq = p.p * p.q;
  const bool pointwise = is_pointwise(p);
  Tensor col = pointwise ? Tensor() : Tensor::empty({rows, pq}, x.dtype());
  const T* xp = x.data<T>();
  const T* gyp = gy.data<T>();
  T* gwp = gw.data<T>();
  if (p.n == 0) std::fill(gwp, gwp + gw.numel(), T(0));
  for (int64_t n = 0; n < p.n; ++n) {
    for (int64_t g = 0; g < p.groups; ++g) {
      const T* xg = xp + (n * p.c + g * cg) * p.h * p.w;
      const T* colp = xg;
      if (!pointwise) {
        im2col(p, xg, col.data<T>());
        colp = col.data<T>();
      }
      gemm(x.dtype(), false, true, kg, rows, pq, 1.0, gyp + (n * p.k + g * kg) * pq, pq, colp, pq, n == 0 ? 0.0 : 1.0,
           gwp + g * kg * rows, rows);
    }
  }
  if (!gb.defined()) return;
  T* gbp = gb.data<T>();
  parallel_for(p.k, p.n * pq, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      double acc = 0.0;
      for (int64_t n = 0; n < p.n; ++n) {
        const T* row = gyp + (n * p.k + k) * pq;
        for (int64_t j = 0; j < pq; ++j) acc += row[j];
      }
      gbp[k] = static_cast<T>(acc);
    }
  });
}

// Channel-blocked operands on the im2col path: converted to NCHW copies around the plain kernels
// (it is the reference path; the fast one reads blocked layouts natively). A blocked
// [N, C/L, H, W, L] buffer read as [N, C/L, L, H, W] through permuted strides is the NCHW image,
// so the engine's strided copy converts both ways.
Tensor nchw_view(const Tensor& blocked, int64_t block, int64_t n, int64_t c, int64_t h, int64_t w) {
  return blocked.reshape({n, c / block, h, w, block}).permute({0, 1, 4, 2, 3});
}

// An NCHW version of a possibly blocked operand: t itself, or a converted copy.
Tensor as_plain(const Tensor& t, int64_t block, int64_t n, int64_t c, int64_t h, int64_t w) {
  if (block == 0 || !t.defined()) return t;
  Tensor plain = Tensor::empty({n, c, h, w}, t.dtype());
  copy(nchw_view(t, block, n, c, h, w), plain.reshape({n, c / block, block, h, w}));
  return plain;
}
// Where a plain kernel writes a result that belongs in `t`: t itself, or a plain scratch that
// store_blocked() then converts into t.
Tensor plain_target(const Tensor& t, int64_t block, int64_t n, int64_t c, int64_t h, int64_t w) {
  return block == 0 || !t.defined() ? t : Tensor::empty({n, c, h, w}, t.dtype());
}
void store_blocked(const Tensor& plain, const Tensor& t, int64_t block, int64_t n, int64_t c, int64_t h, int64_t w) {
  if (block == 0 || !t.defined()) return;
  copy(plain.reshape({n, c / block, block, h, w}), nchw_view(t, block, n, c, h, w));
}

bool use_onednn(const Conv2dParams& p, DType dtype) {
  if (dtype != kFloat32 || p.algo == ConvAlgo::kIm2col) return false;
  const bool ok = onednn_supports(p);
  check<NotSupportedError>(ok || p.algo != ConvAlgo::kOneDnn, "conv2d: oneDNN cannot run this geometry (C=", p.c,
                           " H=", p.h, " W=", p.w, " K=", p.k, " R=", p.r, " S=", p.s, ", input block ", p.in_block,
                           ", output block ", p.out_block, "; it reads blocks of 4, 8 or 16 channels)");
  return ok;
}

}  // namespace

int64_t conv2d_workspace_bytes(const Conv2dParams& p, const Tensor& x) {
  return use_onednn(p, x.dtype()) ? onednn_workspace_bytes(p) : 0;
}

void conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y,
                    const Tensor& workspace) {
  if (use_onednn(p, x.dtype())) return onednn_conv_forward(p, x, w, bias, y, workspace);
  const Tensor xp = as_plain(x, p.in_block, p.n, p.c, p.h, p.w), yp = plain_target(y, p.out_block, p.n, p.k, p.p, p.q);
  dispatch_floating(x.dtype(), "conv2d", [&](auto t) { forward_im2col<decltype(t)>(p, xp, w, bias, yp); });
  store_blocked(yp, y, p.out_block, p.n, p.k, p.p, p.q);
}

void conv2d_backward(const Conv2dParams& p, const Tensor& x, const Tensor& workspace, const Tensor& gy,
                     const Tensor& w, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  check<ValueError>(!gw.defined() || gb.defined() == p.has_bias,
                    "conv2d backward: the bias gradient must be computed together with the weight gradient");
  if (use_onednn(p, gy.dtype())) return onednn_conv_backward(p, x, workspace, gy, w, gx, gw, gb);
  const Tensor gyp = as_plain(gy, p.out_block, p.n, p.k, p.p, p.q);
  const Tensor xp = gw.defined() ? as_plain(x, p.in_block, p.n, p.c, p.h, p.w) : Tensor();
  const Tensor gxp = plain_target(gx, p.in_block, p.n, p.c, p.h, p.w);
  dispatch_floating(gy.dtype(), "conv2d", [&](auto t) {
    using T = decltype(t);
    if (gxp.defined()) backward_data_im2col<T>(p, gyp, w, gxp);
    if (gw.defined()) backward_weights_im2col<T>(p, xp, gyp, gw, gb);
  });
  store_blocked(gxp, gx, p.in_block, p.n, p.c, p.h, p.w);
}

}  // namespace momenta::backend::cpu
