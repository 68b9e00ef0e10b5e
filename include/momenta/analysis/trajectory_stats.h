// Summaries of a finite optimisation trajectory, for judging the super-acceleration paper's claims
// over the paper's own horizon (Nakerst, Brennan & Haque 2020, Fig. 3: 180 steps; Fig. 7: fits).
#pragma once

#include <vector>

namespace momenta::analysis {

// The mean of log10 d_t over the whole series: the area under a log-distance curve such as the
// paper's Fig. 3(d,e), divided by its length. Smaller is faster. ValueError for an empty series
// or a d_t that is not finite and positive.
double mean_log10(const std::vector<double>& d);

// The first index from which every later d_t stays below `level`; -1 when d never settles.
int settle_index(const std::vector<double>& d, double level);

// How the last three points of a trajectory (points x_t of equal dimension, at least 3) repeat:
// `period2` = |x_N - x_{N-2}| and `period1` = |x_N - x_{N-1}| (Euclidean). A two-point cycle
// (Fig. 3(c), 004 l.198) has period2 ~ 0 while period1 is not.
struct EndCycle {
  double period1 = 0, period2 = 0;
};
EndCycle end_cycle(const std::vector<std::vector<double>>& x);

// T of the fit |y_t| ~ C exp(-t/T) by least squares on ln|y_t| (004, l.313-319: RMSProp's
// relaxation time), over the samples with |y_t| > floor. +inf when ln|y| does not decrease;
// ValueError when fewer than 3 samples are above floor.
double exp_decay_time(const std::vector<double>& y, double floor);

}  // namespace momenta::analysis
