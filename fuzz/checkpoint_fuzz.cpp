// A training checkpoint as `momenta train --resume` loads it (train::load_checkpoint), into the
// fixed small run of fuzz_common.h, with and without an averager.
#include "fuzz_common.h"
#include "momenta/train/checkpoint.h"

using namespace momenta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  for (bool with_averager : {true, false}) {
    fuzz::SmallRun run = fuzz::make_small_run(with_averager);
    fuzz::expect_only_momenta_errors(
        [&] { train::load_checkpoint(file.path(), *run.model, *run.opt, run.avg.get()); });
  }
  return 0;
}
