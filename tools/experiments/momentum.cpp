// momentum-quadratic: the closed forms of the momentum lecture (Grosse, CSC2541 "momentum";
// Nesterov 2004 for the worst function) measured on runs of the registered rules.
#include <algorithm>
#include <cmath>

#include "momenta/analysis/damped_fit.h"
#include "momenta/analysis/momentum_theory.h"
#include "tools/experiments/common.h"
#include "tools/experiments/report.h"

namespace momenta::cli::experiments {
namespace {

using analysis::fit_damped_cosine;

// x_t of a 1-D quadratic run (stored point) with curvature a and lr = 1.
std::vector<double> quad_series(const std::string& rule, double a, double mu, int steps) {
  const Trace tr = trace_run(test_fn("quadratic", 1, {{"k", a}}), {1.0},
                             {rule, {{"lr", {1.0}}, {"momentum", {mu}}}, "", {}, steps}, Point::kStored);
  return column(tr.x, 0);
}

double measured_radius(const std::string& rule, double a, double mu, int steps) {
  std::vector<double> s = quad_series(rule, a, mu, steps);
  // Keep the part before the values underflow or overflow.
  size_t n = 0;
  while (n < s.size() && std::isfinite(s[n]) && std::fabs(s[n]) > 1e-250 && std::fabs(s[n]) < 1e250) ++n;
  s.resize(std::max<size_t>(n, 4));
  return fit_damped_cosine(s).radius;
}

Outcome run(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int steps = o.pick(40, 80, 200);
  const int grid = o.pick(24, 120, 400);
  rep.protocol("Rules: `heavy_ball` (PyTorch form, identical to Polyak's with constant lr) and `nesterov` from the "
               "registry, float64, one tensor, through `momenta optimize`'s loop.");
  rep.protocol("Spectral radius: L = a x^2/2, lr = 1, x0 = 1, " + std::to_string(steps) + " steps, " +
               std::to_string(grid) + " curvatures a in (0, 2(1+beta) + 0.6) for beta in {0, 0.5, 0.9}; the radius is "
               "measured by an order-2 Prony fit of x_t (analysis/damped_fit.h) and compared with max|root| of "
               "z^2 - (1 + beta - a) z + beta.");

  // ---- 1. spectral radius versus curvature ----
  double max_err = 0, worst_threshold_err = 0;
  std::vector<io::PlotSeries> rs;
  std::vector<std::vector<double>> rows;
  size_t color = 0;
  for (double beta : {0.0, 0.5, 0.9}) {
    const double limit = analysis::heavy_ball_stability_limit(beta);
    std::vector<double> as = linspace(limit / grid / 2, limit + 0.6, grid), meas, theory;
    double last_conv = 0;
    for (double a : as) {
      const double r = measured_radius("heavy_ball", a, beta, steps);
      const double th = analysis::momentum_spectral_radius(a, beta, 0.0);
      meas.push_back(r);
      theory.push_back(th);
      rows.push_back({beta, a, r, th});
      max_err = std::max(max_err, std::fabs(r - th));
      if (r < 1) last_conv = a;
    }
    // The largest converging curvature on the grid lies within one grid step of the limit.
    worst_threshold_err = std::max(worst_threshold_err, std::fabs(last_conv - limit) - (as[1] - as[0]));
    auto th = line("beta " + fmt_num(beta, 2) + " closed form", as, theory);
    th.color = io::palette_color(color);
    auto me = dots("beta " + fmt_num(beta, 2) + " measured", as, meas);
    me.color = io::palette_color(color++);
    rs.push_back(th);
    rs.push_back(me);
  }
  rep.csv("spectral_radius.csv", {"beta", "a", "radius_measured", "radius_closed_form"}, rows);
  io::LinePlot p1{"Heavy ball: spectral radius versus curvature (lr = 1)", {"a = lr * curvature"}, {"spectral radius"}, rs};
  p1.y.max = 1.6;
  rep.figure("spectral_radius.svg", "Measured (dots) and closed-form (lines) spectral radius; the run diverges where it exceeds 1, at a = 2(1+beta).",
             io::render_line_plot(p1));
  rep.text("Largest |measured - closed form| spectral radius over the whole grid: **" + fmt_num(max_err, 3) + "**. Largest miss of the divergence threshold 2(1+beta) beyond one "
           "grid step: " + fmt_num(std::max(0.0, worst_threshold_err), 3) + ".");

  // ---- 2. optimal beta on an ill-conditioned quadratic ----
  const int dim = 20;
  const int hb_steps = o.pick(400, 3000, 8000);
  std::vector<std::vector<std::string>> trows;
  std::vector<std::vector<double>> brows;
  double worst_rel = 0;
  std::vector<io::PlotSeries> bs;
  const std::vector<double> kappas = o.size == Size::kQuick ? std::vector<double>{10, 100} : std::vector<double>{10, 100, 1000};
  for (double kappa : kappas) {
    const std::vector<double> ks = logspace(1.0 / kappa, 1.0, dim);
    std::string kstr;
    for (double k : ks) kstr += (kstr.empty() ? "" : ",") + fmt_num(k, 17);
    const auto f = optim::make_test_function("quadratic", dim, {{"k", kstr}});
    const std::vector<double> x0(dim, 1.0);
    const int n = std::min<int>(hb_steps, static_cast<int>(60 * std::sqrt(kappa)));
    auto rate_of = [&](double beta) {
      const Trace tr = trace_run(f, x0, {"heavy_ball", {{"lr", {1.0}}, {"momentum", {beta}}}, "", {}, n}, Point::kStored);
      const double a = norm2(tr.x[static_cast<size_t>(n / 2)]), b = norm2(tr.x.back());
      return std::pow(b / a, 1.0 / (n - n / 2));
    };
    const double bstar = analysis::heavy_ball_optimal_beta(kappa);
    const double rate = rate_of(bstar), closed = analysis::heavy_ball_optimal_rate(kappa);
    const double rel = std::fabs((1 - rate) - (1 - closed)) / (1 - closed);
    worst_rel = std::max(worst_rel, rel);
    trows.push_back({fmt_num(kappa), fmt_num(bstar, 6), fmt_num(closed, 6), fmt_num(rate, 6), fmt_num(rel, 3)});
    // Rate versus beta around beta*: the minimum should sit at beta*.
    std::vector<double> betas, rates;
    for (double q : linspace(-0.6, 0.6, o.pick(5, 13, 25))) {
      const double beta = std::clamp(bstar + q * (1 - bstar), 0.0, 0.999);
      betas.push_back(beta);
      rates.push_back(rate_of(beta));
      brows.push_back({kappa, beta, rates.back()});
    }
    bs.push_back(line("kappa " + fmt_num(kappa), betas, rates));
  }
  rep.protocol("Optimal beta: L = sum k_i x_i^2/2 with " + std::to_string(dim) + " curvatures geometric in [1/kappa, 1], "
               "lr = 1/L = 1, x0 = 1; the rate is (|x_N|/|x_{N/2}|)^(1/(N - N/2)) with N = min(" +
               std::to_string(hb_steps) + ", 60 sqrt(kappa)).");
  rep.table({"kappa", "beta* = (1 - 1/sqrt(kappa))^2", "closed-form rate 1 - 1/sqrt(kappa)", "measured rate",
             "relative error of 1 - rate"},
            trows);
  rep.csv("rate_vs_beta.csv", {"kappa", "beta", "measured_rate"}, brows);
  io::LinePlot p2{"Heavy ball on an ill-conditioned quadratic: rate versus beta", {"beta"}, {"per-step rate"}, bs};
  rep.figure("rate_vs_beta.svg", "Measured asymptotic rate versus beta; the minimum lies at beta* = (1 - 1/sqrt(kappa))^2.",
             io::render_line_plot(p2));

  // ---- 3. Nesterov's worst function ----
  const int k = o.pick(21, 101, 201), t_max = (k - 1) / 2;
  const auto fw = test_fn("nesterov_worst", k, {{"L", 1.0}, {"k", static_cast<double>(k)}});
  const double fstar = analysis::nesterov_worst_min(1.0, k);
  std::vector<io::PlotSeries> ws;
  std::vector<double> ts = iota_steps(static_cast<size_t>(t_max + 1)), bound;
  for (double t : ts) bound.push_back(analysis::nesterov_span_bound(1.0, k, static_cast<int>(t)));
  const double classic = analysis::nesterov_lower_bound(1.0, k, t_max);
  double min_ratio = std::numeric_limits<double>::infinity(), min_classic = min_ratio;
  std::vector<std::vector<std::string>> wrows;
  struct R {
    const char* label;
    std::string rule;
    double mu;
  };
  for (const R& r : {R{"GD", "sgd", 0.0}, R{"heavy ball mu=0.9", "heavy_ball", 0.9}, R{"Nesterov mu=0.9", "nesterov", 0.9},
                     R{"Nesterov mu=0.99", "nesterov", 0.99}}) {
    const Trace tr = trace_run(fw, std::vector<double>(static_cast<size_t>(k), 0.0),
                               {r.rule, {{"lr", {1.0}}, {"momentum", {r.mu}}}, "", {}, t_max}, Point::kIterate);
    std::vector<double> gap;
    double mr = std::numeric_limits<double>::infinity();
    for (size_t t = 0; t < tr.loss.size(); ++t) {
      gap.push_back(tr.loss[t] - fstar);
      mr = std::min(mr, gap.back() / bound[t]);
    }
    min_ratio = std::min(min_ratio, mr);
    min_classic = std::min(min_classic, gap.back() / classic);
    wrows.push_back({r.label, fmt_num(gap.back(), 4), fmt_num(bound.back(), 4), fmt_num(classic, 4), fmt_num(mr, 6)});
    ws.push_back(line(r.label, ts, gap));
  }
  ws.push_back(line("span bound L/8 (1/(t+1) - 1/(k+1))", ts, bound, true));
  ws.push_back(dots("3L|x0-x*|^2/(32(t+1)^2) at t = (k-1)/2", {static_cast<double>(t_max)}, {classic}));
  rep.protocol("Nesterov's worst function (test function `nesterov_worst`, L = 1) on k = " + std::to_string(k) +
               " chained coordinates from x0 = 0, t <= (k-1)/2 = " + std::to_string(t_max) + " steps, lr = 1/L.");
  rep.text("Bounds: a first-order method from x0 = 0 keeps x_t in the span of the first t coordinates, so "
           "f(x_t) - f* >= L/8 (1/(t+1) - 1/(k+1)) for every t < k (the span bound; equality at t = 0), and at t = (k-1)/2 "
           "this implies Nesterov's 3L|x0 - x*|^2/(32(t+1)^2).");
  rep.table({"method", "f(x_t) - f* at t = (k-1)/2", "span bound there", "Nesterov's bound there",
             "min over t of gap / span bound"},
            wrows);
  io::LinePlot p3{"Nesterov's worst function: no first-order method beats the bound", {"step t", true}, {"f(x_t) - f*", true}, ws};
  rep.figure("worst_function.svg", "Optimality gap of four first-order methods against Nesterov's lower bound (dashed).",
             io::render_line_plot(p3));

  // ---- 4. heavy ball versus Nesterov oscillations ----
  const double a = 0.5, mu = 0.9;
  const int osc_steps = o.pick(60, 100, 200);
  const auto hb = quad_series("heavy_ball", a, mu, osc_steps), ne = quad_series("nesterov", a, mu, osc_steps);
  const auto fh = fit_damped_cosine(hb), fn = fit_damped_cosine(ne);
  const double th_h = analysis::relaxation_time(analysis::momentum_spectral_radius(a, mu, 0.0));
  const double th_n = analysis::relaxation_time(analysis::momentum_spectral_radius(a, mu, mu));
  rep.protocol("Oscillations: L = a x^2/2 with a = lr*k = 0.5, mu = 0.9, x0 = 1, " + std::to_string(osc_steps) + " steps.");
  rep.table({"method", "fitted T (steps)", "closed-form T", "fitted omega", "closed-form omega"},
            {{"heavy ball", fmt_num(fh.T, 6), fmt_num(th_h, 6), fmt_num(fh.omega, 6),
              fmt_num(std::fabs(std::arg(analysis::momentum_roots(a, mu, 0.0).first)), 6)},
             {"Nesterov", fmt_num(fn.T, 6), fmt_num(th_n, 6), fmt_num(fn.omega, 6),
              fmt_num(std::fabs(std::arg(analysis::momentum_roots(a, mu, mu).first)), 6)}});
  const auto steps_x = iota_steps(hb.size());
  rep.csv("oscillations.csv", {"step", "heavy_ball", "nesterov"}, [&] {
    std::vector<std::vector<double>> r;
    for (size_t i = 0; i < hb.size(); ++i) r.push_back({static_cast<double>(i), hb[i], i < ne.size() ? ne[i] : NAN});
    return r;
  }());
  io::LinePlot p4{"Heavy ball oscillates where Nesterov is damped (a = 0.5, mu = 0.9)", {"step"}, {"x_t"},
                  {line("heavy ball", steps_x, hb), line("Nesterov", iota_steps(ne.size()), ne)}};
  rep.figure("oscillations.svg", "x_t of heavy ball and Nesterov on the same quadratic.", io::render_line_plot(p4));
  const double t_err = std::max(std::fabs(fh.T - th_h) / th_h, std::fabs(fn.T - th_n) / th_n);

  const bool ok = max_err < 1e-6 && worst_threshold_err <= 0 && worst_rel < 0.05 && min_ratio >= 1 - 1e-9 && min_classic >= 1 && t_err < 1e-6;
  return rep.finish(ok ? Verdict::kHeld : Verdict::kNotHeld,
                    "radius error " + fmt_num(max_err, 2) + ", optimal-beta rate error " + fmt_num(100 * worst_rel, 2) +
                        "%, min gap/bound " + fmt_num(min_ratio, 6),
                    ok ? "Every closed form matched its measurement within the stated tolerances (radius 1e-6, "
                         "rate 5%, relaxation time 1e-6 relative) and no method beat the lower bound."
                       : "At least one closed form missed its tolerance (radius 1e-6, rate 5%, T 1e-6) or a method beat "
                         "the lower bound; see the tables.");
}

}  // namespace

void add_momentum_experiments(std::vector<Experiment>& out) {
  out.push_back({"momentum-quadratic", "Grosse, lecture notes on momentum (CSC2541); Nesterov 2004",
                 "lecture on momentum",
                 "On a quadratic, heavy ball's error contracts by the spectral radius of its 2x2 iteration, which "
                 "diverges beyond a*lr = 2(1+beta); with lr = 1/L the optimal beta is (1 - 1/sqrt(kappa))^2 with rate "
                 "1 - 1/sqrt(kappa); no first-order method beats 3L|x0-x*|^2/(32(t+1)^2) on Nesterov's worst function; "
                 "heavy ball oscillates where Nesterov is damped.",
                 run});
}

}  // namespace momenta::cli::experiments
