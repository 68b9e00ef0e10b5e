// CPU elementwise kernels: a switch picks the functor from kernels/elementwise.h once, then a
// strided loop applies it. Unit-stride runs get their own loop so the compiler vectorises them.
#include "backend/backend.h"
#include "backend/cpu/strided_loop.h"
#include "backend/op_functors.h"
#include "momenta/kernels/elementwise.h"

namespace momenta::backend::cpu {
namespace {

using namespace momenta::kernels;

template <class T, class F>
void run_unary(const Tensor& x, const Tensor& out, F f) {
  auto g = make_geometry<2>(out.shape(), {&out.strides(), &x.strides()});
  strided_loop<2>(g, {static_cast<char*>(out.raw_data()), static_cast<char*>(x.raw_data())},
                  {sizeof(T), sizeof(T)}, [f](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                    T* o = reinterpret_cast<T*>(p[0]);
                    const T* a = reinterpret_cast<const T*>(p[1]);
                    if (s[0] == 1 && s[1] == 1) {
                      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i]);
                    } else {
                      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(a[i * s[1]]);
                    }
                  });
}

template <class T, class F>
void run_binary(const Tensor& a, const Tensor& b, const Tensor& out, F f) {
  auto g = make_geometry<3>(out.shape(), {&out.strides(), &a.strides(), &b.strides()});
  strided_loop<3>(
      g,
      {static_cast<char*>(out.raw_data()), static_cast<char*>(a.raw_data()), static_cast<char*>(b.raw_data())},
      {sizeof(T), sizeof(T), sizeof(T)},
      [f](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
        T* o = reinterpret_cast<T*>(p[0]);
        const T* x = reinterpret_cast<const T*>(p[1]);
        const T* y = reinterpret_cast<const T*>(p[2]);
        if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
          for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], y[i]);
        } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
          const T c = y[0];
          for (int64_t i = 0; i < n; ++i) o[i] = f(x[i], c);
        } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
          const T c = x[0];
          for (int64_t i = 0; i < n; ++i) o[i] = f(c, y[i]);
        } else {
          for (int64_t i = 0; i < n; ++i) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]]);
        }
      });
}

template <class T, class F>
void run_binary_scalar(const Tensor& a, T s, bool scalar_first, const Tensor& out, F f) {
  if (scalar_first) {
    run_unary<T>(a, out, [f, s](T x) { return f(s, x); });
  } else {
    run_unary<T>(a, out, [f, s](T x) { return f(x, s); });
  }
}

template <class Dst, class Src>
void run_copy(const Tensor& src, const Tensor& dst) {
  auto g = make_geometry<2>(dst.shape(), {&dst.strides(), &src.strides()});
  strided_loop<2>(g, {static_cast<char*>(dst.raw_data()), static_cast<char*>(src.raw_data())},
                  {sizeof(Dst), sizeof(Src)},
                  [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                    Dst* o = reinterpret_cast<Dst*>(p[0]);
                    const Src* a = reinterpret_cast<const Src*>(p[1]);
                    if (s[0] == 1 && s[1] == 1) {
                      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<Dst>(a[i]);
                    } else {
                      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = static_cast<Dst>(a[i * s[1]]);
                    }
                  });
}

template <class Dst>
void copy_from(const Tensor& src, const Tensor& dst) {
  switch (src.dtype()) {
    case DType::kFloat32: return run_copy<Dst, float>(src, dst);
    case DType::kFloat64: return run_copy<Dst, double>(src, dst);
    case DType::kInt64: return run_copy<Dst, int64_t>(src, dst);
  }
}

}  // namespace

void unary(UnaryOp op, const Tensor& x, const Tensor& out) {
  dispatch_floating(x.dtype(), "unary op", [&](auto tag) {
    using T = decltype(tag);
    with_unary(op, [&](auto f) { run_unary<T>(x, out, f); });
  });
}

void binary(BinaryOp op, const Tensor& a, const Tensor& b, const Tensor& out) {
  dispatch_floating(a.dtype(), "binary op", [&](auto tag) {
    using T = decltype(tag);
    with_binary(op, [&](auto f) { run_binary<T>(a, b, out, f); });
  });
}

void binary_scalar(BinaryOp op, const Tensor& a, double s, bool scalar_first, const Tensor& out) {
  dispatch_floating(a.dtype(), "binary op", [&](auto tag) {
    using T = decltype(tag);
    with_binary(op, [&](auto f) { run_binary_scalar<T>(a, static_cast<T>(s), scalar_first, out, f); });
  });
}

void copy(const Tensor& src, const Tensor& dst) {
  switch (dst.dtype()) {
    case DType::kFloat32: return copy_from<float>(src, dst);
    case DType::kFloat64: return copy_from<double>(src, dst);
    case DType::kInt64: return copy_from<int64_t>(src, dst);
  }
}

void fill(const Tensor& dst, double value) {
  auto body = [&](auto tag) {
    using T = decltype(tag);
    const T v = static_cast<T>(value);
    auto g = make_geometry<1>(dst.shape(), {&dst.strides()});
    strided_loop<1>(g, {static_cast<char*>(dst.raw_data())}, {sizeof(T)},
                    [v](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
                      T* o = reinterpret_cast<T*>(p[0]);
                      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = v;
                    });
  };
  if (dst.dtype() == DType::kInt64) return body(int64_t{});
  dispatch_floating(dst.dtype(), "fill", body);
}

void add_scaled(const Tensor& dst, const Tensor& src, double alpha) {
  dispatch_floating(dst.dtype(), "add_", [&](auto tag) {
    using T = decltype(tag);
    const T al = static_cast<T>(alpha);
    auto g = make_geometry<2>(dst.shape(), {&dst.strides(), &src.strides()});
    strided_loop<2>(g, {static_cast<char*>(dst.raw_data()), static_cast<char*>(src.raw_data())}, {sizeof(T), sizeof(T)},
                    [al](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
                      T* o = reinterpret_cast<T*>(p[0]);
                      const T* a = reinterpret_cast<const T*>(p[1]);
                      if (s[0] == 1 && s[1] == 1) {
                        for (int64_t i = 0; i < n; ++i) o[i] = kernels::axpy(o[i], al, a[i]);
                      } else {
                        for (int64_t i = 0; i < n; ++i) o[i * s[0]] = kernels::axpy(o[i * s[0]], al, a[i * s[1]]);
                      }
                    });
  });
}

void add_row_bias(const Tensor& out, const Tensor& bias) {
  dispatch_floating(out.dtype(), "add_row_bias", [&](auto tag) {
    using T = decltype(tag);
    const int64_t cols = out.shape().back(), rows = out.numel() / cols;
    T* o = out.data<T>();
    const T* b = bias.data<T>();
    parallel_for(rows, cols, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        T* row = o + r * cols;
        for (int64_t c = 0; c < cols; ++c) row[c] += b[c];
      }
    });
  });
}

}  // namespace momenta::backend::cpu
