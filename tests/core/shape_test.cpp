#include <gtest/gtest.h>

#include "momenta/error.h"
#include "momenta/shape.h"

namespace momenta {
namespace {

TEST(Shape, NumelMultipliesTheDimensions) {
  EXPECT_EQ(shape_numel({}), 1);
  EXPECT_EQ(shape_numel({3, 4, 5}), 60);
  EXPECT_EQ(shape_numel({0, 4}), 0);
}

// Dimensions read from a file header (fuzz/regressions/idx/) must not wrap the element count.
TEST(Shape, NumelRefusesAnOverflowingShape) {
  EXPECT_THROW(shape_numel({3791652864, 2868933898}), ShapeError);
  EXPECT_THROW(shape_numel({1, int64_t{1} << 32, int64_t{1} << 31}), ShapeError);
  EXPECT_EQ(shape_numel({int64_t{1} << 31, int64_t{1} << 31}), int64_t{1} << 62);
}

}  // namespace
}  // namespace momenta
