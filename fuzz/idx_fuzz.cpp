// IDX files, plain or gzip (read_idx detects gzip by its magic bytes), and the dataset built
// from an image file and a label file: the fuzzed file is one of the two, its partner a valid
// file of as many samples (when that is no larger than the input).
#include "fuzz_common.h"
#include "idx_bytes.h"
#include "momenta/data/idx.h"

using namespace momenta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  fuzz::expect_only_momenta_errors([&] {
    const data::IdxArray a = data::read_idx(file.path());
    if (a.dims.empty()) return;
    // A partner as large as the input at most: a header may claim many samples of no bytes.
    const int64_t n = a.dims[0];
    if (n > static_cast<int64_t>(size)) return;
    if (a.magic == data::kIdxImagesMagic) {
      const fuzz::MemFile labels(fuzz::idx_bytes(data::kIdxLabelsMagic, {n}, std::vector<uint8_t>(n, 0)));
      data::load_idx_dataset(file.path(), labels.path());
    } else if (a.magic == data::kIdxLabelsMagic) {
      const fuzz::MemFile images(fuzz::idx_bytes(data::kIdxImagesMagic, {n, 1, 1}, std::vector<uint8_t>(n, 7)));
      data::load_idx_dataset(images.path(), file.path());
    }
  });
  return 0;
}
