// The per-device kernel tables of the seam (backend/backend.h): complete on the CPU, complete on
// CUDA when it is built; undefined optional operands do not take part in the device check.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/backend.h"
#include "momenta/device.h"

namespace momenta {
namespace {

// The names of the null entries of `t`.
std::vector<std::string> missing_entries(const backend::KernelTable& t) {
  std::vector<std::string> missing;
#define MOMENTA_KERNEL(ret, name, params, args) \
  if (t.name == nullptr) missing.push_back(#name);
#define MOMENTA_KERNEL_SPECIAL MOMENTA_KERNEL
#include "backend/kernel_list.inc"
#undef MOMENTA_KERNEL
#undef MOMENTA_KERNEL_SPECIAL
  return missing;
}

TEST(KernelTable, TheCpuHasEveryKernel) {
  EXPECT_EQ(std::string(backend::cpu_kernel_table().device), "cpu");
  EXPECT_TRUE(missing_entries(backend::cpu_kernel_table()).empty());
}

TEST(KernelTable, CudaHasEveryKernelWhenBuilt) {
  const auto missing = missing_entries(backend::cuda_kernel_table());
  if (cuda_built()) {
    EXPECT_TRUE(missing.empty()) << "first missing: " << (missing.empty() ? "" : missing.front());
  } else {
    EXPECT_FALSE(missing.empty());
    EXPECT_NE(std::string(backend::cuda_kernel_table().missing_reason).find("built without CUDA"), std::string::npos);
  }
}

TEST(KernelTable, UndefinedOptionalOperandsAreSkipped) {
  // The device check skips undefined operands: a group norm without weight and bias runs.
  const Tensor x = Tensor::ones({2, 4, 3});
  const Tensor y = Tensor::empty({2, 4, 3}), mean = Tensor::empty({4}), rstd = Tensor::empty({4});
  EXPECT_NO_THROW(backend::group_norm_forward(x, 0, 2, Tensor(), Tensor(), 1e-5, false, y, mean, rstd));
}

}  // namespace
}  // namespace momenta
