// The arithmetic of belay-diffusion's verdict (Table 4.1 of the BELAY paper, 000 l.148-153:
// BELAY lower than EMA in train loss, test loss and FID), kept apart so a test can check it on
// hand-made numbers.
//
// NOTE [belay-diffusion rule] Both arms run on the same seeds (same initial weights, data order
// and DSM noise), so seed s gives a pair (BELAY_s, EMA_s) for each number. BELAY is better on a
// number when
//   (a) every pair has BELAY strictly below EMA (a non-finite value, e.g. a diverged run, fails), and
//   (b) with two or more seeds, the mean gap EMA - BELAY exceeds the seed spread: the larger of
//       the two arms' sample standard deviations over seeds. With one seed the spread is unknown,
//       (b) is not applied, and the report says that one seed cannot tell the gap from seed noise.
// The claim held when BELAY is better on all three numbers, in part on one or two, not on none.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace momenta::cli::experiments {

struct PairedComparison {
  int seeds = 0;
  int belay_lower = 0;               // pairs with BELAY strictly below EMA
  double belay_mean = NAN, ema_mean = NAN;
  double belay_sd = NAN, ema_sd = NAN;  // sample standard deviations (NaN for one seed)
  double gap = NAN;                  // ema_mean - belay_mean (> 0: BELAY lower)
  double spread = NAN;               // max(belay_sd, ema_sd)
  bool spread_known = false;         // two or more seeds
  bool beyond_spread = false;        // gap > spread (false when the spread is unknown)
  bool better = false;               // NOTE [belay-diffusion rule]
};

inline double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

inline double sample_sd(const std::vector<double>& v) {
  if (v.size() < 2) return NAN;
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

// belay[s] and ema[s] come from seed s (same length).
inline PairedComparison compare_paired(const std::vector<double>& belay, const std::vector<double>& ema) {
  PairedComparison c;
  c.seeds = static_cast<int>(std::min(belay.size(), ema.size()));
  bool all_finite = c.seeds > 0;
  for (int s = 0; s < c.seeds; ++s) {
    const double b = belay[static_cast<size_t>(s)], e = ema[static_cast<size_t>(s)];
    all_finite = all_finite && std::isfinite(b) && std::isfinite(e);
    c.belay_lower += std::isfinite(b) && std::isfinite(e) && b < e;
  }
  c.belay_mean = mean_of(belay);
  c.ema_mean = mean_of(ema);
  c.belay_sd = sample_sd(belay);
  c.ema_sd = sample_sd(ema);
  c.gap = c.ema_mean - c.belay_mean;
  c.spread_known = c.seeds >= 2;
  if (c.spread_known) {
    c.spread = std::max(c.belay_sd, c.ema_sd);
    c.beyond_spread = std::isfinite(c.gap) && std::isfinite(c.spread) && c.gap > c.spread;
  }
  c.better = all_finite && c.belay_lower == c.seeds && (!c.spread_known || c.beyond_spread);
  return c;
}

// The learning rate the experiment trains with (NOTE [belay-diffusion rate] in belay_diffusion.cpp):
// the paper's rate (index 0 of the probe) unless its probe run diverged (NaN loss) or ended with a
// higher test loss than another probed rate; then the probed rate with the lowest finite test loss.
// Returns the index into `rates`; -1 when no probe run stayed finite.
inline int choose_rate(const std::vector<double>& probe_test_loss) {
  int best = -1;
  for (size_t i = 0; i < probe_test_loss.size(); ++i)
    if (std::isfinite(probe_test_loss[i]) && (best < 0 || probe_test_loss[i] < probe_test_loss[static_cast<size_t>(best)]))
      best = static_cast<int>(i);
  if (best < 0) return -1;
  if (std::isfinite(probe_test_loss[0]) && probe_test_loss[0] <= probe_test_loss[static_cast<size_t>(best)]) return 0;
  return best;
}

}  // namespace momenta::cli::experiments
