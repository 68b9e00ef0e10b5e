// Runs the `momenta` binary built beside the tests and captures what it prints.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace momenta::testing {

struct CmdResult {
  int code;
  std::string output;  // stdout and stderr
};

// Runs a shell command line (stderr joined to stdout); code -1 when it ended by a signal.
inline CmdResult run_shell(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline CmdResult run_cli(const std::string& args) { return run_shell(std::string(MOMENTA_CLI_PATH) + " " + args); }

// The whole of a file the command wrote, "" when it cannot be read.
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// run_cli under an address-space limit (ulimit -v, KiB): an allocation sized by a file fails
// instead of passing unnoticed on a machine with memory to spare.
// Under AddressSanitizer (the sanitizer pass of CI) the limit is not applied: ASan reserves
// terabytes of address space for its shadow memory, so no ulimit -v fits; the messages are still
// checked there, the memory bound in the ordinary build.
inline CmdResult run_cli_limited(const std::string& args, long limit_kb) {
#if defined(__SANITIZE_ADDRESS__)
  (void)limit_kb;
  return run_shell(std::string(MOMENTA_CLI_PATH) + " " + args);
#else
  return run_shell("ulimit -v " + std::to_string(limit_kb) + "; " + MOMENTA_CLI_PATH + " " + args);
#endif
}

// Writes DIR/PREFIX-images-idx3-ubyte and -labels-idx1-ubyte: n 28x28 images whose class c is a
// bright horizontal band at rows 2c..2c+2 (easy to learn), for commands that need a dataset.
inline void write_idx_split(const std::filesystem::path& dir, const std::string& prefix, int n) {
  const auto be32 = [](std::ofstream& f, uint32_t v) {
    const unsigned char b[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                                static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
    f.write(reinterpret_cast<const char*>(b), 4);
  };
  std::ofstream img(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
  std::ofstream lab(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  be32(img, 0x803);
  be32(img, static_cast<uint32_t>(n));
  be32(img, 28);
  be32(img, 28);
  be32(lab, 0x801);
  be32(lab, static_cast<uint32_t>(n));
  for (int i = 0; i < n; ++i) {
    const int c = i % 10;
    for (int r = 0; r < 28; ++r)
      for (int col = 0; col < 28; ++col) {
        const unsigned char v = (r >= 2 * c && r < 2 * c + 3) ? 200 : static_cast<unsigned char>((i * 7 + r * 3 + col) % 40);
        img.put(static_cast<char>(v));
      }
    lab.put(static_cast<char>(c));
  }
}

}  // namespace momenta::testing
