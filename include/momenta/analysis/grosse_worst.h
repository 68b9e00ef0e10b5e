// The worst function of Grosse's lecture on momentum (CSC 2541 Lec. 9; paper file 003,
// l.374-383; it calls it Nesterov's), a free-ended chain:
//     J(w) = 1/2 (1 - w_1)^2 + sum_{j=1}^{D-1} 1/2 (w_{j+1} - w_j)^2,   min J = 0 at w = 1.
// From w = 0 the t-th iterate of a first-order method lies in the span of the first t
// coordinates (l.382). With w_{t+1..D} = 0 (t < D) the loss is a chain of t + 1 differences
// from 1 down to 0, so its least value is 1/(2(t+1)), at w_j = 1 - j/(t+1); from t = D on it is
// 0. The lecture states this least value as 1/k for k iterations (l.383).
#pragma once

#include <vector>

namespace momenta::analysis {

// J at w (D = w.size() >= 1).
double grosse_worst_value(const std::vector<double>& w);
// The least J over w with w_j = 0 for j > t: 1/(2(t+1)) for 0 <= t < D, else 0.
double grosse_worst_span_min(int t, int D);
// Where it is attained: w_j = 1 - j/(t+1) for j <= t, 0 beyond (all ones for t >= D).
std::vector<double> grosse_worst_span_argmin(int t, int D);

}  // namespace momenta::analysis
