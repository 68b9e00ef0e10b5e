// Closed forms for momentum methods on a quadratic, used by `momenta reproduce` to check measured
// runs. Everything is for one eigen-direction of curvature k with learning rate lr: a = k*lr.
//
// NOTE [momentum recurrence] Super-accelerated momentum (Nakerst et al. 2020, eq. 4) on
// L = k theta^2/2 is the linear recurrence
//     theta_{i+1} = (1 + mu - a(1 + sigma)) theta_i - (mu - a sigma) theta_{i-1},
// with characteristic polynomial z^2 - (1 + mu - a(1+sigma)) z + (mu - a sigma). sigma = 0 is heavy
// ball, sigma = mu is Nesterov. The error decays like r^i with r the spectral radius (largest root
// modulus); the relaxation time in steps is T = -1/ln r.
#pragma once

#include <complex>
#include <utility>

namespace momenta::analysis {

// The two roots of the characteristic polynomial (NOTE [momentum recurrence]).
std::pair<std::complex<double>, std::complex<double>> momentum_roots(double a, double mu, double sigma);
// max |root|; >= 1 means no convergence.
double momentum_spectral_radius(double a, double mu, double sigma);
// -1/ln(r); +inf when r >= 1.
double relaxation_time(double spectral_radius);

// Critical damping (double root) of super-acceleration (positive branch). The paper (Nakerst,
// Brennan & Haque 2020, file 004, l.116-153) writes alpha = mu - a sigma - 1 and reads the
// recurrence as x'' + A x' + B x = 0 three ways; critical damping A^2 = 4B gives its eqs. 12-14:
//   exact:         the discrete recurrence's double root:     sigma = -1 + 2/sqrt(a) - (1-mu)/a
//   ode1 (eq. 12): ODE (9),  A = -alpha, B = a:               sigma =      2/sqrt(a) - (1-mu)/a
//   ode_backward   ODE (10), A = -alpha/(1+alpha),
//     (eq. 13):    B = a/(1+alpha):                           sigma = -2 + 2 sqrt(1 + 1/a) - (1-mu)/a
//   ode2 (eq. 14): ODE (11), A = -alpha/(1+alpha/2),
//                  B = a/(1+alpha/2):                         sigma = -1 + sqrt(1 + 4/a) - (1-mu)/a
double sigma_star_exact(double a, double mu);
double sigma_star_ode1(double a, double mu);
double sigma_star_ode_backward(double a, double mu);
double sigma_star_ode2(double a, double mu);
// The smallest a in [lo, hi] (0 < lo < hi) at which eq. 13 is at least as close to the exact
// double root as eq. 14: |ode_backward - exact| <= |ode2 - exact|. Eq. 14 is the closer for small a
// (off by about sqrt(a)/4, eq. 13 by about 1 - sqrt(a)); the (1-mu)/a terms cancel in both
// differences, so the point does not depend on mu (about 0.8485). Found by a 2000-point log-grid
// scan for the first sign change of the difference, then bisection to a relative 1e-13; NaN when
// eq. 14 is the closer on the whole interval. ValueError for a bad interval.
double eq13_overtakes_eq14(double mu, double lo, double hi);

// The coefficients (A, B) of x'' + A x' + B x = 0 for the paper's ODE (9), (10) or (11) (which =
// 9, 10, 11); ValueError for another number.
std::pair<double, double> paper_ode_coefficients(int which, double a, double mu, double sigma);
// The solution of x'' + A x' + B x = 0 (B > 0) with x(0) = x0, x'(0) = v0, at time t, in each
// regime (under-, critically and over-damped).
double damped_oscillator(double A, double B, double x0, double v0, double t);

// The relaxation time the paper plots in its Fig. 1 (004, l.100-102): in the under-damped regime
// both roots share one modulus and T = -1/ln|z|; in the over-damped regime (two real roots of
// different modulus) the text takes "the initial relaxation timescale", the faster root's:
// T = -1/ln(min |z|). +inf when the recurrence does not converge (max |z| >= 1), 0 when a root is 0.
double initial_relaxation_time(double a, double mu, double sigma);

// Heavy ball with lr = 1/L on curvatures in [L/kappa, L] (Grosse's lecture on momentum):
// critically damping the flattest direction gives beta* = (1 - 1/sqrt(kappa))^2, and then every
// direction has |root| = sqrt(beta*) = 1 - 1/sqrt(kappa).
double heavy_ball_optimal_beta(double kappa);
double heavy_ball_optimal_rate(double kappa);
// Heavy ball converges on curvature direction a = lr*k iff 0 < a < 2(1 + beta).
double heavy_ball_stability_limit(double beta);

// Nesterov's worst function (Nesterov 2004, Sec. 2.1.2) on k chained coordinates with constant L,
// minimum value f*_k = L/8 (1/(k+1) - 1) at x*_i = 1 - i/(k+1). A first-order method started at
// x0 = 0 has x_t in the span of the first t coordinates, so for t < k
//     f(x_t) - f*_k >= f*_t - f*_k = L/8 (1/(t+1) - 1/(k+1))          (the span bound),
// and at t = (k-1)/2 this is at least Nesterov's 3 L |x0 - x*|^2 / (32 (t+1)^2).
double nesterov_worst_min(double L, int k);
double nesterov_worst_dist2(int k);  // |x0 - x*|^2 with x*_i = 1 - i/(k+1)
double nesterov_span_bound(double L, int k, int t);
double nesterov_lower_bound(double L, int k, int t);  // Nesterov's form; valid at t = (k-1)/2

}  // namespace momenta::analysis
