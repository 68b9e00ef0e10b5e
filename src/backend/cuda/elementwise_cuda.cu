// CUDA elementwise kernels. This file only launches (DESIGN principle 2): the per-element math
// is the functors of kernels/elementwise.h and the generator of kernels/philox.h, the same code
// the CPU loops call. One generic kernel walks up to 12 strided dimensions, so broadcast
// inputs (stride-0 views) and transposed views need no special kernel.
#include <algorithm>
#include <array>

#include "backend/backend.h"
#include "backend/geometry.h"
#include "backend/op_functors.h"
#include "backend/cuda/cuda_util.h"
#include "momenta/kernels/elementwise.h"
#include "momenta/kernels/philox.h"

namespace momenta::backend::cuda {
namespace {

using namespace momenta::kernels;

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;  // a grid-stride loop covers the rest

// Every input must already have out's shape (the op layer broadcasts with stride-0 views).
void check_same_shape(const Tensor& out, const Tensor& in, const char* what) {
  check<ShapeError>(in.shape() == out.shape(), what, " on CUDA: input of shape ", shape_str(in.shape()),
                    " does not match output of shape ", shape_str(out.shape()));
}

void check_same_dtype(const Tensor& out, const Tensor& in, const char* what) {
  check<ShapeError>(in.dtype() == out.dtype(), what, " on CUDA: input is ", dtype_name(in.dtype()), ", output is ",
                    dtype_name(out.dtype()));
}

// body(i, off) for every logical index i < n, with off the operands' element offsets.
template <int N, class Body>
__global__ void strided_kernel(int64_t n, Geometry<N> g, Body body) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t off[N];
    g.offsets(i, off);
    body(i, off);
  }
}

template <int N, class Body>
void launch(const Tensor& out, const Geometry<N>& g, const Body& body, const char* what) {
  const int64_t n = out.numel();
  if (n == 0) return;
  DeviceGuard guard(cuda_index(out, what));
  const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks);
  strided_kernel<N, Body><<<static_cast<unsigned>(blocks), kThreads>>>(n, g, body);
  check_cuda(cudaGetLastError(), what);
}

// ---- bodies: where an element comes from and goes to; the math is the functor F ----
template <class T, class F>
struct UnaryBody {
  F f;
  T* out;
  const T* x;
  __device__ void operator()(int64_t, const int64_t (&off)[2]) const { out[off[0]] = f(x[off[1]]); }
};

template <class T, class F>
struct BinaryBody {
  F f;
  T* out;
  const T* a;
  const T* b;
  __device__ void operator()(int64_t, const int64_t (&off)[3]) const { out[off[0]] = f(a[off[1]], b[off[2]]); }
};

template <class T, class F>
struct ScalarBody {
  F f;
  T* out;
  const T* x;
  T s;
  bool scalar_first;
  __device__ void operator()(int64_t, const int64_t (&off)[2]) const {
    out[off[0]] = scalar_first ? f(s, x[off[1]]) : f(x[off[1]], s);
  }
};

// dst = dst + alpha * src (add_ and, with alpha 1 and a stride-0 source, the row bias).
template <class T>
struct AddScaledBody {
  T* dst;
  const T* src;
  T alpha;
  __device__ void operator()(int64_t, const int64_t (&off)[2]) const { dst[off[0]] = axpy(dst[off[0]], alpha, src[off[1]]); }
};

template <class Dst, class Src>
struct CopyBody {
  Dst* dst;
  const Src* src;
  __device__ void operator()(int64_t, const int64_t (&off)[2]) const { dst[off[0]] = static_cast<Dst>(src[off[1]]); }
};

template <class T>
struct FillBody {
  T* dst;
  T value;
  __device__ void operator()(int64_t, const int64_t (&off)[1]) const { dst[off[0]] = value; }
};

// Element i (logical order) of a Philox fill: the values of kernels/philox.h's *_fill_value, as
// random_cpu.cpp writes them.
template <class T>
struct RandomBody {
  T* dst;
  RandomKind kind;
  double a, b;
  uint64_t seed, offset;
  __device__ void operator()(int64_t i, const int64_t (&off)[1]) const {
    const uint64_t idx = static_cast<uint64_t>(i);
    switch (kind) {
      case RandomKind::kUniform:
        dst[off[0]] = static_cast<T>(uniform_fill_value(a, b, philox_uniform(seed, offset, idx)));
        break;
      case RandomKind::kNormal:
        dst[off[0]] = static_cast<T>(normal_fill_value(a, b, philox_normal(seed, offset, idx)));
        break;
      case RandomKind::kBernoulli:
        dst[off[0]] = bernoulli_fill_value<T>(a, b, philox_uniform(seed, offset, idx));
        break;
    }
  }
};

// Calls fn(T{}) with T the C++ type of any dtype.
template <class Fn>
void dispatch_any(DType t, Fn&& fn) {
  switch (t) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    case DType::kInt64: return fn(int64_t{});
  }
  throw ValueError(str_cat("CUDA: unknown dtype code ", static_cast<int>(t)));
}

}  // namespace

void unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  check_same_shape(out, x, "unary op");
  check_same_dtype(out, x, "unary op");
  dispatch_floating(x.dtype(), "unary op on CUDA", [&](auto tag) {
    using T = decltype(tag);
    const auto g = make_geometry<2>(out.shape(), {&out.strides(), &x.strides()});
    with_unary(op, [&](auto f) {
      using F = decltype(f);
      launch(out, g, UnaryBody<T, F>{f, static_cast<T*>(out.raw_data()), static_cast<const T*>(x.raw_data())},
             "unary op kernel");
    });
  });
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  check_same_shape(out, a, "binary op");
  check_same_shape(out, b, "binary op");
  check_same_dtype(out, a, "binary op");
  check_same_dtype(out, b, "binary op");
  dispatch_floating(a.dtype(), "binary op on CUDA", [&](auto tag) {
    using T = decltype(tag);
    const auto g = make_geometry<3>(out.shape(), {&out.strides(), &a.strides(), &b.strides()});
    with_binary(op, [&](auto f) {
      using F = decltype(f);
      launch(out, g,
             BinaryBody<T, F>{f, static_cast<T*>(out.raw_data()), static_cast<const T*>(a.raw_data()),
                              static_cast<const T*>(b.raw_data())},
             "binary op kernel");
    });
  });
}

void binary_scalar(BinaryOp op, const Tensor& a, double s, bool scalar_first, const Tensor& out) {
  check_same_shape(out, a, "binary op");
  check_same_dtype(out, a, "binary op");
  dispatch_floating(a.dtype(), "binary op on CUDA", [&](auto tag) {
    using T = decltype(tag);
    const auto g = make_geometry<2>(out.shape(), {&out.strides(), &a.strides()});
    with_binary(op, [&](auto f) {
      using F = decltype(f);
      launch(out, g,
             ScalarBody<T, F>{f, static_cast<T*>(out.raw_data()), static_cast<const T*>(a.raw_data()),
                              static_cast<T>(s), scalar_first},
             "binary op kernel");
    });
  });
}

void copy_on_device(const Tensor& src, const Tensor& dst) {
  check_same_shape(dst, src, "copy");
  check<ValueError>(src.device() == dst.device(), "copy on CUDA: ", src.device().str(), " and ", dst.device().str(),
                    " differ");
  const auto g = make_geometry<2>(dst.shape(), {&dst.strides(), &src.strides()});
  dispatch_any(dst.dtype(), [&](auto dst_tag) {
    using D = decltype(dst_tag);
    dispatch_any(src.dtype(), [&](auto src_tag) {
      using S = decltype(src_tag);
      launch(dst, g, CopyBody<D, S>{static_cast<D*>(dst.raw_data()), static_cast<const S*>(src.raw_data())},
             "copy kernel");
    });
  });
}

void fill(const Tensor& dst, double value) {
  const auto g = make_geometry<1>(dst.shape(), {&dst.strides()});
  dispatch_any(dst.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch(dst, g, FillBody<T>{static_cast<T*>(dst.raw_data()), static_cast<T>(value)}, "fill kernel");
  });
}

void add_scaled(const Tensor& dst, const Tensor& src, double alpha) {
  check_same_shape(dst, src, "add_");
  check_same_dtype(dst, src, "add_");
  dispatch_floating(dst.dtype(), "add_ on CUDA", [&](auto tag) {
    using T = decltype(tag);
    const auto g = make_geometry<2>(dst.shape(), {&dst.strides(), &src.strides()});
    launch(dst, g,
           AddScaledBody<T>{static_cast<T*>(dst.raw_data()), static_cast<const T*>(src.raw_data()),
                            static_cast<T>(alpha)},
           "add_ kernel");
  });
}

void add_row_bias(const Tensor& out, const Tensor& bias) {
  check<ShapeError>(out.is_contiguous() && out.dim() >= 1, "add_row_bias on CUDA: expected a contiguous matrix");
  check_same_dtype(out, bias, "add_row_bias");
  const int64_t cols = out.shape().back();
  check<ShapeError>(bias.numel() == cols && bias.is_contiguous(), "add_row_bias on CUDA: bias of shape ",
                    shape_str(bias.shape()), " does not fit ", cols, " columns");
  if (cols == 0) return;
  // out viewed as [rows, cols]; the bias walks the rows with stride 0.
  const Shape shape{out.numel() / cols, cols};
  const Strides out_strides{cols, 1}, bias_strides{0, 1};
  const auto g = make_geometry<2>(shape, {&out_strides, &bias_strides});
  dispatch_floating(out.dtype(), "add_row_bias on CUDA", [&](auto tag) {
    using T = decltype(tag);
    launch(out, g, AddScaledBody<T>{static_cast<T*>(out.raw_data()), static_cast<const T*>(bias.raw_data()), T(1)},
           "add_row_bias kernel");
  });
}

void fill_random(const Tensor& t, RandomKind kind, double a, double b, uint64_t seed, uint64_t offset) {
  const auto g = make_geometry<1>(t.shape(), {&t.strides()});
  dispatch_floating(t.dtype(), "random fill on CUDA", [&](auto tag) {
    using T = decltype(tag);
    launch(t, g, RandomBody<T>{static_cast<T*>(t.raw_data()), kind, a, b, seed, offset}, "random fill kernel");
  });
}

}  // namespace momenta::backend::cuda
