#include "momenta/train/progress.h"

#include <unistd.h>

#include <cstdio>

#include "momenta/error.h"

namespace momenta::train {

std::string format_duration(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1fs", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  else std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) / 60) % 60);
  return buf;
}

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total > 0 ? total : 1), enabled_(enabled), tty_(isatty(2) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void ProgressBar::update(int64_t done, const std::string& status, int64_t samples_done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double frac = static_cast<double>(done) / static_cast<double>(total_);
  const int decile = static_cast<int>(frac * 10);
  if (tty_) {
    if (done < total_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
  } else if (decile == last_decile_ || decile == 0) {
    return;
  }
  last_draw_ = now;
  last_decile_ = decile;
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0.0;
  const double rate = elapsed > 0 ? static_cast<double>(samples_done) / elapsed : 0.0;
  std::string bar;
  if (tty_) {
    const int width = 24, filled = static_cast<int>(frac * width);
    bar = "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
  }
  std::fprintf(stderr, "%s%s %s%3d%% %lld/%lld  %s  %.0f samples/s  ETA %s%s", tty_ ? "\r" : "", label_.c_str(),
               bar.c_str(), static_cast<int>(frac * 100), static_cast<long long>(done),
               static_cast<long long>(total_), status.c_str(), rate, format_duration(eta).c_str(),
               tty_ ? "\033[K" : "\n");
  std::fflush(stderr);
}

void ProgressBar::finish(const std::string& status) {
  if (!enabled_) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s done in %s  %s\n", label_.c_str(), format_duration(elapsed).c_str(), status.c_str());
  std::fflush(stderr);
}

}  // namespace momenta::train
