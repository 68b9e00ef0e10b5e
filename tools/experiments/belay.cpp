// The BELAY experiments (Patsenker, Li & Kluger 2023): robustness to the learning rate on the
// Rosenbrock variant and the shifted Beale function (App. C.1, Fig. 2), and trajectories (Fig. 3).
// The averaged weights (EMA average, BELAY w2) are what is evaluated, as the paper deploys them.
#include <algorithm>
#include <cmath>

#include "tools/experiments/common.h"
#include "tools/experiments/report.h"

namespace momenta::cli::experiments {
namespace {

struct Problem {
  std::string label, fn;
  std::vector<double> x0;
  double box[4];  // contour box x_min, x_max, y_min, y_max
};

const std::vector<Problem>& problems() {
  static const std::vector<Problem> p = {{"Rosenbrock (a=0, b=100)", "rosenbrock_belay", {1.5, 1.5}, {-0.6, 2.2, -1.2, 2.0}},
                                         {"shifted Beale", "beale_shifted", {-0.5, 0.5}, {-2.5, 1.5, -1.5, 1.5}}};
  return p;
}

struct Method {
  std::string label, optim, average;
};

const std::vector<Method>& methods() {
  static const std::vector<Method> m = {{"SGD", "sgd", ""},           {"Adam", "adam", ""},
                                        {"EMA+SGD", "sgd", "ema"},    {"EMA+Adam", "adam", "ema"},
                                        {"BELAY+SGD", "sgd", "belay"}, {"BELAY+Adam", "adam", "belay"}};
  return m;
}

optim::ObjectiveRunSpec spec_for(const Method& m, double lr, int steps) {
  optim::ObjectiveRunSpec s{m.optim, {{"lr", {lr}}}, m.average, {}, steps};
  if (m.average == "ema") s.avg_hp = {{"decay", {0.95}}};
  if (m.average == "belay") s.avg_hp = {{"k", {1.0}}, {"m1", {10.0}}, {"m2", {20.0}}};
  return s;
}

Point point_for(const Method& m) { return m.average.empty() ? Point::kStored : Point::kAveraged; }

const char* kCommonChoices[] = {
    "Rosenbrock is the registry's `rosenbrock_belay` (a = 0, b = 100, minimum at the origin); the shifted Beale is "
    "`beale_shifted` with the ASSUMED shift (3, 0.5) that puts the minimum at the origin (the paper's shift was not retrieved).",
    "Start points (not retrieved): (1.5, 1.5) on Rosenbrock and (-0.5, 0.5) on the shifted Beale.",
    "EMA decay 0.95 on the old average (OPTIMIZERS.md Section 17 on the ambiguous alpha = 0.95); BELAY k = 1, m1 = 10, "
    "m2 = 20 with the default damping c_i = 2 m_i (App. C.1). The evaluated point is the average (EMA) or w2 (BELAY).",
};

Outcome run_robustness(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int steps = o.pick(300, 10000, 50000);
  const std::vector<double> lrs = logspace(1e-5, 1.0, o.pick(6, 16, 31));
  const double tol = 1e-2;
  rep.protocol("For each problem, method and learning rate in a geometric grid of " + std::to_string(lrs.size()) +
               " values from 1e-5 to 1: " + std::to_string(steps) + " steps from the start point; the run converged when the "
               "evaluated point ends finite and within " + fmt_num(tol) + " of the minimum.");
  for (const char* c : kCommonChoices) rep.choice(c);
  rep.choice("Convergence criterion and step budget are choices (App. C.1's exact criterion was not retrieved).");
  std::vector<std::vector<double>> csv;
  std::map<std::string, int> total;
  bool ok = true, strict = false;
  std::vector<std::vector<std::string>> summary;
  for (size_t pi = 0; pi < problems().size(); ++pi) {
    const Problem& p = problems()[pi];
    const auto f = test_fn(p.fn, 2);
    io::HeatMap hm;
    hm.title = "Converged runs on " + p.label + " (" + std::to_string(steps) + " steps)";
    hm.row_axis = "method";
    hm.col_axis = "learning rate";
    hm.value_label = "log10 final distance to the minimum";
    hm.v_min = -6;
    hm.v_max = 1;
    for (double lr : lrs) hm.col_labels.push_back(fmt_num(lr, 2));
    std::map<std::string, int> count;
    for (const Method& m : methods()) {
      hm.row_labels.push_back(m.label);
      std::vector<double> vals;
      std::vector<std::string> marks;
      for (double lr : lrs) {
        const Trace tr = trace_run(f, p.x0, spec_for(m, lr, steps), point_for(m));
        const double d = tr.steps_run == steps ? norm2(tr.x.back()) : INFINITY;
        const bool conv = std::isfinite(d) && d < tol;
        count[m.label] += conv;
        vals.push_back(std::isfinite(d) ? std::clamp(std::log10(std::max(d, 1e-12)), -6.0, 1.0) : NAN);
        marks.push_back(conv ? "yes" : std::isfinite(d) ? "no" : "div");
        csv.push_back({static_cast<double>(pi), static_cast<double>(&m - methods().data()), lr, d, conv ? 1.0 : 0.0});
      }
      hm.values.push_back(vals);
      hm.text.push_back(marks);
    }
    rep.figure("heatmap_" + p.fn + ".svg",
               "Which methods converge on " + p.label + ": cell colour is log10 of the final distance, 'div' a diverged run (hatched).",
               io::render_heat_map(hm));
    for (const char* base : {"SGD", "Adam"}) {
      const int b = count[base], em = count[std::string("EMA+") + base], be = count[std::string("BELAY+") + base];
      ok = ok && be >= b && be >= em;
      strict = strict || be > std::max(b, em);
      summary.push_back({p.label, base, std::to_string(b), std::to_string(em), std::to_string(be)});
    }
    for (const auto& [k, v] : count) total[k] += v;
  }
  rep.csv("convergence.csv", {"problem", "method", "lr", "final_distance", "converged"}, csv);
  rep.text("Methods: 0 SGD, 1 Adam, 2 EMA+SGD, 3 EMA+Adam, 4 BELAY+SGD, 5 BELAY+Adam; problems: 0 Rosenbrock, 1 shifted Beale.");
  rep.table({"problem", "base", "converged lrs: base", "EMA+base", "BELAY+base"}, summary);
  const Verdict v = ok && strict ? Verdict::kHeld : ok ? Verdict::kPartly : Verdict::kNotHeld;
  return rep.finish(v,
                    "converged learning rates (of " + std::to_string(2 * lrs.size()) + "): SGD " +
                        std::to_string(total["SGD"]) + ", EMA+SGD " + std::to_string(total["EMA+SGD"]) + ", BELAY+SGD " +
                        std::to_string(total["BELAY+SGD"]) + "; Adam " + std::to_string(total["Adam"]) + ", EMA+Adam " +
                        std::to_string(total["EMA+Adam"]) + ", BELAY+Adam " + std::to_string(total["BELAY+Adam"]),
                    ok ? (strict ? "BELAY converged for at least as many learning rates as its base optimizer and EMA in "
                                   "every case, and for more in at least one."
                                 : "BELAY was never worse than the base optimizer or EMA, but never strictly wider either.")
                       : "In at least one case BELAY converged for fewer learning rates than the base optimizer or EMA.");
}

Outcome run_trajectories(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const int steps = o.pick(300, 2000, 5000);
  // Fixed learning rates (choice): the base rates are in the band where plain SGD/Adam oscillate.
  const std::map<std::string, double> lr_sgd = {{"rosenbrock_belay", 2e-3}, {"beale_shifted", 1e-2}};
  const std::map<std::string, double> lr_adam = {{"rosenbrock_belay", 5e-2}, {"beale_shifted", 5e-2}};
  rep.protocol(std::to_string(steps) + " steps of SGD, Adam, EMA+ and BELAY+ each, from the start points below; loss and "
               "distance at the evaluated point (the average for EMA, w2 for BELAY).");
  for (const char* c : kCommonChoices) rep.choice(c);
  rep.choice("The learning rates of Fig. 3 were not retrieved: SGD uses 2e-3 (Rosenbrock) and 1e-2 (Beale), Adam 5e-2 on both.");
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> csv;
  int better = 0, cases = 0;
  for (size_t pi = 0; pi < problems().size(); ++pi) {
    const Problem& p = problems()[pi];
    const auto f = test_fn(p.fn, 2);
    std::vector<io::PlotSeries> paths, losses;
    std::map<std::string, double> fin;
    for (const Method& m : methods()) {
      const double lr = m.optim == "sgd" ? lr_sgd.at(p.fn) : lr_adam.at(p.fn);
      const Trace tr = trace_run(f, p.x0, spec_for(m, lr, steps), point_for(m));
      for (size_t t = 0; t < tr.x.size(); ++t)
        csv.push_back({static_cast<double>(pi), static_cast<double>(&m - methods().data()), static_cast<double>(t),
                       tr.x[t][0], tr.x[t][1], tr.loss[t]});
      fin[m.label] = tr.steps_run == steps ? norm2(tr.x.back()) : INFINITY;
      rows.push_back({p.label, m.label, fmt_num(lr), fmt_num(tr.loss.back(), 4), fmt_num(fin[m.label], 4)});
      auto l = line(m.label, column(tr.x, 0), column(tr.x, 1), m.average == "ema");
      paths.push_back(l);
      losses.push_back(line(m.label, iota_steps(tr.loss.size()), tr.loss, m.average == "ema"));
    }
    for (const char* base : {"SGD", "Adam"}) {
      ++cases;
      better += fin[std::string("BELAY+") + base] <= fin[base];
    }
    io::ContourPlot cp;
    cp.title = "Trajectories on " + p.label;
    cp.x_min = p.box[0], cp.x_max = p.box[1], cp.y_min = p.box[2], cp.y_max = p.box[3];
    cp.f = [&](double x, double y) { return eval2(f, x, y); };
    cp.paths = paths;
    cp.stars = {{0.0, 0.0}};
    cp.grid = o.pick(60, 120, 160);
    rep.figure("trajectories_" + p.fn + ".svg", "Trajectories of the evaluated point on " + p.label + ".",
               io::render_contour_plot(cp));
    rep.figure("loss_" + p.fn + ".svg", "Loss at the evaluated point on " + p.label + ".",
               io::render_line_plot({"Loss on " + p.label, {"step"}, {"loss", true}, losses}));
  }
  rep.csv("trajectories.csv", {"problem", "method", "step", "x", "y", "loss"}, csv);
  rep.table({"problem", "method", "lr", "final loss", "final distance"}, rows);
  const Verdict v = better == cases ? Verdict::kHeld : better > 0 ? Verdict::kPartly : Verdict::kNotHeld;
  return rep.finish(v, "BELAY ended at least as close as its base optimizer in " + std::to_string(better) + " of " +
                           std::to_string(cases) + " cases",
                    "Judged by the final distance of the evaluated point at the chosen learning rates.");
}

}  // namespace

void add_belay_experiments(std::vector<Experiment>& out) {
  const std::string paper = "Patsenker, Li & Kluger 2023 (BELAY)";
  out.push_back({"belay-robustness", paper, "Fig. 2, App. C.1",
                 "On Rosenbrock (a = 0, b = 100) and the shifted Beale function, BELAY (with SGD or Adam inside) "
                 "converges for a wider range of learning rates than the plain optimizer or an EMA of its weights.",
                 run_robustness});
  out.push_back({"belay-trajectories", paper, "Fig. 3, App. C.2",
                 "At the stated learning rates, the BELAY trajectories approach the minimum where the base optimizers "
                 "oscillate or stall, and its loss curves are lower and smoother.",
                 run_trajectories});
}

}  // namespace momenta::cli::experiments
