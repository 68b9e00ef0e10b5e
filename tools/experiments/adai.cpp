// adai-escape (Xie et al. 2022, Adaptive Inertia, Sec. 6, App. E, Fig. 6): mean escape time from
// a sharp valley of the 10-D Styblinski-Tang function versus its sharpness k, for Adai, SGD with
// momentum and Adam. The diffusion theory predicts log(tau) ~ 1/k for SGD and Adai and
// log(tau) ~ 1/sqrt(k) for Adam (its adaptive rate rescales the noise by 1/sqrt(v) ~ 1/sqrt(k)).
//
// NOTE [escape protocol] The loss is f_k(theta) = sum_i ST(sqrt(k) theta_i) with
// ST(x) = (x^4 - 16 x^2 + 5 x)/2: stretching the coordinates keeps the barrier height and
// multiplies the Hessian by k. Each coordinate starts in the local (not global) minimum
// x = 2.7468/sqrt(k); the gradient gets Gaussian noise of standard deviation s*sqrt(k) per element,
// so the noise covariance is proportional to the Hessian as for minibatch noise. A run has escaped
// at the first step where any coordinate crosses the barrier top x = 0.15673/sqrt(k).
// SGD and Adam are element-wise, so all runs of one point share one arena (their losses add, and
// each element's gradient is its own run's); Adai's inertia uses the mean of v_hat over the whole
// arena, so Adai runs one 10-D arena per run.
#include <algorithm>
#include <cmath>
#include <random>

#include "momenta/ops.h"
#include "tools/experiments/common.h"
#include "tools/experiments/report.h"

namespace momenta::cli::experiments {
namespace {

constexpr int kDim = 10;
constexpr double kLocalMin = 2.746801534, kBarrier = 0.156731395;

struct Rule {
  std::string label, optim;
  optim::HyperParams hp;  // lr is set by calibrate_lr
  double noise;           // s
  double lr_lo, lr_hi;    // bracket of the calibration
};

// Escape steps of `runs` runs (cap + 1 when a run did not escape within cap steps).
std::vector<double> escape_times(const Rule& rule, double k, int runs, int cap, bool batched, uint64_t seed) {
  const double sk = std::sqrt(k);
  const optim::Objective f = [sk](const Tensor& x) {
    const Tensor y = x * sk;
    const Tensor y2 = square(y);
    return 0.5 * sum(square(y2) - 16.0 * y2 + 5.0 * y);
  };
  std::vector<double> out;
  const int per_arena = batched ? runs : 1;
  for (int first = 0; first < runs; first += per_arena) {
    const int n_runs = std::min(per_arena, runs - first);
    std::mt19937_64 gen(seed * 7919 + static_cast<uint64_t>(first) * 104729 + static_cast<uint64_t>(k * 1000));
    std::normal_distribution<double> normal(0.0, rule.noise * sk);
    std::vector<double> tau(static_cast<size_t>(n_runs), cap + 1.0);
    int escaped = 0;
    const std::vector<double> x0(static_cast<size_t>(n_runs * kDim), kLocalMin / sk);
    optim::run_objective(
        f, x0, {rule.optim, rule.hp, "", {}, cap},
        [&](const optim::StepView& v) {
          const std::vector<double> x = v.x.to_vector<double>();
          for (int r = 0; r < n_runs; ++r) {
            if (tau[static_cast<size_t>(r)] <= cap) continue;
            for (int i = 0; i < kDim; ++i)
              if (x[static_cast<size_t>(r * kDim + i)] * sk < kBarrier) {
                tau[static_cast<size_t>(r)] = static_cast<double>(v.t);
                ++escaped;
                break;
              }
          }
          return escaped < n_runs;
        },
        [&](int64_t, Tensor& g) {
          std::vector<double> gv = g.to_vector<double>();
          for (auto& x : gv) x += normal(gen);
          g.copy_(Tensor::from_vector<double>(gv, g.shape()));
        });
    out.insert(out.end(), tau.begin(), tau.end());
  }
  return out;
}

double mean_of(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m += x;
  return m / static_cast<double>(v.size());
}

// NOTE [escape calibration] The escape time depends on lr and the noise through one effective
// temperature per optimizer, so a fixed lr puts each optimizer's escape times anywhere from "at
// once" to "never". Each optimizer's lr is therefore set by bisection (in log lr) so that its
// mean escape time at the middle sharpness k_mid is about `target` steps; only the dependence on
// k, not the level, is compared across optimizers.
double calibrate_lr(Rule r, double k_mid, int runs, int cap, double target, uint64_t seed) {
  double lo = r.lr_lo, hi = r.lr_hi;
  for (int i = 0; i < 12; ++i) {
    const double mid = std::sqrt(lo * hi);
    r.hp["lr"] = {mid};
    const double tau = mean_of(escape_times(r, k_mid, runs, cap, r.optim != "adai", seed + 1000));
    (tau > target ? lo : hi) = mid;
  }
  return std::sqrt(lo * hi);
}

struct LinFit {
  double a = 0, b = 0, r2 = 0;
};

LinFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) sx += x[i], sy += y[i], sxx += x[i] * x[i], sxy += x[i] * y[i], syy += y[i] * y[i];
  LinFit f;
  f.b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  f.a = (sy - f.b * sx) / n;
  double ss_res = 0;
  for (size_t i = 0; i < x.size(); ++i) ss_res += std::pow(y[i] - f.a - f.b * x[i], 2);
  f.r2 = 1 - ss_res / (syy - sy * sy / n);
  return f;
}

