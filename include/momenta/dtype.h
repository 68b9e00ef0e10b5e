// Element types. float32 is the training type; float64 serves gradient checks and golden tests;
// int64 holds class labels and indices (argmax).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "momenta/error.h"

namespace momenta {

enum class DType : uint8_t { kFloat32, kFloat64, kInt64 };

inline constexpr DType kFloat32 = DType::kFloat32;
inline constexpr DType kFloat64 = DType::kFloat64;
inline constexpr DType kInt64 = DType::kInt64;

inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32: return 4;
    case DType::kFloat64: return 8;
    case DType::kInt64: return 8;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kInt64: return "int64";
  }
  return "?";
}

inline bool is_floating(DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }

template <class T>
struct DTypeOf;
template <>
struct DTypeOf<float> {
  static constexpr DType value = DType::kFloat32;
};
template <>
struct DTypeOf<double> {
  static constexpr DType value = DType::kFloat64;
};
template <>
struct DTypeOf<int64_t> {
  static constexpr DType value = DType::kInt64;
};

// Calls fn(T{}) with T the C++ type of a floating dtype; throws for other dtypes.
template <class Fn>
decltype(auto) dispatch_floating(DType t, const char* what, Fn&& fn) {
  switch (t) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    default: break;
  }
  throw ShapeError(str_cat(what, ": expected a floating dtype (float32 or float64), got ", dtype_name(t)));
}

}  // namespace momenta
