// A `--config FILE.toml`, expanded into command-line options (tools/config.cpp expand_config)
// with the file both before and after the subcommand and a flag that the file may repeat.
#include "fuzz_common.h"
#include "tools/config.h"

using namespace momenta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fuzz::MemFile file(data, size);
  fuzz::expect_only_momenta_errors([&] { cli::expand_config({"train", "--config", file.path(), "--epochs", "3"}); });
  fuzz::expect_only_momenta_errors([&] { cli::expand_config({"--config=" + file.path(), "optimize"}); });
  return 0;
}
