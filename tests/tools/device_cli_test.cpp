// `--device` on the commands that run networks (issue 13): a bad name and a GPU that is not
// there are each one clear line and a non-zero exit, before any data is read or any file written.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "momenta/device.h"
#include "momenta/error.h"
#include "tools/cli_runner.h"

namespace momenta {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

// The lines of `text` that are not empty.
int count_lines(const std::string& text) {
  int n = 0;
  bool content = false;
  for (char c : text) {
    if (c == '\n') {
      n += content;
      content = false;
    } else {
      content = true;
    }
  }
  return n + content;
}

TEST(DeviceCli, UnknownDeviceNamesTheFlag) {
  for (const char* cmd : {"train --epochs 1", "eval missing.safetensors", "sample missing", "reproduce list"}) {
    const auto r = run_cli(std::string(cmd) + " --device tpu");
    EXPECT_EQ(r.code, 1) << cmd << ": " << r.output;
    EXPECT_NE(r.output.find("--device: unknown device 'tpu': expected cpu, cuda or cuda:N"), std::string::npos)
        << cmd << ": " << r.output;
  }
}

TEST(DeviceCli, CudaWithoutAGpuIsOneClearLine) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "this machine has a CUDA device";
  const fs::path out = fs::temp_directory_path() / "momenta_device_cli_run";
  fs::remove_all(out);
  const auto r = run_cli("train --device cuda --epochs 1 --out " + out.string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("momenta: error: no CUDA device", 0), 0u) << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_FALSE(fs::exists(out)) << "the run directory was made before the device was checked";
  for (const char* cmd : {"eval missing.safetensors --device cuda:1", "sample missing --device cuda",
                          "reproduce belay-diffusion --quick --device cuda"}) {
    const auto s = run_cli(cmd);
    EXPECT_EQ(s.code, 1) << cmd << ": " << s.output;
    EXPECT_NE(s.output.find("no CUDA device"), std::string::npos) << cmd << ": " << s.output;
  }
}

TEST(DeviceCli, RequireDeviceSaysWhy) {
  EXPECT_NO_THROW(require_device(kCPU));
  if (cuda_device_count() > 0) {
    EXPECT_NO_THROW(require_device(cuda_device(0)));
    EXPECT_THROW(require_device(cuda_device(cuda_device_count())), NotSupportedError);
    return;
  }
  try {
    require_device(cuda_device(0));
    FAIL() << "require_device(cuda:0) passed on a machine without a GPU";
  } catch (const NotSupportedError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("no CUDA device: cuda:0 was asked for, but ", 0), 0u) << what;
  }
}

}  // namespace
}  // namespace momenta
