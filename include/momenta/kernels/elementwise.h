// Per-element math of the elementwise ops and their derivatives, shared by the CPU loops and
// the CUDA kernels. Each functor is stateless; a backend picks one per op outside its loop.
//
// NOTE [NaN propagation]: as in PyTorch, relu, maximum, minimum (and max pooling, max reductions)
// return NaN when an input is NaN, so a broken value reaches the loss and the finiteness check of
// the optimizer instead of turning into 0 or into the other operand. Each is one comparison and
// one select (written so that the comparison is false for NaN), which vectorises as before.
#pragma once

#include <cmath>
#include <type_traits>

#include "momenta/kernels/common.h"
#include "momenta/kernels/mathfn.h"

namespace momenta::kernels {

// ---- unary ----
struct NegOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return -x; }
};
struct ExpOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return std::exp(x); }
};
struct LogOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return std::log(x); }
};
struct SqrtOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return std::sqrt(x); }
};
struct AbsOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return x < T(0) ? -x : x; }
};
struct SquareOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return x * x; }
};
struct SignOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0)); }
};
struct ReluOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return x <= T(0) ? T(0) : x; }  // NaN: NaN
};
struct SigmoidOp {
  // Written so that neither branch overflows exp for large |x|.
  template <class T>
  MOMENTA_HD T operator()(T x) const {
    if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
    const T e = std::exp(x);
    return e / (T(1) + e);
  }
};
struct TanhOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return std::tanh(x); }
};
// The logistic function inside SiLU and its derivative. In float it is 1 / (1 + det_expf(-x)),
// branch-free (e^-x = inf gives 0), so the loops vectorise: with std::exp, SiLU forward and
// backward took a quarter of the U-Net's training step (bench/diffusion_step.cpp). Within a few
// ulp of SigmoidOp. Double keeps SigmoidOp (the gradient checks run in double).
// dst + alpha * src, rounded twice (no FMA on either device): Tensor::add_ (backend add_scaled).
template <class T>
MOMENTA_HD_INLINE T axpy(T dst, T alpha, T src) {
  return dst + alpha * src;
}

template <class T>
MOMENTA_HD_INLINE T silu_sigmoid(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return 1.0f / (1.0f + det_expf(-x));
  } else {
    return SigmoidOp{}(x);
  }
}
struct SiluOp {
  template <class T>
  MOMENTA_HD_INLINE T operator()(T x) const { return x * silu_sigmoid(x); }
};
// GELU, exact form: x * Phi(x) with Phi the standard normal CDF.
struct GeluOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440))); }
};
struct SinOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return std::sin(x); }
};
struct CosOp {
  template <class T>
  MOMENTA_HD T operator()(T x) const { return std::cos(x); }
};

// ---- binary ----
struct AddOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a + b; }
};
struct SubOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a - b; }
};
struct MulOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a * b; }
};
struct DivOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a / b; }
};
struct MaxOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a < b ? b : (b != b ? b : a); }  // a NaN a or b: NaN
};
struct MinOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a > b ? b : (b != b ? b : a); }  // a NaN a or b: NaN
};
struct PowOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return std::pow(a, b); }
};
struct EqOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a == b ? T(1) : T(0); }
};
struct NeOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a != b ? T(1) : T(0); }
};
struct LtOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a < b ? T(1) : T(0); }
};
struct LeOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a <= b ? T(1) : T(0); }
};
struct GtOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a > b ? T(1) : T(0); }
};
struct GeOp {
  template <class T>
  MOMENTA_HD T operator()(T a, T b) const { return a >= b ? T(1) : T(0); }
};

// ---- activation derivatives: (upstream gradient g, saved value) -> input gradient ----
struct ReluBackwardOp {  // saved: x (or y = relu(x), the same mask); PyTorch's threshold_backward
  template <class T>
  MOMENTA_HD T operator()(T g, T x) const { return x <= T(0) ? T(0) : g; }  // x NaN: g passes
};
struct SigmoidBackwardOp {  // saved: y = sigmoid(x)
  template <class T>
  MOMENTA_HD T operator()(T g, T y) const { return g * y * (T(1) - y); }
};
struct TanhBackwardOp {  // saved: y = tanh(x)
  template <class T>
  MOMENTA_HD T operator()(T g, T y) const { return g * (T(1) - y * y); }
};
struct SiluBackwardOp {  // saved: x
  template <class T>
  MOMENTA_HD_INLINE T operator()(T g, T x) const {
    const T s = silu_sigmoid(x);
    return g * s * (T(1) + x * (T(1) - s));
  }
};
struct GeluBackwardOp {  // saved: x
  template <class T>
  MOMENTA_HD T operator()(T g, T x) const {
    const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
    const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * x * x);
    return g * (cdf + x * pdf);
  }
};

}  // namespace momenta::kernels
