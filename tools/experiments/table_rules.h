// The arithmetic of the scaled paper tables (adai_table.cpp, ecd_table.cpp): mean and standard
// deviation over seeds, epoch scaling of a paper's schedule, and the rule that turns a table into
// a verdict. Header-only so that tests/tools/reproduce_tables_test.cpp checks it by hand.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/experiments/experiment.h"

namespace momenta::cli::experiments {

struct MeanSd {
  double mean = NAN;
  double sd = NAN;  // sample standard deviation (n - 1); 0 for one value; NaN for none
  size_t n = 0;
};

// Mean and sample standard deviation. A non-finite value (a run that diverged before its first
// evaluation) makes both NaN: such a row can never be judged best.
inline MeanSd mean_sd(const std::vector<double>& v) {
  MeanSd r;
  r.n = v.size();
  if (v.empty()) return r;
  double s = 0;
  for (double x : v) s += x;
  r.mean = s / static_cast<double>(v.size());
  double q = 0;
  for (double x : v) q += (x - r.mean) * (x - r.mean);
  r.sd = v.size() > 1 ? std::sqrt(q / static_cast<double>(v.size() - 1)) : 0.0;
  if (!std::isfinite(r.mean)) r.mean = r.sd = NAN;
  return r;
}

// Epoch `paper_epoch` of a `paper_total`-epoch schedule mapped to a `total`-epoch one: the same
// fraction of training, rounded to the nearest epoch, kept within [1, total].
inline int64_t scale_epoch(int64_t paper_epoch, int64_t paper_total, int64_t total) {
  const double x = static_cast<double>(paper_epoch) * static_cast<double>(total) / static_cast<double>(paper_total);
  return std::clamp<int64_t>(static_cast<int64_t>(std::llround(x)), 1, std::max<int64_t>(total, 1));
}

struct TableRow {
  std::string method;
  MeanSd stat;
  bool ours = false;  // a method the paper proposes (Adai, AdaiW; ECDSep)
};

struct TableJudgement {
  Verdict verdict = Verdict::kNotHeld;
  std::vector<std::string> beats;  // the paper's methods better than every baseline's mean
  std::vector<std::string> close;  // the others within one standard deviation of the best baseline
  std::string best_baseline;
};

// NOTE [table rule] The papers claim their methods are best in the table (002, l.557: Adai and
// AdaiW "consistently outperforms all other popular optimizers"; 001, l.233-234 ranks ECDSep
// first, l.202: "competitive with the leader"). A method of the paper "beats" when its mean is
// better than every baseline's mean; it is "close" when it does not beat but its distance to the
// best baseline's mean is at most the larger of the two standard deviations (the seed-to-seed
// spread of either row). Held: every method of the paper beats. Held in part: at least one beats,
// or every one is close. Not held: otherwise. A NaN mean (a diverged run) never beats and is never
// close; a NaN baseline is never the best baseline.
inline TableJudgement judge_table(const std::vector<TableRow>& rows, bool lower_is_better) {
  TableJudgement j;
  const auto better = [&](double a, double b) { return lower_is_better ? a < b : a > b; };
  const TableRow* best = nullptr;
  for (const auto& r : rows)
    if (!r.ours && std::isfinite(r.stat.mean) && (best == nullptr || better(r.stat.mean, best->stat.mean))) best = &r;
  size_t ours = 0;
  for (const auto& r : rows) {
    if (!r.ours) continue;
    ++ours;
    if (!std::isfinite(r.stat.mean)) continue;
    if (best == nullptr || better(r.stat.mean, best->stat.mean)) {
      j.beats.push_back(r.method);
      continue;
    }
    const double spread = std::max(std::isfinite(r.stat.sd) ? r.stat.sd : 0.0,
                                   std::isfinite(best->stat.sd) ? best->stat.sd : 0.0);
    if (std::fabs(r.stat.mean - best->stat.mean) <= spread) j.close.push_back(r.method);
  }
  if (best != nullptr) j.best_baseline = best->method;
  if (ours > 0 && j.beats.size() == ours)
    j.verdict = Verdict::kHeld;
  else if (!j.beats.empty() || (ours > 0 && j.close.size() == ours))
    j.verdict = Verdict::kPartly;
  else
    j.verdict = Verdict::kNotHeld;
  return j;
}

// "12.34 ± 0.56" (percent, two decimals), or "diverged" for a NaN mean.
inline std::string pm_text(const MeanSd& s) {
  if (!std::isfinite(s.mean)) return "diverged";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f ± %.2f", s.mean, s.sd);
  return buf;
}

}  // namespace momenta::cli::experiments
