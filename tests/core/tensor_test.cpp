#include <gtest/gtest.h>

#include "momenta/allocator.h"
#include "momenta/ops.h"

using namespace momenta;

TEST(Tensor, CreationAndGeometry) {
  Tensor t = Tensor::zeros({2, 3, 4});
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.strides(), (Strides{12, 4, 1}));
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.dtype(), kFloat32);
  EXPECT_EQ(Tensor::full({2}, 3.5, kFloat64).to_vector<double>(), (std::vector<double>{3.5, 3.5}));
  EXPECT_THROW(Tensor::empty({-1, 2}), ShapeError);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor a = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor t = a.t();
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  Tensor s = a.slice(1, 1, 3);
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 2, 4, 5}));
  s.fill_(9);
  EXPECT_EQ(a.to_vector<float>(), (std::vector<float>{0, 9, 9, 3, 9, 9}));
  EXPECT_EQ(a.slice(1, 0, 3, 2).to_vector<float>(), (std::vector<float>{0, 9, 3, 9}));
  EXPECT_EQ(a.select(0, 1).to_vector<float>(), (std::vector<float>{3, 9, 9}));
  EXPECT_EQ(a.reshape({3, -1}).shape(), (Shape{3, 2}));
  EXPECT_EQ(a.unsqueeze(0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(a.unsqueeze(0).squeeze(0).shape(), (Shape{2, 3}));
  EXPECT_EQ(a.permute({1, 0}).contiguous().to_vector<float>(), (std::vector<float>{0, 3, 9, 9, 9, 9}));
  EXPECT_EQ(Tensor::zeros({2, 3, 4}).flatten(1).shape(), (Shape{2, 12}));
}

TEST(Tensor, ReshapeOfNonContiguousCopies) {
  Tensor a = Tensor::from_vector<float>({0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor r = a.t().reshape({6});
  EXPECT_EQ(r.to_vector<float>(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_THROW(a.t().view({6}), ShapeError);
  EXPECT_THROW(a.reshape({4, -1}), ShapeError);
}

TEST(Tensor, ExpandAndBroadcastCopy) {
  Tensor b = Tensor::from_vector<double>({1, 2, 3}, {3});
  Tensor e = b.expand({2, 3});
  EXPECT_EQ(e.strides(), (Strides{0, 1}));
  EXPECT_EQ(e.to_vector<double>(), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  Tensor d = Tensor::zeros({2, 3}, kFloat64);
  d.copy_(b);
  EXPECT_EQ(d.to_vector<double>(), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  EXPECT_THROW(b.expand({2, 4}), ShapeError);
}

TEST(Tensor, DtypeConversionAndItem) {
  Tensor a = Tensor::from_vector<float>({1.5f, -2.0f}, {2});
  EXPECT_EQ(a.to(kFloat64).to_vector<double>(), (std::vector<double>{1.5, -2.0}));
  EXPECT_EQ(a.to(kInt64).to_vector<int64_t>(), (std::vector<int64_t>{1, -2}));
  EXPECT_DOUBLE_EQ(Tensor::scalar(4.25).item(), 4.25);
  EXPECT_THROW(a.item(), ShapeError);
  EXPECT_THROW(a.data<double>(), ShapeError);
}

TEST(Tensor, CudaWithoutBuildFailsClearly) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  try {
    Tensor::empty({2}, kFloat32, cuda_device(0));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_device("gpu"), ValueError);
  EXPECT_EQ(parse_device("cuda:1").index, 1);
}

TEST(Allocator, ReusesFreedBlocks) {
  Allocator& a = allocator_for(kCPU);
  { Tensor warm = Tensor::empty({1 << 20}); }
  const AllocatorStats before = a.stats();
  for (int i = 0; i < 10; ++i) {
    Tensor t = Tensor::empty({1 << 20});
  }
  const AllocatorStats after = a.stats();
  EXPECT_EQ(after.system_allocations, before.system_allocations);
  EXPECT_EQ(after.cache_hits - before.cache_hits, 10u);
}
