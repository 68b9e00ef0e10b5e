// Shapes and strides. Legend used throughout: N batch, C channels, H height, W width,
// M x K times K x N for matrix products.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace momenta {

using Shape = std::vector<int64_t>;
using Strides = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);
Strides contiguous_strides(const Shape& s);
std::string shape_str(const Shape& s);
// Streams as shape_str does, but formats only when streamed: use it in check() messages,
// whose arguments are evaluated even when the check passes.
struct ShapeFmt {
  const Shape& shape;
};
inline ShapeFmt fmt(const Shape& s) { return ShapeFmt{s}; }
std::ostream& operator<<(std::ostream& os, ShapeFmt f);
// Maps a possibly negative axis into [0, ndim); throws ShapeError naming `what` when out of range.
int64_t normalize_axis(int64_t axis, int64_t ndim, const char* what);
// The broadcast of two shapes (numpy rules); throws ShapeError naming `what` when incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* what);

}  // namespace momenta
