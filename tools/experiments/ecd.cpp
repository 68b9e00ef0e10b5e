// The ECDSep experiments (De Luca, Gatti & Silverstein 2023, "Improving Energy Conserving Descent
// for Machine Learning: Theory and Practice"; paper file 001): synthetic benchmarks with tuned
// baselines (Sec. 4.1, App. B.1) and the peak of the measure versus eta (Sec. 2, eqs. 4-8).
#include <algorithm>
#include <cmath>
#include <random>

#include "momenta/optim/random_search.h"
#include "tools/experiments/common.h"
#include "tools/experiments/ecd_theory.h"
#include "tools/experiments/report.h"

namespace momenta::cli::experiments {
namespace {

struct Contender {
  std::string label, optim;
  std::vector<optim::SearchRange> ranges;
  optim::HyperParams fixed;
};

// A drawn trial as the optimizer takes it: Adam's beta1/beta2 become its "betas" pair and the
// consEn draw in [0, 1) becomes the boolean consEn (True for draws >= 1/2).
optim::HyperParams materialize(optim::HyperParams hp) {
  if (hp.count("beta1")) {
    hp["betas"] = {hp["beta1"][0], hp["beta2"][0]};
    hp.erase("beta1");
    hp.erase("beta2");
  }
  if (hp.count("consEn")) hp["consEn"] = {hp["consEn"][0] >= 0.5 ? 1.0 : 0.0};
  return hp;
}

// Search spaces of App. B.1: Zakharov (001, l.412), Ackley (l.420).
std::vector<Contender> zakharov_contenders() {
  return {{"ECDSep",
           "ecdsep",
           {{"lr", 1e-2, 1e4, true}, {"eta", 1.0, 4.0, false}, {"nu", 1e-8, 1.0, true}, {"deltaEn", 0.0, 5.0, false},
            {"consEn", 0.0, 1.0, false}},
           {{"seed", {7}}}},
          {"SGD-momentum", "heavy_ball", {{"lr", 1e-8, 1e-3, true}, {"momentum", 0.8, 1.0, false}}, {}},
          {"Adam",
           "adam",
           {{"lr", 1e-2, 1e4, true}, {"beta1", 0.7, 1.0, false}, {"beta2", 0.7, 1.0, false}, {"eps", 1e-12, 1e-6, true}},
           {}},
          {"BBI", "bbi", {{"lr", 1e-4, 1.0, true}}, {{"seed", {7}}}}};
}

std::vector<Contender> ackley_contenders() {
  return {{"ECDSep", "ecdsep", {{"lr", 1e-4, 1.0, true}, {"eta", 1.0, 10.0, false}, {"nu", 1e-5, 1.0, true}},
           {{"seed", {7}}, {"deltaEn", {0.0}}}},
          {"SGD-momentum", "heavy_ball", {{"lr", 1e-8, 1e-3, true}, {"momentum", 0.8, 1.0, false}}, {}},
          {"Adam",
           "adam",
           {{"lr", 1e-4, 1.0, true}, {"beta1", 0.7, 1.0, false}, {"beta2", 0.7, 1.0, false}, {"eps", 1e-12, 1e-6, true}},
           {}}};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end(), [](double a, double b) { return (std::isnan(b) && !std::isnan(a)) || a < b; });
  return v[v.size() / 2];
}

struct Bench {
  std::string label, fn;
  std::map<std::string, double> args;
  std::vector<double> x0;
  std::vector<Contender> contenders;
  double success;  // a final loss below this counts as solved
  bool box_start;  // fresh starts uniform in [-5, 5]^n (else x0 + U(-1, 1) per coordinate)
};

struct BenchResult {
  std::map<std::string, double> median;
  std::map<std::string, int> solved;
};

Outcome run_synthetic(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int trials = o.pick(4, 100, 500), starts = o.pick(3, 20, 50), tune_steps = 250, eval_steps = o.pick(250, 1000, 1000);
  const std::vector<Bench> benches = {
      {"Zakharov n=10", "zakharov", {}, std::vector<double>(10, 1.0), zakharov_contenders(), 1e-3, false},
      {"Ackley, eq. 29 (b = 0.2)", "ackley_reg", {{"b", 0.2}}, {-4.0, 3.0}, ackley_contenders(), 0.1, true},
      {"Ackley, notebook (b = 0.02)", "ackley_reg", {{"b", 0.02}}, {-4.0, 3.0}, ackley_contenders(), 0.1, true}};
  rep.protocol("Zakharov (001, eq. 28, l.406) with n = 10 from (1, ..., 1) (l.410); regularised Ackley (eq. 29, l.416) "
               "from (-4, 3) (l.420), as the text writes it: -20 exp(-0.2 sqrt(0.5 (t1^2 + t2^2))) - exp(0.5 (cos 2 pi t1 "
               "+ cos 2 pi t2)) + e + 20 + 1e-8 (t1^2 + t2^2)^4; beside it the authors' notebook version "
               "(ECDSep_ackley.ipynb, l.422), which has -0.02 in place of -0.2.");
  rep.protocol("Tuning (l.211, l.410): each optimizer's hyperparameters are drawn at random from the text's search spaces, " +
               std::to_string(trials) + " trials per optimizer and problem (the paper: 500 Optuna trials), each " +
               std::to_string(tune_steps) + " steps from the fixed start; score = the final loss. Search spaces: "
               "Zakharov (l.412): Adam lr (1e-2, 1e4), beta1, beta2 (0.7, 1), eps (1e-12, 1e-6); ECDSep lr (1e-2, 1e4), "
               "eta (1, 4), nu (1e-8, 1), deltaEn (0, 5), consEn True/False; SGD-momentum lr (1e-8, 1e-3), momentum "
               "(0.8, 1). Ackley (l.420): Adam lr (1e-4, 1), betas and eps as above; ECDSep lr (1e-4, 1), eta (1, 10), "
               "nu (1e-5, 1), deltaEn = 0; SGD-momentum as above. BBI only on Zakharov (l.211).");
  rep.protocol("Evaluation (l.211: 'starting from new random initial points for more iterations'): with the best "
               "hyperparameters, " + std::to_string(starts) + " runs of " + std::to_string(eval_steps) +
               " steps from fresh random starts (seeded); median final loss and the fraction solved.");
  rep.protocol("Claim and rule. Ackley (l.422): 'SGD and Adam with a small learning rate immediately get stuck in local "
               "minima [...] ECDSep instead explores the landscape and eventually converges to the global minimum': ECDSep "
               "solves (final loss < 0.1, inside the global basin) more than half of the fresh starts and more than "
               "tuned SGD-momentum and Adam each, on eq. 29 as printed: held or not held. The text makes no claim in words "
               "about Zakharov (l.211 and Fig. 1 only show its curves), so whether ECDSep's median final loss there is "
               "at most the best other median is reported beside, outside the verdict; so is the notebook's Ackley, "
               "judged by the same rule.");
  rep.choice("The trial budget is scaled from 500 to " + std::to_string(trials) + " (seeded random search, not Optuna's "
             "TPE sampler); the ranges are the text's. Ranges spanning decades (lr, nu, eps) are drawn on a log scale, "
             "the others linearly; consEn is a fair coin.");
  rep.choice("BBI's search space is 'the same as in [6]' (l.412), which the text does not give: lr in (1e-4, 1) (log), "
             "the other BBI hyperparameters at their defaults.");
  rep.choice("ECDSep's s (regularised or not) is not given for B.1: s = 1 (the default) on both; F0 = 0 (l.106).");
  rep.choice("The text does not say how the new starts are drawn or how many more iterations they run: Zakharov starts "
             "at (1, ..., 1) + U(-1, 1) per coordinate, Ackley starts uniform in [-5, 5]^2 (which holds (-4, 3)); " +
             std::to_string(eval_steps) + " steps. 'Solved' thresholds: final loss < 1e-3 (Zakharov), < 0.1 (Ackley: "
             "below every local minimum of either version, whose lowest are 2.58 and 0.281, at (+-1, 0) and (0, +-1)).");
  rep.choice("The tuning's Ackley run length is 250 steps as for Zakharov ('a protocol similar to the one used for the "
             "Zakharov function', l.420).");
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> csv;
  std::vector<BenchResult> results;
  for (size_t bi = 0; bi < benches.size(); ++bi) {
    const Bench& b = benches[bi];
    const auto f = test_fn(b.fn, static_cast<int64_t>(b.x0.size()), b.args);
    BenchResult res;
    std::vector<io::PlotSeries> curves;
    for (size_t ci = 0; ci < b.contenders.size(); ++ci) {
      const Contender& c = b.contenders[ci];
      const auto score = [&](const optim::HyperParams& hp) {
        const auto r = optim::run_objective(f, b.x0, {c.optim, materialize(hp), "", {}, tune_steps},
                                            [](const optim::StepView& v) { return std::isfinite(v.loss); });
        return r.steps_run == tune_steps && std::isfinite(r.last_loss) ? r.last_loss : INFINITY;
      };
      const auto search = optim::random_search(c.ranges, c.fixed, trials, o.seed + 17 * bi, score);
      const optim::HyperParams best = materialize(search.trials[search.best].hp);
      std::string hp_text;
      for (const auto& r : c.ranges) {
        const auto& raw = search.trials[search.best].hp.at(r.name);
        hp_text += (hp_text.empty() ? "" : ", ") + r.name + " = " +
                   (r.name == "consEn" ? std::string(raw[0] >= 0.5 ? "True" : "False") : fmt_num(raw[0], 4));
      }
      std::mt19937_64 gen(o.seed * 1000 + bi);
      std::vector<double> finals;
      int solved = 0;
      for (int s = 0; s < starts; ++s) {
        std::vector<double> x0 = b.x0;
        for (auto& x : x0) {
          const double u = static_cast<double>(gen() >> 11) * 0x1.0p-53;
          x = b.box_start ? -5.0 + 10.0 * u : x - 1.0 + 2.0 * u;
        }
        const Trace tr = trace_run(f, x0, {c.optim, best, "", {}, eval_steps}, Point::kStored, false);
        const double fin = tr.steps_run == eval_steps ? tr.loss.back() : INFINITY;
        finals.push_back(fin);
        solved += fin < b.success;
        csv.push_back({static_cast<double>(bi), static_cast<double>(ci), static_cast<double>(s), fin});
        if (s == 0) curves.push_back(line(c.label, iota_steps(tr.loss.size()), tr.loss));
      }
      res.median[c.label] = median(finals);
      res.solved[c.label] = solved;
      rows.push_back({b.label, c.label, hp_text, fmt_num(search.trials[search.best].score, 4), fmt_num(median(finals), 4),
                      std::to_string(solved) + "/" + std::to_string(starts)});
    }
    rep.figure("loss_" + std::to_string(bi) + ".svg", "Loss of the first fresh start with the tuned hyperparameters on " + b.label + ".",
               io::render_line_plot({b.label + ": first fresh start, tuned", {"step"}, {"loss", true}, curves}));
    results.push_back(res);
  }
  rep.csv("fresh_starts.csv", {"problem", "optimizer", "start", "final_loss"}, csv);
  rep.text("In fresh_starts.csv, problem 0 is Zakharov, 1 Ackley as printed (b = 0.2), 2 Ackley as in the notebook "
           "(b = 0.02); optimizer 0 ECDSep, 1 SGD-momentum, 2 Adam, 3 BBI (Zakharov only). The loss plots are "
           "loss_0.svg to loss_2.svg in that order.");
  rep.table({"problem", "optimizer", "tuned hyperparameters", "tuning score", "median final loss, fresh starts", "solved"},
            rows);
  const BenchResult& z = results[0];
  const bool zak = z.median.at("ECDSep") <= std::min({z.median.at("SGD-momentum"), z.median.at("Adam"), z.median.at("BBI")});
  auto ackley_rule = [&](const BenchResult& a) {
    const int e_s = a.solved.at("ECDSep");
    return 2 * e_s > starts && e_s > a.solved.at("SGD-momentum") && e_s > a.solved.at("Adam");
  };
  const bool ack = ackley_rule(results[1]), ack_nb = ackley_rule(results[2]);
  auto solved_text = [&](const BenchResult& a) {
    return "ECDSep " + std::to_string(a.solved.at("ECDSep")) + ", SGD-momentum " + std::to_string(a.solved.at("SGD-momentum")) +
           ", Adam " + std::to_string(a.solved.at("Adam")) + " of " + std::to_string(starts);
  };
  const Verdict v = ack ? Verdict::kHeld : Verdict::kNotHeld;  // Zakharov: reported, not judged (no claim in words)
  return rep.finish(v,
                    "Ackley eq. 29 solved: " + solved_text(results[1]) + "; notebook Ackley solved: " +
                        solved_text(results[2]) + "; Zakharov median: ECDSep " + fmt_num(z.median.at("ECDSep"), 3) +
                        " vs best other " +
                        fmt_num(std::min({z.median.at("SGD-momentum"), z.median.at("Adam"), z.median.at("BBI")}), 3),
                    std::string("Ackley (eq. 29) rule ") + (ack ? "held" : "failed") + "; beside it, not in the verdict: Zakharov " +
                        (zak ? "held" : "failed") + ", the notebook's Ackley " + (ack_nb ? "held" : "failed") + ".");
}

// ---- concentration of the measure versus eta (eqs. 4-8; NOTE [ECD measure] in ecd_theory.h) ----

struct BatchMean {
  double mean = NAN, se = NAN;
};

// Mean of v[from..] and its standard error from 10 batch means (the samples are strongly
// correlated: the bounces mix the energy shell over thousands of steps).
BatchMean batch_mean(const std::vector<double>& v, size_t from) {
  const size_t len = v.size() > from ? (v.size() - from) / 10 : 0;
  if (len == 0) return {};
  std::vector<double> batch;
  for (size_t b = 0; b < 10; ++b) {
    double s = 0;
    for (size_t t = from + b * len; t < from + (b + 1) * len; ++t) s += v[t];
    batch.push_back(s / static_cast<double>(len));
  }
  double m = 0, var = 0;
  for (double x : batch) m += x / 10;
  for (double x : batch) var += (x - m) * (x - m) / 9;
  return {m, std::sqrt(var / 10)};
}

struct PeakRun {
  double r_star = NAN, r_peak = NAN;  // eq. 7 and the measured mode of |Theta|
  double r_smoothed = NAN;            // what the mode estimator finds on eq. 6 itself (set by run_eta)
  std::vector<double> tail;           // r over the last 90% of the steps
  double r2_pred = NAN;               // <|Theta|^2> under eq. 6
  BatchMean r2;                       // measured <|Theta|^2>
  double speed_pred = NAN, speed_meas = NAN;  // per-step |dTheta|/lr near Theta_*: eq. 8 rescaled, measured
  size_t near = 0;                            // samples within 5% of Theta_*
};

// ECDSep with s = 0 (the separable Hamiltonian of eq. 9, whose measure is eq. 4) on
// F = |Theta|^2 / 2 (F2 = 1/2, F_min = 0) with F0 = -gap, from radius r0 along (1,...,1)/sqrt(n).
PeakRun ecd_peak_run(int n, double eta, double gap, double r0, double lr, double nu, int steps, double seed = 11) {
  const double F2 = 0.5;
  PeakRun out;
  out.r_star = std::sqrt(ecd_eq7_peak_radius_sq(n, F2, gap, eta));
  out.r2_pred = ecd_eq6_mean_r2(n, F2, gap, eta, 60 * out.r_star, 400000);
  std::vector<double> x0(static_cast<size_t>(n), r0 / std::sqrt(static_cast<double>(n)));
  const Trace tr = trace_run(test_fn("quadratic", n),
                             x0,
                             {"ecdsep",
                              {{"lr", {lr}}, {"eta", {eta}}, {"F0", {-gap}}, {"nu", {nu}}, {"s", {0.0}}, {"seed", {seed}}},
                              "",
                              {},
                              steps},
                             Point::kStored);
  if (tr.steps_run != steps) return out;
  const size_t from = tr.x.size() / 10;
  std::vector<double> r, r2;
  for (const auto& x : tr.x) {
    r.push_back(norm2(x));
    r2.push_back(r.back() * r.back());
  }
  out.r2 = batch_mean(r2, from);
  const std::vector<double> tail(r.begin() + static_cast<std::ptrdiff_t>(from), r.end());
  const double h = 0.05 * out.r_star;
  out.r_peak = kde_mode(tail, 0.0, 3.0 * out.r_star, h);
  out.tail = tail;
  // Energy (deltaEn = 1 when s = 0): E = (F(x0) - F0)^eta. In ECDSep's time the speed is
  // 2 |Pi| / (s + Pi^2) = 2 sqrt(V / E) for s = 0, and eq. 8's sqrt(E V) becomes 2 eq8 / E.
  const double E = std::pow(r0 * r0 / 2 + gap, eta);
  out.speed_pred = 2 * ecd_eq8_peak_speed(E, n, gap, eta) / E;
  double sum = 0;
  for (size_t t = from; t + 1 < tr.x.size(); ++t) {
    if (std::fabs(r[t] - out.r_star) > 0.05 * out.r_star) continue;
    double d2 = 0;
    for (size_t i = 0; i < tr.x[t].size(); ++i) d2 += (tr.x[t + 1][i] - tr.x[t][i]) * (tr.x[t + 1][i] - tr.x[t][i]);
    sum += std::sqrt(d2) / lr;
    ++out.near;
  }
  out.speed_meas = out.near ? sum / static_cast<double>(out.near) : NAN;
  return out;
}

// The two-sided 95% quantile of Student's t with dof degrees of freedom (1 to 9; 1.96 beyond).
double t975(int dof) {
  static const double t[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262};
  return dof >= 1 && dof <= 9 ? t[dof - 1] : 1.96;
}

Outcome run_eta(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int n = 10, seeds = o.pick(3, 8, 8), steps = o.pick(1000, 100000, 500000);
  const double gap = 1.0, r0 = 2.0, lr = 0.02, nu = 0.05, tol = 0.1;
  const double tq = t975(seeds - 1);
  const std::vector<double> etas =
      o.size == Size::kQuick ? std::vector<double>{2, 4} : std::vector<double>{1.5, 2, 3, 4, 6};
  rep.protocol("Eq. 7 (001, l.56) is the peak of eq. 6's radial density (l.52) in an isotropic quadratic basin, derived "
               "from eq. 4 (l.42), the measure of H = V Pi^2 (eq. 2) that the separable ECDSep Hamiltonian (eq. 9) shares "
               "(NOTE [ECD measure] in tools/experiments/ecd_theory.h). It applies to s = 0 (eq. 4 has no regulariser; "
               "s = 1, eq. 10, changes the measure) and to F_min - F0 > 0 (with F_min = F0 the peak is at 0 for every eta, "
               "l.64).");
  rep.protocol("So: ECDSep with s = 0 (deltaEn = 1, l.108), F = |Theta|^2/2 in n = " + std::to_string(n) +
               " dimensions (F2 = 1/2, F_min = 0), F0 = " + fmt_num(-gap) + " (F_min - F0 = " + fmt_num(gap) +
               "), start at radius " + fmt_num(r0) + " along (1,...,1)/sqrt(n), lr = " + fmt_num(lr) + ", nu = " +
               fmt_num(nu) + "; " + std::to_string(seeds) + " independent runs (bounce seeds 11 to " +
               std::to_string(10 + seeds) + ") of " + std::to_string(steps) + " steps per eta. Over the last 90% of each "
               "run's steps: the mode of |Theta| (Gaussian kernel density, bandwidth 0.05 Theta_*) of the runs' pooled "
               "samples against eq. 7, with the standard error of the mode from the spread of the runs' own modes; the mean "
               "of |Theta|^2 against eq. 6 (quadrature); the per-step speed near Theta_* against eq. 8 (l.60) in ECDSep's "
               "time (first run).");
  rep.protocol("Claim (l.56-58): the measure concentrates at Theta_* of eq. 7, which approaches the bottom of the basin "
               "as eta grows. Rule: the measured peaks must decrease with eta, and each must be within " +
               fmt_num(100 * tol) + "% of eq. 7 beyond its noise: its 95% interval (pooled mode +- t_{" +
               std::to_string(seeds - 1) + "} " + fmt_num(tq, 4) + " standard errors over the " + std::to_string(seeds) +
               " runs) must lie inside eq. 7 +- " + fmt_num(100 * tol) + "%. Held: both; partly: decreasing but some "
               "interval reaches outside (a peak off by more, or a measurement too noisy to show 10%); not held: not "
               "decreasing. The " + fmt_num(100 * tol) + "% is the tolerance set before the first run; the rule before "
               "this one compared a single run's mode with it and ignored the noise (next paragraph).");
  rep.choice("Why several runs: a single run's mode scatters far more than its own batches suggest. In the isotropic basin "
             "the flow conserves angular momentum, which only the small bounces (nu) change, so a run samples the radial "
             "distribution of one slowly drifting angular momentum; batches of one run share it. Measured on the "
             "400,000-step single run the previous protocol used: at eta = 1.5 four bounce seeds gave peaks 1.576, 1.732, "
             "1.836, 1.771 (eq. 7: 1.732; their mean 1.729), a spread of 6% of Theta_* per run, while ten batch modes of "
             "one run implied 1.5-3%. The 9% of that protocol (and 9.8% at 100,000 steps) was this noise, not a bias: "
             "the kernel's own bias (the mode of eq. 6 smoothed by the kernel, computed by quadrature, column below) is "
             "under 1%, and halving lr (0.01, same time) moved the peak by less than the seed spread. Independent runs "
             "give an honest standard error; the step budget is split over them (8 x 100,000 against 1 x 400,000).");
  rep.choice("The paper's own experiments set F0 = 0 (l.70, l.106), where eq. 7 gives Theta_* = 0 for every eta: there "
             "is nothing to compare a peak with. F0 = -1 below the minimum F_min = 0 is the choice that makes eq. 7 apply; "
             "n, the basin, the start, lr and nu are choices too (nu = 0.05: nu sqrt(n) = 0.16, small-angle bounces).");
  rep.choice("eta = 1 is left out: with s = 0 the radial density falls as r^(n - 1 - eta n), which is not normalisable for "
             "eta = 1 (eq. 7's peak is then not where the time is spent).");
  std::vector<double> pred, meas, r2p, r2m;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> csv;
  double worst = 0, worst_z = 0, worst_reach = 0;
  int resolved = 0;
  for (double eta : etas) {
    std::vector<PeakRun> prs;
    std::vector<double> pooled, modes, r2s;
    for (int sd = 0; sd < seeds; ++sd) {
      prs.push_back(ecd_peak_run(n, eta, gap, r0, lr, nu, steps, 11.0 + sd));
      pooled.insert(pooled.end(), prs.back().tail.begin(), prs.back().tail.end());
      modes.push_back(prs.back().r_peak);
      r2s.push_back(prs.back().r2.mean);
      prs.back().tail.clear();
    }
    PeakRun& pr = prs.front();
    pr.r_smoothed = ecd_eq6_smoothed_mode(n, 0.5, gap, eta, 0.0, 3.0 * pr.r_star, 0.05 * pr.r_star, 60 * pr.r_star, 200000);
    auto mean_se = [&](const std::vector<double>& v) {
      double m = 0, var = 0;
      for (double x : v) m += x / static_cast<double>(v.size());
      for (double x : v) var += (x - m) * (x - m) / static_cast<double>(v.size() - 1);
      return std::pair<double, double>{m, std::sqrt(var / static_cast<double>(v.size()))};
    };
    const double peak = kde_mode(pooled, 0.0, 3.0 * pr.r_star, 0.05 * pr.r_star), peak_se = mean_se(modes).second;
    const auto [r2_mean, r2_se] = mean_se(r2s);
    const double z = std::fabs(r2_mean - pr.r2_pred) / r2_se;
    worst_z = std::max(worst_z, std::isfinite(z) ? z : INFINITY);
    pred.push_back(pr.r_star);
    meas.push_back(peak);
    r2p.push_back(pr.r2_pred);
    r2m.push_back(r2_mean);
    const double rel = std::fabs(peak - pr.r_star) / pr.r_star;
    const double reach = (std::fabs(peak - pr.r_star) + tq * peak_se) / pr.r_star;  // the interval's far end from eq. 7
    const bool inside = std::isfinite(reach) && reach <= tol;
    resolved += inside;
    worst = std::max(worst, std::isfinite(rel) ? rel : INFINITY);
    worst_reach = std::max(worst_reach, std::isfinite(reach) ? reach : INFINITY);
    rows.push_back({fmt_num(eta), fmt_num(pr.r_star, 4), fmt_num((pr.r_smoothed - pr.r_star) / pr.r_star, 2),
                    fmt_num(peak, 4) + " +- " + fmt_num(peak_se, 2), fmt_num(rel, 3),
                    "[" + fmt_num(peak - tq * peak_se, 4) + ", " + fmt_num(peak + tq * peak_se, 4) + "]: " +
                        (inside ? "inside" : "not inside") + " +-" + fmt_num(100 * tol) + "%",
                    fmt_num(pr.r2_pred, 4), fmt_num(r2_mean, 4) + " +- " + fmt_num(r2_se, 2), fmt_num(pr.speed_pred, 4),
                    fmt_num(pr.speed_meas, 4) + " (" + std::to_string(pr.near) + " samples)"});
    csv.push_back({eta, pr.r_star, peak, peak_se, pr.r_smoothed, pr.r2_pred, r2_mean, r2_se, pr.speed_pred, pr.speed_meas});
  }
  rep.csv("peak_vs_eta.csv",
          {"eta", "eq7_peak_radius", "measured_peak_radius", "standard_error_peak", "kernel_smoothed_eq6_mode", "eq6_mean_r2",
           "measured_mean_r2", "standard_error_r2", "eq8_speed_per_lr", "measured_speed_per_lr"},
          csv);
  rep.text("r = norm of Theta; standard errors are over the " + std::to_string(seeds) + " independent runs; speeds are "
           "per-step displacements divided by lr, measured over the steps that start within 5% of Theta_*. The kernel "
           "bias column is (mode of eq. 6 smoothed by the estimator's kernel - eq. 7)/eq. 7: what the estimator would "
           "miss by on infinitely many exact samples.");
  rep.table({"eta", "Theta_* (eq. 7)", "kernel bias of the estimator", "measured peak of r (pooled) +- se",
             "relative difference", "95% interval of the peak", "<r^2> (eq. 6)", "measured <r^2> +- se",
             "speed at Theta_* (eq. 8, per lr)", "measured speed near Theta_*"},
            rows);
  rep.figure("peak_vs_eta.svg", "Eq. 7's peak radius and the measured peak of r versus eta (s = 0, F0 = -1).",
             io::render_line_plot({"Peak of the ECDSep measure in a quadratic basin", {"eta"}, {"r = norm of Theta", true},
                                   {line("eq. 7", etas, pred), dots("ECDSep, mode of r", etas, meas),
                                    line("sqrt <r^2>, eq. 6", etas,
                                         [&] {
                                           std::vector<double> v;
                                           for (double x : r2p) v.push_back(std::sqrt(x));
                                           return v;
                                         }()),
                                    dots("ECDSep, sqrt <r^2>", etas, [&] {
                                      std::vector<double> v;
                                      for (double x : r2m) v.push_back(std::sqrt(x));
                                      return v;
                                    }())}}));
  // The paper's own setting, F0 = F_min = 0 (l.64, l.70): eq. 7 puts the peak at 0 for every eta.
  std::vector<std::vector<std::string>> zero_rows;
  for (double eta : etas) {
    std::vector<double> x0(static_cast<size_t>(n), r0 / std::sqrt(static_cast<double>(n)));
    const Trace tr = trace_run(test_fn("quadratic", n), x0,
                               {"ecdsep", {{"lr", {lr}}, {"eta", {eta}}, {"F0", {0.0}}, {"nu", {nu}}, {"s", {0.0}}, {"seed", {11}}},
                                "", {}, steps},
                               Point::kStored);
    if (tr.x.empty()) continue;
    std::vector<double> r;
    for (size_t t = tr.x.size() / 2; t < tr.x.size(); ++t) r.push_back(norm2(tr.x[t]));
    zero_rows.push_back({fmt_num(eta), std::to_string(tr.steps_run), fmt_num(median(r), 3), fmt_num(r.back(), 3)});
  }
  rep.text("The paper's experiments' setting, F0 = F_min = 0 (l.70), where eq. 7 gives Theta_* = 0 for every eta and "
           "the speed near the minimum dies as eta grows (l.64): the same runs with F0 = 0 (reported, not judged).");
  rep.table({"eta", "steps run", "median r over the second half", "r at the end"}, zero_rows);
  const bool decreasing = std::adjacent_find(meas.begin(), meas.end(), [](double a, double b) { return !(b < a); }) ==
                          meas.end();
  const bool agree = resolved == static_cast<int>(etas.size());
  const Verdict v = agree && decreasing ? Verdict::kHeld : decreasing ? Verdict::kPartly : Verdict::kNotHeld;
  return rep.finish(v,
                    "peak of r = |Theta| from eta = " + fmt_num(etas.front()) + " to " + fmt_num(etas.back()) + ": measured " +
                        fmt_num(meas.front(), 3) + " -> " + fmt_num(meas.back(), 3) + ", eq. 7 " + fmt_num(pred.front(), 3) +
                        " -> " + fmt_num(pred.back(), 3) + "; largest relative difference " + fmt_num(worst, 2) +
                        ", largest reach of a 95% interval from eq. 7 " + fmt_num(worst_reach, 2) + " (" +
                        std::to_string(seeds) + " runs per eta); <r^2> within " + fmt_num(worst_z, 2) +
                        " standard errors of eq. 6",
                    std::string("The measured peaks ") + (decreasing ? "decrease" : "do not decrease") + " with eta, and " +
                        std::to_string(resolved) + " of " + std::to_string(etas.size()) + " have their 95% interval inside " +
                        fmt_num(100 * tol) + "% of eq. 7.");
}

}  // namespace

void add_ecd_experiments(std::vector<Experiment>& out) {
  const std::string paper = "De Luca, Gatti & Silverstein 2023 (ECDSep)";
  out.push_back({"ecd-synthetic", paper, "Sec. 4.1 (001, l.209-216), App. B.1 (l.402-427)",
                 "'We find that SGD and Adam with a small learning rate immediately get stuck in local minima. With a "
                 "higher learning rate they erratically explore the landscape [...] ECDSep instead explores the landscape "
                 "and eventually converges to the global minimum.' (001, l.422, the regularised Ackley function; Zakharov "
                 "n = 10, l.211, is the shallow-valley test, compared with GDM, Adam and BBI in Fig. 1)",
                 run_synthetic});
  out.push_back({"ecd-eta", paper, "Sec. 2, eqs. 4-8 (001, l.32-64)",
                 "'The integral in (6) has a saddle point (a peak of the integrand) at Theta_*^2 = (F_min - F0)(n - 1) / "
                 "(F2 (1 + n (eta - 1))). This is where the measure is concentrated [...] and it indeed approaches the "
                 "bottom of the basin for large eta.' (001, l.54-58; eq. 7)",
                 run_eta});
}

}  // namespace momenta::cli::experiments
