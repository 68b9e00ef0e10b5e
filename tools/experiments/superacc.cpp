// The super-acceleration experiments (Nakerst, Brennan & Haque 2020, "Gradient descent with
// momentum - to accelerate or to super-accelerate?"): the quadratic theory, the 2-D landscape
// and RMSProp with super-acceleration. The network experiments are in superacc_nets.cpp.
#include <algorithm>
#include <cmath>

#include "momenta/analysis/damped_fit.h"
#include "momenta/analysis/momentum_theory.h"
#include "tools/experiments/common.h"
#include "tools/experiments/report.h"

namespace momenta::cli::experiments {
namespace {

constexpr double kMu = 0.9;
constexpr double kEq15Ripple = 0.1;  // A of the superacc_eq15 stand-in (see run_2d)

// Fitted relaxation time of theta_t for super_accel on L = k theta^2/2 with k*lr = a (lr = a, k = 1).
double fitted_T(double a, double sigma, int steps) {
  const Trace tr = trace_run(test_fn("quadratic", 1, {{"k", 1.0}}), {1.0},
                             {"super_accel", {{"lr", {a}}, {"momentum", {kMu}}, {"sigma", {sigma}}}, "", {}, steps},
                             Point::kIterate);
  std::vector<double> s = column(tr.x, 0);
  size_t n = 0;
  while (n < s.size() && std::isfinite(s[n]) && std::fabs(s[n]) > 1e-250 && std::fabs(s[n]) < 1e250) ++n;
  s.resize(std::max<size_t>(n, 4));
  return analysis::fit_damped_cosine(s).T;
}

// The sigma that minimises the fitted T on [lo, hi]: a grid scan (T is +inf where the run
// diverges, which defeats a pure golden-section search for k eta > 1), then golden-section
// search in the bracket around the best grid point.
double numerical_sigma_star(double a, double lo, double hi, int steps, int iters) {
  const int n = 64;
  double best_s = lo, best_T = INFINITY;
  for (int i = 0; i <= n; ++i) {
    const double s = lo + (hi - lo) * i / n, T = fitted_T(a, s, steps);
    if (T < best_T) best_T = T, best_s = s;
  }
  const double h = (hi - lo) / n;
  lo = std::max(lo, best_s - h), hi = std::min(hi, best_s + h);
  const double g = (std::sqrt(5.0) - 1) / 2;
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
  double f1 = fitted_T(a, x1, steps), f2 = fitted_T(a, x2, steps);
  for (int i = 0; i < iters; ++i) {
    if (f1 < f2) {
      hi = x2, x2 = x1, f2 = f1, x1 = hi - g * (hi - lo), f1 = fitted_T(a, x1, steps);
    } else {
      lo = x1, x1 = x2, f1 = f2, x2 = lo + g * (hi - lo), f2 = fitted_T(a, x2, steps);
    }
  }
  return (lo + hi) / 2;
}

Outcome run_quadratic(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int steps = o.pick(120, 400, 1000);
  rep.protocol("Rule `super_accel` (eq. 4, stored look-ahead point; theta = eval_weights()) with mu = 0.9 on L = k theta^2/2, "
               "k = 1, theta_0 = 1, lr = k*eta, " + std::to_string(steps) + " steps per run.");
  rep.protocol("T is fitted to theta_t as A exp(-t/T) cos(w t + d) by an order-2 Prony fit (analysis/damped_fit.h: "
               "least-squares two-step recurrence, T from its dominant root; exact for this linear iteration).");
  rep.protocol("Numerical sigma*: a 65-point scan of the fitted T over sigma in [0, 2 sigma*_exact + 4], then golden-section "
               "minimisation in the bracket around the best point.");
  rep.choice("Eqs. 12-14 could not be retrieved. The three critical-damping formulas used are derived here (and "
             "checked by tests): the exact double root of the discrete recurrence, sigma = -1 + 2/sqrt(k eta) - (1-mu)/(k eta); "
             "the ODE theta'' + (1-mu+k eta sigma) theta' + k eta theta = 0, sigma = 2/sqrt(k eta) - (1-mu)/(k eta); and the "
             "second-order expansion quoted in OPTIMIZERS.md as eq. 14, sigma = -1 + sqrt(1 + 4/(k eta)) - (1-mu)/(k eta).");
  rep.choice("k eta is restricted to where sigma* > 0 (the registry's sigma >= 0): about 0.003 < k eta < 3.8 for mu = 0.9.");

  // Fig. 1: T versus sigma.
  std::vector<io::PlotSeries> ts;
  std::vector<std::vector<double>> trows;
  size_t c = 0;
  double max_T_err = 0;
  for (double a : {0.01, 0.05, 0.2}) {
    const double smax = 2 * analysis::sigma_star_exact(a, kMu) + 4;
    std::vector<double> sig = linspace(0, smax, o.pick(15, 60, 200)), meas, th;
    for (double s : sig) {
      meas.push_back(fitted_T(a, s, steps));
      th.push_back(analysis::relaxation_time(analysis::momentum_spectral_radius(a, kMu, s)));
      trows.push_back({a, s, meas.back(), th.back()});
      if (std::isfinite(th.back()) && th.back() < steps / 5.0)
        max_T_err = std::max(max_T_err, std::fabs(meas.back() - th.back()) / th.back());
    }
    auto l = line("k eta = " + fmt_num(a) + " closed form", sig, th);
    l.color = io::palette_color(c);
    auto d = dots("k eta = " + fmt_num(a) + " fitted", sig, meas);
    d.color = io::palette_color(c++);
    ts.push_back(l);
    ts.push_back(d);
  }
  rep.csv("relaxation_time.csv", {"k_eta", "sigma", "T_fitted", "T_closed_form"}, trows);
  io::LinePlot p1{"Relaxation time versus sigma (mu = 0.9)", {"sigma"}, {"T (steps)", true}, ts};
  rep.figure("relaxation_time.svg", "Fitted (dots) and closed-form (lines) relaxation time; the minimum is sigma*.",
             io::render_line_plot(p1));
  rep.text("Largest relative difference between fitted and closed-form T (where T < steps/5): **" + fmt_num(max_T_err, 3) + "**.");

  // Fig. 2: sigma* versus k eta.
  std::vector<double> as = logspace(0.005, 1.5, o.pick(5, 14, 30)), num, ex, o1, o2;
  std::vector<std::vector<double>> srows;
  double worst_exact = 0, first_ode2 = 0, last_ode2 = 0;
  for (double a : as) {
    const double se = analysis::sigma_star_exact(a, kMu);
    num.push_back(numerical_sigma_star(a, 0.0, 2 * se + 4, steps, o.pick(30, 50, 60)));
    ex.push_back(se);
    o1.push_back(analysis::sigma_star_ode1(a, kMu));
    o2.push_back(analysis::sigma_star_ode2(a, kMu));
    srows.push_back({a, num.back(), ex.back(), o1.back(), o2.back()});
    worst_exact = std::max(worst_exact, std::fabs(num.back() - se) / std::max(1.0, se));
    const double rel2 = std::fabs(o2.back() - num.back()) / std::max(1.0, num.back());
    if (a == as.front()) first_ode2 = rel2;
    last_ode2 = rel2;
  }
  rep.csv("sigma_star.csv", {"k_eta", "sigma_star_numerical", "exact_double_root", "ode_first_order", "ode_second_order_eq14"},
          srows);
  io::LinePlot p2{"Optimal sigma versus k eta (mu = 0.9)", {"k eta", true}, {"sigma*", true},
                  {dots("numerical (min of fitted T)", as, num), line("exact double root", as, ex),
                   line("ODE, first differences", as, o1, true), line("ODE, second order (eq. 14)", as, o2, true)}};
  rep.figure("sigma_star.svg", "Numerical sigma* against the three critical-damping formulas.", io::render_line_plot(p2));
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < as.size(); i += std::max<size_t>(1, as.size() / 7))
    rows.push_back({fmt_num(as[i]), fmt_num(num[i], 6), fmt_num(ex[i], 6), fmt_num(o1[i], 6), fmt_num(o2[i], 6)});
  rep.table({"k eta", "numerical sigma*", "exact", "ODE (first differences)", "ODE second order (eq. 14)"}, rows);
  const bool ok = worst_exact < 1e-3 && max_T_err < 1e-6;
  rep.text("The first-order ODE formula stays exactly 1 above the exact one (it drops the -1 of the discrete double root); "
           "eq. 14 approaches it as k eta -> 0 (its error is about sqrt(k eta)/4): its relative error is " +
           fmt_num(first_ode2, 3) + " at k eta = " + fmt_num(as.front()) + " and " + fmt_num(last_ode2, 3) +
           " at k eta = " + fmt_num(as.back()) + ".");
  return rep.finish(ok ? Verdict::kHeld : Verdict::kNotHeld,
                    "numerical sigma* vs exact critical damping: max rel. error " + fmt_num(worst_exact, 2) +
                        "; eq. 14 off by " + fmt_num(100 * last_ode2, 2) + "% at k eta = " + fmt_num(as.back()),
                    ok ? "The minimum of the measured relaxation time sits at the critical-damping sigma (within 1e-3), "
                         "and the fitted T matches the closed form."
                       : "The numerical optimum or the fitted T missed the closed form by more than the tolerance.");
}

// ---- 2-D landscape (eq. 15) ----

std::vector<std::pair<std::string, optim::ObjectiveRunSpec>> eq15_runs(int steps) {
  std::vector<std::pair<std::string, optim::ObjectiveRunSpec>> v;
  v.push_back({"GD", {"sgd", {{"lr", {0.01}}}, "", {}, steps}});
  for (double s : {0.0, 0.9, 2.0, 4.0, 7.0})
    v.push_back({"sigma " + fmt_num(s), {"super_accel", {{"lr", {0.01}}, {"momentum", {kMu}}, {"sigma", {s}}}, "", {}, steps}});
  return v;
}

Outcome run_2d(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int steps = o.pick(60, 180, 180);
  const auto f = test_fn("superacc_eq15", 2, {{"A", kEq15Ripple}});
  rep.protocol("From (-1, -3.8), eta = 0.01, mu = 0.9, " + std::to_string(steps) +
               " steps: GD (`sgd`) and `super_accel` with sigma in {0, 0.9, 2, 4, 7}; distance of theta to the minimum (0, 0).");
  rep.choice("Eq. 15 could not be retrieved: the run uses the registry's STAND-IN `superacc_eq15`, "
             "0.5 (x^2 + 10 y^2) + A (2 - cos 2 pi x - cos 2 pi y), a rippled bowl with spurious minima, with A = 0.1 "
             "instead of its default 0.5: with A = 0.5 every method, GD included, stops in the spurious minimum at "
             "x = -0.95 on the way (measured in a first run), so the comparison says nothing. With A = 0.1 spurious minima "
             "remain for |x| < 0.63. A = 0.1 was chosen once, after that A = 0.5 run and before any A = 0.1 result was "
             "seen, and not tuned further. The verdict is about this "
             "stand-in, not the paper's function.");
  std::vector<io::PlotSeries> paths, dist;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> csv;
  std::map<std::string, double> final_d, reach;
  for (const auto& [label, spec] : eq15_runs(steps)) {
    const Trace tr = trace_run(f, {-1.0, -3.8}, spec, Point::kIterate);
    std::vector<double> d;
    reach[label] = INFINITY;
    for (size_t t = 0; t < tr.x.size(); ++t) {
      d.push_back(norm2(tr.x[t]));
      if (d.back() < 1e-3 && !std::isfinite(reach[label])) reach[label] = static_cast<double>(t);
      csv.push_back({static_cast<double>(paths.size()), static_cast<double>(t), tr.x[t][0], tr.x[t][1], tr.loss[t], d.back()});
    }
    final_d[label] = d.back();
    rows.push_back({label, fmt_num(tr.loss.back(), 4), fmt_num(d.back(), 4),
                    std::isfinite(reach[label]) ? fmt_num(reach[label]) : std::string("never")});
    paths.push_back(line(label, column(tr.x, 0), column(tr.x, 1)));
    dist.push_back(line(label, iota_steps(d.size()), d));
  }
  rep.csv("trajectories.csv", {"run", "step", "x", "y", "loss", "distance"}, csv);
  rep.table({"run", "final loss", "final distance to the minimum", "first step within 1e-3 of the minimum"}, rows);
  io::ContourPlot cp;
  cp.title = "Trajectories on the eq. 15 stand-in";
  cp.x_min = -2, cp.x_max = 1.5, cp.y_min = -4.5, cp.y_max = 1.5;
  cp.f = [&](double x, double y) { return eval2(f, x, y); };
  cp.paths = paths;
  cp.stars = {{0.0, 0.0}};
  cp.grid = o.pick(60, 120, 160);
  rep.figure("trajectories.svg", "Trajectories from (-1, -3.8); the star marks the minimum.", io::render_contour_plot(cp));
  io::LinePlot p{"Distance to the minimum", {"step"}, {"|theta - theta*|", true}, dist};
  rep.figure("distance.svg", "Distance to the minimum per step.", io::render_line_plot(p));
  // The claim in two parts: sigma 2-4 reach the minimum first (within 1e-3, fewer steps than GD,
  // sigma 0 and sigma 0.9), and sigma 7 is caught away from it (final distance > 1e-2).
  const double best_mid = std::min(reach["sigma 2"], reach["sigma 4"]);
  const bool mid_best = std::isfinite(best_mid) && best_mid < std::min({reach["GD"], reach["sigma 0"], reach["sigma 0.9"]});
  const bool seven_trapped = final_d["sigma 7"] > 1e-2;
  const Verdict v = mid_best && seven_trapped ? Verdict::kHeld : mid_best || seven_trapped ? Verdict::kPartly : Verdict::kNotHeld;
  auto steps_text = [&](const char* k) { return std::isfinite(reach[k]) ? fmt_num(reach[k]) : std::string("never"); };
  return rep.finish(v,
                    "steps to within 1e-3 of the minimum: sigma 2 " + steps_text("sigma 2") + ", sigma 4 " +
                        steps_text("sigma 4") + ", GD " + steps_text("GD") + ", sigma 0 " + steps_text("sigma 0") +
                        ", sigma 0.9 " + steps_text("sigma 0.9") + ", sigma 7 " + steps_text("sigma 7") +
                        " (stand-in eq. 15)",
                    std::string(mid_best ? "sigma 2-4 reached the minimum first" : "sigma 2-4 did not reach the minimum first") +
                        "; sigma 7 " + (seven_trapped ? "was caught away from the minimum" : "was not caught by a spurious minimum") +
                        ". Measured on a stand-in for eq. 15, so this does not test the paper's figure itself.");
}

// ---- RMSProp with super-acceleration ----

Outcome run_rmsprop(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int qsteps = o.pick(100, 400, 1000), esteps = o.pick(60, 180, 180);
  rep.protocol("Rule `rmsprop_super_accel` (eq. 16: eps inside the sqrt, no bias correction), mu = 0.9, beta2 = 0.999, "
               "eps = 1e-7, sigma in {0, 0.9, 2, 4, 7}.");
  rep.protocol("Quadratic: L = theta^2/2 from theta_0 = 1, lr = 0.01, " + std::to_string(qsteps) + " steps. 2-D: the eq. 15 "
               "stand-in from (-1, -3.8), lr = 0.01, " + std::to_string(esteps) + " steps.");
  rep.choice("The paper's Fig. 8 caption says lr = 0.01 and its text 0.1 (OPTIMIZERS.md Section 5); 0.01 is used.");
  rep.choice("Eq. 15 is the registry's stand-in `superacc_eq15` with ripple amplitude A = 0.1, as in superacc-2d (the "
             "paper's formula was not retrieved).");
  std::vector<io::PlotSeries> q, s2;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> csv;
  std::map<double, double> qfinal, efinal;
  for (double sigma : {0.0, 0.9, 2.0, 4.0, 7.0}) {
    const optim::HyperParams hp{{"lr", {0.01}}, {"momentum", {kMu}}, {"sigma", {sigma}}};
    const Trace tq = trace_run(test_fn("quadratic", 1), {1.0}, {"rmsprop_super_accel", hp, "", {}, qsteps}, Point::kIterate);
    const Trace te = trace_run(test_fn("superacc_eq15", 2, {{"A", kEq15Ripple}}), {-1.0, -3.8}, {"rmsprop_super_accel", hp, "", {}, esteps},
                               Point::kIterate);
    // Late-time level: the mean loss over the last 10% of steps (RMSProp keeps jittering at the lr scale).
    auto tail_mean = [](const std::vector<double>& l) {
      const size_t from = l.size() - std::max<size_t>(1, l.size() / 10);
      double s = 0;
      for (size_t i = from; i < l.size(); ++i) s += l[i];
      return s / static_cast<double>(l.size() - from);
    };
    qfinal[sigma] = tail_mean(tq.loss);
    efinal[sigma] = tail_mean(te.loss);
    for (size_t t = 0; t < tq.loss.size(); ++t) csv.push_back({sigma, 0, static_cast<double>(t), tq.loss[t]});
    for (size_t t = 0; t < te.loss.size(); ++t) csv.push_back({sigma, 1, static_cast<double>(t), te.loss[t]});
    rows.push_back({fmt_num(sigma), fmt_num(qfinal[sigma], 4), fmt_num(efinal[sigma], 4)});
    q.push_back(line("sigma " + fmt_num(sigma), iota_steps(tq.loss.size()), tq.loss));
    s2.push_back(line("sigma " + fmt_num(sigma), iota_steps(te.loss.size()), te.loss));
  }
  rep.csv("losses.csv", {"sigma", "problem", "step", "loss"}, csv);
  rep.text("In losses.csv, problem 0 is the quadratic and 1 the eq. 15 stand-in.");
  rep.table({"sigma", "quadratic: mean loss, last 10%", "eq. 15 stand-in: mean loss, last 10%"}, rows);
  rep.figure("quadratic.svg", "RMSProp + super-acceleration on the quadratic.",
             io::render_line_plot({"RMSProp-SA on L = theta^2/2", {"step"}, {"loss", true}, q}));
  rep.figure("eq15.svg", "RMSProp + super-acceleration on the eq. 15 stand-in.",
             io::render_line_plot({"RMSProp-SA on the eq. 15 stand-in", {"step"}, {"loss", true}, s2}));
  const double q_sa = std::min(qfinal[2.0], qfinal[4.0]), e_sa = std::min(efinal[2.0], efinal[4.0]);
  const bool q_ok = q_sa < std::min(qfinal[0.0], qfinal[0.9]), e_ok = e_sa < std::min(efinal[0.0], efinal[0.9]);
  const Verdict v = q_ok && e_ok ? Verdict::kHeld : q_ok || e_ok ? Verdict::kPartly : Verdict::kNotHeld;
  return rep.finish(v,
                    "late loss, best of sigma 2/4 vs best of sigma 0/0.9: quadratic " + fmt_num(q_sa, 3) + " vs " +
                        fmt_num(std::min(qfinal[0.0], qfinal[0.9]), 3) + ", eq.15 stand-in " + fmt_num(e_sa, 3) + " vs " +
                        fmt_num(std::min(efinal[0.0], efinal[0.9]), 3),
                    std::string("Super-acceleration (sigma 2 or 4) ") + (q_ok ? "improved" : "did not improve") +
                        " RMSProp on the quadratic and " + (e_ok ? "improved" : "did not improve") +
                        " it on the eq. 15 stand-in, judged by the mean loss over the last 10% of steps.");
}

}  // namespace

