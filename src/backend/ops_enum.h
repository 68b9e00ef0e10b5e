// The op codes a backend kernel takes. The math of each lives in include/momenta/kernels/.
#pragma once

#include <cstdint>

namespace momenta::backend {

enum class UnaryOp : uint8_t { kNeg, kExp, kLog, kSqrt, kAbs, kSquare, kSign, kRelu, kSigmoid, kTanh, kSilu, kGelu, kSin, kCos };

enum class BinaryOp : uint8_t {
  kAdd, kSub, kMul, kDiv, kMax, kMin, kPow,
  kEq, kNe, kLt, kLe, kGt, kGe,
  // (upstream gradient, saved tensor) -> input gradient
  kReluBackward, kSigmoidBackward, kTanhBackward, kSiluBackward, kGeluBackward,
};

enum class ReduceOp : uint8_t { kSum, kMax, kArgmax };

enum class RandomKind : uint8_t {
  kUniform,    // a + (b - a) * u
  kNormal,     // a + b * z
  kBernoulli,  // b where u < a, else 0 (a = keep probability, b = the kept value)
};

}  // namespace momenta::backend