Outcome run(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int runs = o.pick(8, 50, 100), cap = o.pick(1500, 20000, 100000);
  const std::vector<double> ks = o.size == Size::kQuick ? std::vector<double>{2.0, 3.0, 4.0}
                                                         : std::vector<double>{1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0};
  std::vector<Rule> rules = {
      {"Adai", "adai", {}, 24.0, 1e-5, 1.0},
      {"SGD-momentum", "heavy_ball", {{"momentum", {0.9}}}, 24.0, 1e-6, 0.1},
      {"Adam", "adam", {}, 24.0, 1e-5, 3.0},
  };
  const double k_mid = 2.0, target = 200.0;
  const int cal_runs = o.pick(6, 16, 32);
  for (Rule& r : rules) r.hp["lr"] = {calibrate_lr(r, k_mid, cal_runs, 5 * static_cast<int>(target), target, o.seed)};
  rep.protocol("NOTE [escape protocol] in tools/experiments/adai.cpp: f_k(theta) = sum_i ST(sqrt(k) theta_i) in 10-D, start in "
               "the local minimum of every coordinate, Gaussian gradient noise of std 24 sqrt(k) per element (covariance "
               "proportional to the Hessian), escape = first step a coordinate crosses the barrier top.");
  rep.protocol(std::to_string(runs) + " runs per (optimizer, k), k in {" + [&] {
    std::string s;
    for (double k : ks) s += (s.empty() ? "" : ", ") + fmt_num(k);
    return s;
  }() + "}, at most " + std::to_string(cap) + " steps (a run that has not escaped counts as " + std::to_string(cap + 1) +
               " steps, so the mean is a lower bound there). SGD and Adam runs share one arena per point; Adai runs one arena per run.");
  rep.protocol("Learning rates (NOTE [escape calibration]): bisection in log lr so that the mean escape time at k = 2 is "
               "about 200 steps (" + std::to_string(cal_runs) + " runs per probe): Adai " + fmt_num(rules[0].hp["lr"][0], 3) +
               " (betas 0.1, 0.99), SGD-momentum " + fmt_num(rules[1].hp["lr"][0], 3) + " (momentum 0.9), Adam " +
               fmt_num(rules[2].hp["lr"][0], 3) + " (betas 0.9, 0.999).");
  rep.protocol("The fits of log(mean escape time) use the points with no censored run and a mean of at least 10 steps (below "
               "that the time is set by the drift across the well, not by the barrier).");
  rep.choice("The paper's function scaling, noise model and learning rates of App. E were not retrieved; the protocol "
             "above is a reconstruction that keeps the barrier fixed and makes the noise covariance proportional to the "
             "Hessian, as the paper's diffusion theory assumes, and calibrates each learning rate to a common escape "
             "time at k = 2 instead of using the paper's values.");
  rep.choice("The k grid was refined (1.75, 2.25, 3.5 added) after a first default run left only 3 usable points for Adai, "
             "whose escape time rises most steeply.");
  std::vector<std::vector<double>> csv;
  std::vector<std::vector<std::string>> rows;
  std::vector<io::PlotSeries> s1, s2;
  std::map<std::string, std::pair<LinFit, LinFit>> fits;
  std::map<std::string, size_t> used;
  for (const Rule& r : rules) {
    std::vector<double> inv_k, inv_sqrt_k, log_tau;
    for (double k : ks) {
      const auto tau = escape_times(r, k, runs, cap, r.optim != "adai", o.seed);
      double mean = 0;
      int censored = 0;
      for (double t : tau) mean += t, censored += t > cap;
      mean /= static_cast<double>(tau.size());
      csv.push_back({static_cast<double>(&r - rules.data()), k, mean, static_cast<double>(censored)});
      if (censored == 0 && mean >= 10) {
        inv_k.push_back(1 / k);
        inv_sqrt_k.push_back(1 / std::sqrt(k));
        log_tau.push_back(std::log(mean));
      }
      rows.push_back({r.label, fmt_num(k), fmt_num(mean, 5), std::to_string(censored) + "/" + std::to_string(runs)});
    }
    LinFit a, b;
    if (inv_k.size() >= 3) a = fit_line(inv_k, log_tau), b = fit_line(inv_sqrt_k, log_tau);
    else a.r2 = b.r2 = NAN;  // too few usable points
    fits[r.label] = {a, b};
    used[r.label] = inv_k.size();
    s1.push_back(dots(r.label, inv_k, log_tau));
    s2.push_back(dots(r.label, inv_sqrt_k, log_tau));
    std::vector<double> fa, fb;
    for (double x : inv_k) fa.push_back(a.a + a.b * x);
    for (double x : inv_sqrt_k) fb.push_back(b.a + b.b * x);
    auto la = line("", inv_k, fa, true), lb = line("", inv_sqrt_k, fb, true);
    la.color = lb.color = io::palette_color(static_cast<size_t>(&r - rules.data()));
    s1.back().color = s2.back().color = la.color;
    s1.push_back(la);
    s2.push_back(lb);
  }
  rep.csv("escape_times.csv", {"optimizer", "k", "mean_escape_steps", "censored_runs"}, csv);
  rep.text("In escape_times.csv, optimizer 0 is Adai, 1 SGD-momentum, 2 Adam.");
  rep.table({"optimizer", "k", "mean escape time (steps)", "runs not escaped"}, rows);
  std::vector<std::vector<std::string>> frows;
  int matches = 0;
  for (const Rule& r : rules) {
    const auto& [a, b] = fits[r.label];
    const bool prefers_inv_k = a.r2 > b.r2;
    const bool expected = std::isfinite(a.r2) && (r.optim == "adam" ? !prefers_inv_k : prefers_inv_k);
    matches += expected;
    frows.push_back({r.label, std::to_string(used[r.label]), fmt_num(a.b, 4), fmt_num(a.r2, 5), fmt_num(b.b, 4), fmt_num(b.r2, 5),
                     !std::isfinite(a.r2) ? "too few points" : prefers_inv_k ? "1/k" : "1/sqrt(k)",
                     r.optim == "adam" ? "1/sqrt(k)" : "1/k"});
  }
  rep.table({"optimizer", "points fitted", "slope vs 1/k", "R^2 (1/k)", "slope vs 1/sqrt(k)", "R^2 (1/sqrt(k))", "better fit", "theory"}, frows);
  rep.figure("log_tau_vs_inv_k.svg", "log(mean escape time) against 1/k with least-squares lines (dashed).",
             io::render_line_plot({"Escape time versus 1/k", {"1/k"}, {"log(mean escape steps)"}, s1}));
  rep.figure("log_tau_vs_inv_sqrt_k.svg", "log(mean escape time) against 1/sqrt(k) with least-squares lines (dashed).",
             io::render_line_plot({"Escape time versus 1/sqrt(k)", {"1/sqrt(k)"}, {"log(mean escape steps)"}, s2}));
  const Verdict v = matches == 3 ? Verdict::kHeld : matches > 0 ? Verdict::kPartly : Verdict::kNotHeld;
  auto r2s = [&](const std::string& l) {
    return l + " R^2 " + fmt_num(fits[l].first.r2, 3) + "/" + fmt_num(fits[l].second.r2, 3);
  };
  return rep.finish(v, "R^2 of log(tau) vs 1/k / vs 1/sqrt(k): " + r2s("Adai") + ", " + r2s("SGD-momentum") + ", " + r2s("Adam"),
                    std::to_string(matches) + " of 3 optimizers follow the predicted law better than the other one "
                    "(1/k for Adai and SGD, 1/sqrt(k) for Adam).");
}

}  // namespace

void add_adai_experiments(std::vector<Experiment>& out) {
  out.push_back({"adai-escape", "Xie et al. 2022 (Adai, ICML)", "Sec. 6, App. E, Fig. 6",
                 "The mean escape time from a sharp minimum grows like exp(c/k) in its sharpness k for SGD and Adai "
                 "(they favour flat minima) but only like exp(c/sqrt(k)) for Adam.",
                 run});
}

}  // namespace momenta::cli::experiments
