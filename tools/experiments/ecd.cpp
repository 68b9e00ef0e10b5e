// The ECDSep experiments (De Luca & Silverstein 2022, "Born-Infeld (BI) for AI: energy-conserving
// descent (ECD) for optimization", ECDSep variant): synthetic benchmarks with tuned baselines
// (Sec. 4.1, App. B.1) and the concentration of the invariant measure versus eta (Sec. 2).
#include <algorithm>
#include <cmath>
#include <random>

#include "momenta/optim/random_search.h"
#include "tools/experiments/common.h"
#include "tools/experiments/report.h"

namespace momenta::cli::experiments {
namespace {

struct Contender {
  std::string label, optim;
  std::vector<optim::SearchRange> ranges;
  optim::HyperParams fixed;
};

std::vector<Contender> contenders() {
  return {{"ECDSep", "ecdsep", {{"lr", 0.01, 2.0, true}, {"eta", 1.0, 5.0, false}, {"nu", 1e-5, 1e-1, true}}, {{"seed", {7}}}},
          {"SGD-momentum", "heavy_ball", {{"lr", 1e-8, 1.0, true}, {"momentum", 0.5, 0.999, false}}, {}},
          {"Adam", "adam", {{"lr", 1e-4, 1.0, true}}, {}},
          {"BBI", "bbi", {{"lr", 1e-4, 1.0, true}}, {{"seed", {7}}}}};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end(), [](double a, double b) { return (std::isnan(b) && !std::isnan(a)) || a < b; });
  return v[v.size() / 2];
}

Outcome run_synthetic(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int trials = o.pick(4, 40, 100), starts = o.pick(3, 20, 50);
  struct Bench {
    std::string label, fn;
    std::vector<double> x0;
    int steps;
    double success;  // final loss below this counts as solved
  };
  const std::vector<Bench> benches = {{"Zakharov n=10", "zakharov", std::vector<double>(10, 1.0), 250, 1e-3},
                                      {"regularised Ackley", "ackley_reg", {-4.0, 3.0}, o.pick(250, 500, 500), 0.1}};
  rep.protocol("Tuning: `momenta tune`'s seeded random search (optim/random_search.h), " + std::to_string(trials) +
               " trials per optimizer and problem, score = final loss from the paper's start point.");
  rep.protocol("Evaluation: with the best hyperparameters, " + std::to_string(starts) +
               " runs from fresh starts x0 + U(-1, 1) per coordinate (seeded); median final loss and fraction solved.");
  rep.protocol("Zakharov (as in gbdl/ECDSep) n = 10 from (1,...,1), 250 steps; regularised Ackley (eq. 29, b = 0.02 as in "
               "the authors' notebook) from (-4, 3), " + std::to_string(benches[1].steps) + " steps.");
  rep.choice("Search ranges (the paper's ranges were not retrieved): ECDSep lr in [0.01, 2] (log), eta in [1, 5], nu in "
             "[1e-5, 0.1] (log), F0 = 0, deltaEn = 0, s = 1; SGD-momentum lr in [1e-8, 1] (log), momentum in [0.5, 0.999]; "
             "Adam lr in [1e-4, 1] (log), betas (0.9, 0.999); BBI lr in [1e-4, 1] (log), v0 = 0, defaults otherwise.");
  rep.choice("The SGD-momentum range first was [1e-5, 1]; on Zakharov every trial in it diverged (the quartic term's "
             "gradient at (1,...,1) is about 1e5), so it was widened to [1e-8, 1]. The other ranges are as first chosen.");
  rep.choice("'Solved' thresholds: final loss < 1e-3 (Zakharov), < 0.1 (Ackley, i.e. inside the global basin).");
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> csv;
  int wins = 0;
  std::string headline;
  for (size_t bi = 0; bi < benches.size(); ++bi) {
    const Bench& b = benches[bi];
    const auto f = test_fn(b.fn, static_cast<int64_t>(b.x0.size()));
    std::map<std::string, double> med;
    std::vector<io::PlotSeries> curves;
    for (const Contender& c : contenders()) {
      const auto score = [&](const optim::HyperParams& hp) {
        const auto r = optim::run_objective(f, b.x0, {c.optim, hp, "", {}, b.steps},
                                            [](const optim::StepView& v) { return std::isfinite(v.loss); });
        return std::isfinite(r.last_loss) ? r.last_loss : INFINITY;
      };
      const auto search = optim::random_search(c.ranges, c.fixed, trials, o.seed + 17 * bi, score);
      const auto& best = search.trials[search.best].hp;
      std::string hp_text;
      for (const auto& r : c.ranges) hp_text += (hp_text.empty() ? "" : ", ") + r.name + " = " + fmt_num(best.at(r.name)[0], 4);
      std::mt19937_64 gen(o.seed * 1000 + bi);
      std::vector<double> finals;
      int solved = 0;
      for (int s = 0; s < starts; ++s) {
        std::vector<double> x0 = b.x0;
        for (auto& x : x0) x += -1.0 + 2.0 * static_cast<double>(gen() >> 11) * 0x1.0p-53;
        const Trace tr = trace_run(f, x0, {c.optim, best, "", {}, b.steps}, Point::kStored, false);
        const double fin = tr.steps_run == b.steps ? tr.loss.back() : INFINITY;
        finals.push_back(fin);
        solved += fin < b.success;
        csv.push_back({static_cast<double>(bi), static_cast<double>(curves.size()), static_cast<double>(s), fin});
        if (s == 0) curves.push_back(line(c.label, iota_steps(tr.loss.size()), tr.loss));
      }
      med[c.label] = median(finals);
      rows.push_back({b.label, c.label, hp_text, fmt_num(search.trials[search.best].score, 4), fmt_num(med[c.label], 4),
                      std::to_string(solved) + "/" + std::to_string(starts)});
    }
    rep.figure("loss_" + b.fn + ".svg", "Loss of the first fresh start with the tuned hyperparameters on " + b.label + ".",
               io::render_line_plot({b.label + ": first fresh start, tuned", {"step"}, {"loss", true}, curves}));
    const double others = std::min({med["SGD-momentum"], med["Adam"], med["BBI"]});
    wins += med["ECDSep"] <= others;
    headline += (headline.empty() ? "" : "; ") + b.label + ": ECDSep median " + fmt_num(med["ECDSep"], 3) +
                " vs best other " + fmt_num(others, 3);
  }
  rep.csv("fresh_starts.csv", {"problem", "optimizer", "start", "final_loss"}, csv);
  rep.text("In fresh_starts.csv, problem 0 is Zakharov and 1 Ackley; optimizer 0 ECDSep, 1 SGD-momentum, 2 Adam, 3 BBI.");
  rep.table({"problem", "optimizer", "tuned hyperparameters", "tuning score", "median final loss, fresh starts", "solved"},
            rows);
  const Verdict v = wins == 2 ? Verdict::kHeld : wins == 1 ? Verdict::kPartly : Verdict::kNotHeld;
  return rep.finish(v, headline,
                    "The claim is judged by the median final loss over the fresh starts: ECDSep was lowest on " +
                        std::to_string(wins) + " of 2 problems.");
}

// ---- concentration of the measure versus eta ----

// NOTE [ECD measure] ECDSep is Hamiltonian dynamics for H = V(Theta) (s + |Pi|^2), V = (F - F0)^eta,
// with time rescaled by the constant 1/E (drift 2 Pi/(s + P2) = 2 V Pi / E). Its microcanonical
// measure, marginalised over the momentum sphere in N dimensions, is
//     rho(Theta) ~ V^-1 (E/V - s)^((N-2)/2)   on {V <= E/s},
// which for large N and E/V >> s behaves like (F - F0)^(-eta N/2): larger eta concentrates the
// measure at low loss. On F = |Theta|^2/2 this is a 1-D integral over r (computed below).
double predicted_mean_loss(int n, double eta, double F0, double r0) {
  const double w0 = r0 * r0 / 2 - F0;  // F - F0 at the start; E = w0^eta * s with Pi_0 = 0 (deltaEn = 0)
  double num = 0, den = 0;
  const int m = 200000;
  for (int i = 0; i < m; ++i) {
    const double r = r0 * (i + 0.5) / m;
    const double w = r * r / 2 - F0;
    const double ratio = std::pow(w0 / w, eta) - 1.0;
    if (ratio <= 0) continue;
    const double p = std::pow(r, n - 1) * std::pow(w, -eta) * std::pow(ratio, (n - 2) / 2.0);
    num += p * r * r / 2;
    den += p;
  }
  return num / den;
}

struct TimeAverage {
  double mean = NAN, se = NAN;
};

// Time average of F over the last 90% of an ECDSep run and its standard error from 10 batch means
// (the samples are strongly correlated: the bounces mix the energy shell over thousands of steps).
TimeAverage ecd_time_average(int n, double eta, double nu, double F0, double r0, double lr, int steps) {
  std::vector<double> x0(static_cast<size_t>(n), r0 / std::sqrt(static_cast<double>(n)));
  const Trace tr = trace_run(test_fn("quadratic", n), x0,
                             {"ecdsep", {{"lr", {lr}}, {"eta", {eta}}, {"F0", {F0}}, {"nu", {nu}}, {"seed", {11}}}, "", {}, steps},
                             Point::kStored, false);
  const size_t from = tr.loss.size() / 10, len = (tr.loss.size() - from) / 10;
  if (len == 0) return {};
  std::vector<double> batch;
  for (size_t b = 0; b < 10; ++b) {
    double s = 0;
    for (size_t t = from + b * len; t < from + (b + 1) * len; ++t) s += tr.loss[t];
    batch.push_back(s / static_cast<double>(len));
  }
  double m = 0, v = 0;
  for (double x : batch) m += x / 10;
  for (double x : batch) v += (x - m) * (x - m) / 9;
  return {m, std::sqrt(v / 10)};
}

Outcome run_eta(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int n = 10, steps = o.pick(3000, 100000, 500000);
  const double F0 = -1.0, r0 = 2.0, lr = 0.02, nu = 0.05, nu_strong = 0.3;
  const std::vector<double> etas = o.size == Size::kQuick ? std::vector<double>{1, 2, 4} : std::vector<double>{1, 1.5, 2, 3, 4, 6};
  rep.protocol("F = |Theta|^2/2 in N = 10 dimensions, F0 = " + fmt_num(F0) + " (so F - F0 > 0 everywhere), start at radius " +
               fmt_num(r0) + " along (1,...,1)/sqrt(N), deltaEn = 0 (Pi_0 = 0), s = 1, lr = " + fmt_num(lr) + ", " +
               std::to_string(steps) + " steps, bounce strength nu = " + fmt_num(nu) + " (and, for comparison, " +
               fmt_num(nu_strong) + "); the time average of F over the last 90% of steps is compared with its average under "
               "the predicted invariant measure (NOTE [ECD measure] in tools/experiments/ecd.cpp).");
  rep.choice("Eqs. 7-8 could not be retrieved. The prediction is the microcanonical measure of the Hamiltonian ECDSep "
             "integrates, rho(Theta) ~ V^-1 (E/V - s)^((N-2)/2), which for N large gives the paper's (F - F0)^(-eta N/2) "
             "concentration; F0 < 0 keeps the measure normalisable (with F0 = 0 and eta > 1 it concentrates entirely at the minimum).");
  rep.choice("nu: the first version ran nu = 0.3 only and measured 9-16% (default) and 11-35% (--full) below the prediction; "
             "a check at eta = 2 (100000 steps) gave 0.60 at nu = 0.05, 0.50 at nu = 0.3 and 0.36 at nu = 1 against the "
             "predicted 0.59, and no change from lr = 0.02 to 0.005. The verdict is therefore taken at nu = 0.05, and "
             "nu = 0.3 is reported beside it: strong bounces bias the sampled measure toward low loss.");
  std::vector<double> pred, meas, meas_strong;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> csv;
  double worst = 0, worst_z = 0;
  for (double eta : etas) {
    const TimeAverage ta = ecd_time_average(n, eta, nu, F0, r0, lr, steps);
    const TimeAverage strong = ecd_time_average(n, eta, nu_strong, F0, r0, lr, steps);
    meas.push_back(ta.mean);
    meas_strong.push_back(strong.mean);
    pred.push_back(predicted_mean_loss(n, eta, F0, r0));
    const double rel = std::fabs(ta.mean - pred.back()) / pred.back();
    const double z = std::fabs(ta.mean - pred.back()) / ta.se;
    worst = std::max(worst, std::isfinite(rel) ? rel : INFINITY);
    worst_z = std::max(worst_z, std::isfinite(z) ? z : INFINITY);
    rows.push_back({fmt_num(eta), fmt_num(pred.back(), 5), fmt_num(ta.mean, 5), fmt_num(ta.se, 3), fmt_num(rel, 3),
                    fmt_num(z, 3), fmt_num(strong.mean, 5)});
    csv.push_back({eta, pred.back(), ta.mean, ta.se, strong.mean, strong.se});
  }
  rep.csv("mean_loss_vs_eta.csv",
          {"eta", "predicted_mean_F", "measured_mean_F_nu0.05", "standard_error_nu0.05", "measured_mean_F_nu0.3",
           "standard_error_nu0.3"},
          csv);
  rep.table({"eta", "predicted <F>", "time average of F (nu 0.05)", "standard error (10 batch means)",
             "relative difference", "difference / standard error", "time average of F (nu 0.3)"},
            rows);
  rep.figure("mean_loss_vs_eta.svg", "Predicted and measured mean loss versus eta: the measure concentrates as eta grows.",
             io::render_line_plot({"Concentration of the ECDSep measure on a quadratic basin", {"eta"}, {"<F>", true},
                                   {line("prediction (microcanonical measure)", etas, pred),
                                    dots("ECDSep time average, nu = 0.05", etas, meas),
                                    dots("ECDSep time average, nu = 0.3", etas, meas_strong)}}));
  const bool decreasing = std::is_sorted(meas.rbegin(), meas.rend());
  // Agreement: within 10% (the tolerance fixed before the first run) and within 3 standard errors.
  const bool agree = worst < 0.1 && worst_z < 3;
  const Verdict v = agree && decreasing ? Verdict::kHeld : decreasing ? Verdict::kPartly : Verdict::kNotHeld;
  return rep.finish(v, "<F> from eta = " + fmt_num(etas.front()) + " to " + fmt_num(etas.back()) + " at nu = 0.05: measured " +
                           fmt_num(meas.front(), 3) + " -> " + fmt_num(meas.back(), 3) + ", predicted " +
                           fmt_num(pred.front(), 3) + " -> " + fmt_num(pred.back(), 3) + "; max rel. diff " +
                           fmt_num(worst, 2) + " (" + fmt_num(worst_z, 2) + " standard errors); nu = 0.3 lower by up to " +
                           [&] {
                             double d = 0;
                             for (size_t i = 0; i < pred.size(); ++i) d = std::max(d, (pred[i] - meas_strong[i]) / pred[i]);
                             return fmt_num(100 * d, 2);
                           }() + "%",
                    std::string("The measured mean loss ") + (decreasing ? "decreases" : "does not decrease") +
                        " with eta (the measure concentrates); at nu = 0.05 the values agree with the predicted measure " +
                        (agree ? "within" : "not within") + " the 10% tolerance and 3 standard errors of the time averages.");
}

}  // namespace

void add_ecd_experiments(std::vector<Experiment>& out) {
  const std::string paper = "De Luca & Silverstein 2022 (ECDSep)";
  out.push_back({"ecd-synthetic", paper, "Sec. 4.1, App. B.1",
                 "On the Zakharov function (n = 10) and the regularised Ackley function, ECDSep with tuned "
                 "hyperparameters reaches lower loss than tuned SGD with momentum and Adam (and BBI).",
                 run_synthetic});
  out.push_back({"ecd-eta", paper, "Sec. 2, eqs. 7-8",
                 "The ECD dynamics samples a measure that concentrates on low loss as eta grows, as predicted by the "
                 "measure of the energy-conserving Hamiltonian.",
                 run_eta});
}

}  // namespace momenta::cli::experiments
