#include "momenta/shape.h"

#include <sstream>

#include "momenta/error.h"

namespace momenta {

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  bool overflow = false;
  for (int64_t d : s) overflow |= __builtin_mul_overflow(n, d, &n);
  // A shape read from a file (an IDX header) can hold any dimensions: its size must not wrap.
  if (overflow) throw ShapeError(str_cat("shape ", shape_str(s), " has more than 2^63 elements"));
  return n;
}

Strides contiguous_strides(const Shape& s) {
  Strides st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= s[i];
  }
  return st;
}

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ']';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, ShapeFmt f) { return os << shape_str(f.shape); }

int64_t normalize_axis(int64_t axis, int64_t ndim, const char* what) {
  const int64_t a = axis < 0 ? axis + ndim : axis;
  check<ShapeError>(a >= 0 && a < ndim, what, ": axis ", axis, " is out of range for a tensor with ", ndim,
                    " dimensions");
  return a;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* what) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    check<ShapeError>(da == db || da == 1 || db == 1, what, ": shapes ", shape_str(a), " and ", shape_str(b),
                      " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace momenta