void add_superacc_experiments(std::vector<Experiment>& out) {
  const std::string paper = "Nakerst, Brennan & Haque 2020 (super-acceleration)";
  out.push_back({"superacc-quadratic", paper, "Sec. 2, Fig. 1-2",
                 "On L = k theta^2/2 the relaxation time T(sigma) has a sharp minimum at the critical-damping sigma*, "
                 "given by the exact formula and approximated well by the continuum formulas (eqs. 12-14) for small k eta.",
                 run_quadratic});
  out.push_back({"superacc-2d", paper, "Fig. 3",
                 "On the 2-D landscape of eq. 15 from (-1, -3.8) with eta = 0.01 and 180 steps, super-acceleration with "
                 "sigma ~ 2-4 reaches the minimum fastest; sigma >= 6 (here 7) is caught by spurious attractors.",
                 run_2d});
  out.push_back({"superacc-regression", paper, "Fig. 4",
                 "On a 51-parameter linear regression (the paper's data recipe), super-accelerated momentum lowers the "
                 "loss faster than heavy ball and Nesterov.",
                 run_superacc_regression});
  out.push_back({"superacc-mnist", paper, "Fig. 5-6",
                 "On MNIST with 784-30-10 and 784-15-15-10 sigmoid networks, quadratic loss, eta = 0.5, full batch and "
                 "minibatch 200, sigma = 4 and 20 reach a given test accuracy and loss in fewer steps than sigma = 0 "
                 "and 0.9.",
                 run_superacc_mnist});
  out.push_back({"superacc-rmsprop", paper, "Sec. 5, Fig. 7-8",
                 "Super-acceleration also improves RMSProp (with momentum): on the quadratic and on eq. 15, sigma > 1 "
                 "converges faster than sigma = 0 and Nesterov-like sigma = mu.",
                 run_rmsprop});
}

}  // namespace momenta::cli::experiments
