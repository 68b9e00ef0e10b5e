// A CIFAR binary batch file, read as CIFAR-10 and as CIFAR-100 (fine and coarse labels).
#include "fuzz_common.h"
#include "momenta/data/cifar.h"

using namespace momenta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  const std::pair<const char*, data::CifarLabels> modes[] = {
      {"cifar10", data::CifarLabels::kFine}, {"cifar100", data::CifarLabels::kFine}, {"cifar100", data::CifarLabels::kCoarse}};
  for (const auto& mode : modes) {
    fuzz::expect_only_momenta_errors([&] {
      std::vector<uint8_t> images;
      std::vector<int64_t> labels;
      data::read_cifar_file(file.path(), mode.first, mode.second, images, labels);
    });
  }
  return 0;
}
