// Shared pieces of the libFuzzer harnesses: the input as a file, the rule that only
// momenta::Error may escape, and the fixed small training setup of the checkpoint harness.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <typeinfo>
#include <vector>

#include "momenta/error.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/registry.h"
#include "tools/cli_common.h"

namespace momenta::fuzz {

// The bytes as an anonymous in-memory file, for readers that take a path: path() names it as
// /proc/self/fd/N (a fresh open starts at offset 0). Nothing touches the disk.
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size) : fd_(memfd_create("momenta-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) fail("memfd_create");
    for (size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) fail("write");
      done += static_cast<size_t>(n);
    }
  }
  explicit MemFile(const std::vector<uint8_t>& bytes) : MemFile(bytes.data(), bytes.size()) {}
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  [[noreturn]] static void fail(const char* what) {
    std::perror(what);
    std::abort();
  }
  int fd_;
};

// The longest error message accepted: a message must never echo unbounded input (STYLE: cut
// long text). MOMENTA_FUZZ_MAX_MESSAGE overrides it; 0 turns the check off.
inline size_t max_message_length() {
  static const size_t limit = [] {
    const char* env = std::getenv("MOMENTA_FUZZ_MAX_MESSAGE");
    return env != nullptr ? static_cast<size_t>(std::strtoull(env, nullptr, 10)) : size_t{1024};
  }();
  return limit;
}

// Runs `f` on one input. A momenta::Error is the expected answer to bad input; any other
// exception, or an error message longer than max_message_length(), aborts (a finding).
template <class F>
void expect_only_momenta_errors(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    const size_t n = std::strlen(e.what());
    if (max_message_length() != 0 && n > max_message_length()) {
      std::fprintf(stderr, "fuzz: error message of %zu characters (limit %zu) echoes its input: %.200s...\n", n,
                   max_message_length(), e.what());
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: uncaught %s (not a momenta::Error): %.300s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

// Splits `text` at '\n' (the items of a repeatable flag).
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out.push_back(text.substr(start, nl - start));
  out.push_back(text.substr(start));
  return out;
}

// The run the checkpoint harness resumes: an MLP 4-3-2, Adam, and optionally an EMA averager.
// fuzz_seeds saves a checkpoint of the same run after one step.
struct SmallRun {
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> opt;
  std::unique_ptr<optim::Averager> avg;
};

inline cli::ModelSpec small_model_spec() {
  cli::ModelSpec spec;
  spec.model = "mlp";
  spec.hidden = "3";
  spec.in_features = 4;
  spec.num_classes = 2;
  return spec;
}

inline SmallRun make_small_run(bool with_averager) {
  SmallRun run;
  run.model = cli::build_model(small_model_spec());
  run.model->finalize();
  run.opt = optim::make_optimizer("adam", run.model->arena(), std::map<std::string, std::string>{{"lr", "0.01"}});
  if (with_averager)
    run.avg = optim::make_averager("ema", run.model->arena(), std::map<std::string, std::string>{{"decay", "0.9"}});
  return run;
}

}  // namespace momenta::fuzz
