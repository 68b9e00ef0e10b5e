// A progress bar for long loops, on stderr. On a terminal it redraws one line; otherwise
// (logs, CI) it prints a line at every 10% so logs stay short.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace momenta::train {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  // Advances to `done` units; `status` is appended (e.g. "loss 0.4123").
  void update(int64_t done, const std::string& status, int64_t samples_done = 0);
  void finish(const std::string& status);

 private:
  std::string label_;
  int64_t total_;
  bool enabled_, tty_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);

}  // namespace momenta::train
