// Elementary functions written once for every device (DESIGN principle 2): the same operations
// in the same order on the CPU and on CUDA (built without FMA contraction), so a result is the
// same bits everywhere, which a vendor's libm (glibc, CUDA's) does not promise. Branch-free, so
// CPU loops over them vectorise. Used for the normals of the Philox generator (kernels/philox.h).
//
// Accuracy: below 1 ulp for det_log on positive normal numbers (the reduction and polynomial of
// FreeBSD's e_log.c, whose coefficients are used here); det_sincos_turns is within about 1 ulp of
// sin and cos of 2*pi*t for t in [0, 1) (exact quadrant reduction in turns, then the
// minimax kernels of k_sin.c and k_cos.c on [-pi/4, pi/4]).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "momenta/kernels/common.h"

namespace momenta::kernels {

MOMENTA_HD uint64_t double_bits(double x) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint64_t>(__double_as_longlong(x));
#else
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

MOMENTA_HD double bits_double(uint64_t u) {
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(u));
#else
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

MOMENTA_HD uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint32_t>(__float_as_uint(x));
#else
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
#endif
}

MOMENTA_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
#endif
}

// A uint32 as a double, exactly, through the signed conversion that vector units have.
MOMENTA_HD double u32_to_double(uint32_t x) {
  return static_cast<double>(static_cast<int32_t>(x ^ 0x80000000u)) + 2147483648.0;
}

// Natural logarithm of a positive normal double (no special cases: 0, negatives, subnormals,
// inf and NaN are not handled; the generator never produces them).
MOMENTA_HD double det_log(double x) {
  constexpr uint64_t kSqrtHalfBits = 0x3fe6a09e667f3bcdull;  // sqrt(2)/2
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01;
  constexpr double kLg3 = 2.857142874366239149e-01, kLg4 = 2.222219843214978396e-01;
  constexpr double kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01;
  constexpr double kLg7 = 1.479819860511658591e-01;
  // x = 2^k * m with m in [sqrt(2)/2, sqrt(2)): shift the mantissa range by sqrt(2)/2.
  const uint64_t hx = double_bits(x) + (0x3ff0000000000000ull - kSqrtHalfBits);
  // k as a double without an int64 conversion: (2^52 + biased exponent) - (2^52 + 1023).
  const double k = bits_double((hx >> 52) | 0x4330000000000000ull) - (4503599627370496.0 + 1023.0);
  const double m = bits_double((hx & 0x000fffffffffffffull) + kSqrtHalfBits);
  const double f = m - 1.0;
  const double hfsq = 0.5 * f * f;
  const double s = f / (2.0 + f);
  const double z = s * s, w = z * z;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  const double r = t2 + t1;
  return s * (hfsq + r) + k * kLn2Lo - hfsq + f + k * kLn2Hi;
}

// e^x in float, within 2 ulp of the correctly rounded value for normal results (Cephes expf:
// x = n ln2 + r, |r| <= ln2 / 2, with ln2 split in two; a degree-6 polynomial for e^r; 2^n built
// from exponent bits). Overflow gives inf, underflow 0 or a subnormal, NaN stays NaN. Branch-free
// and without float-to-int conversions, so CPU loops over it vectorise (std::exp does not: it is a
// libm call per element, which made SiLU a quarter of a U-Net's training step).
MOMENTA_HD_INLINE float det_expf(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f, kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer, kept in the low bits
  constexpr float kP0 = 1.9875691500e-4f, kP1 = 1.3981999507e-3f, kP2 = 8.3334519073e-3f;
  constexpr float kP3 = 4.1665795894e-2f, kP4 = 1.6666665459e-1f, kP5 = 5.0000001201e-1f;
  // Past these e^x is inf or rounds to 0 (comparisons keep NaN).
  x = x < -104.0f ? -104.0f : x;
  x = x > 89.0f ? 89.0f : x;
  const float t = x * kLog2e + kRound;
  const float n = t - kRound;
  // n as an integer: t stays in [2^23, 2^24), where the float's bits count in units of 1.
  const auto k = static_cast<int32_t>(float_bits(t) - float_bits(kRound));
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;
  const float z = r * r;
  const float p = (((((kP0 * r + kP1) * r + kP2) * r + kP3) * r + kP4) * r + kP5) * z + r + 1.0f;
  // 2^n as 2^k1 * 2^k2, each a normal float, for n in [-151, 129].
  const int32_t k1 = k / 2, k2 = k - k1;
  return p * bits_float(static_cast<uint32_t>(k1 + 127) << 23) * bits_float(static_cast<uint32_t>(k2 + 127) << 23);
}

// cos(2*pi*t) and sin(2*pi*t) for t in [0, 1).
MOMENTA_HD void det_sincos_turns(double t, double& cos_out, double& sin_out) {
  constexpr double kS1 = -1.66666666666666324348e-01, kS2 = 8.33333333332248946124e-03;
  constexpr double kS3 = -1.98412698298579493134e-04, kS4 = 2.75573137070700676789e-06;
  constexpr double kS5 = -2.50507602534068634195e-08, kS6 = 1.58969099521155010221e-10;
  constexpr double kC1 = 4.16666666666666019037e-02, kC2 = -1.38888888888741095749e-03;
  constexpr double kC3 = 2.48015872894767294178e-05, kC4 = -2.75573143513906633035e-07;
  constexpr double kC5 = 2.08757232129817482790e-09, kC6 = -1.13596475577881948265e-11;
  constexpr double kHalfPi = 1.57079632679489661923;
  // Quarter turns: 4t = q + d with q the nearest integer (exact: t has at most 32 significant
  // bits here), d in [-1/2, 1/2], angle = q*pi/2 + d*pi/2.
  const double q4 = 4.0 * t;
  const double q = std::floor(q4 + 0.5);
  const double r = (q4 - q) * kHalfPi;
  const double z = r * r, w = z * z;
  const double sr = kS2 + z * (kS3 + z * kS4) + z * w * (kS5 + z * kS6);
  const double sn = r + (z * r) * (kS1 + z * sr);
  const double cr = z * (kC1 + z * (kC2 + z * kC3)) + w * w * (kC4 + z * (kC5 + z * kC6));
  const double hz = 0.5 * z, one_minus = 1.0 - hz;
  const double cs = one_minus + (((1.0 - one_minus) - hz) + z * cr);
  // Quadrant q mod 4 (q == 4 is a full turn): rotate (cs, sn) by q quarter turns.
  // One comparison per select (a || between comparisons keeps GCC from vectorising).
  const double qm = q == 4.0 ? 0.0 : q;
  const double a = qm == 1.0 ? sn : (qm == 3.0 ? sn : cs);
  const double b = qm == 1.0 ? cs : (qm == 3.0 ? cs : sn);
  cos_out = qm == 1.0 ? -a : (qm == 2.0 ? -a : a);
  sin_out = qm >= 2.0 ? -b : b;
}

}  // namespace momenta::kernels
