// One image file as the image-folder reader decodes it (read_image: stb_image, then the bilinear
// resize to the dataset's size). Odd-sized inputs are read as grey, even-sized as RGB.
#include "fuzz_common.h"
#include "momenta/data/image_folder.h"

using namespace momenta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  const int64_t channels = size % 2 == 1 ? 1 : 3;
  fuzz::expect_only_momenta_errors([&] { data::read_image(file.path(), channels, 12, 10); });
  return 0;
}
