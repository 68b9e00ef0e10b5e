// Runs the `momenta` binary built beside the tests and captures what it prints.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace momenta::testing {

struct CmdResult {
  int code;
  std::string output;  // stdout and stderr
};

inline CmdResult run_cli(const std::string& args) {
  const std::string cmd = std::string(MOMENTA_CLI_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace momenta::testing
