// Nakerst, Brennan & Haque 2020 (paper file 004): super-acceleration on the 2-D function of eq. 15
// (Sec. 3.1, Fig. 3) and RMSProp with super-acceleration (eq. 16; Sec. 5, Fig. 7-8).
//
// NOTE [judging Fig. 3 over 180 steps] The figure shows the first 180 steps (l.186) and no sigma
// of the figure comes within 1e-3 of the minimum in that time, so "steps to 1e-3" says "never"
// for all of them. Speed is judged instead by the mean of log10 |theta - theta*| over the 180
// steps (the area under the log-distance curves of Fig. 3(d,e)), which every run has; trapping by
// where a run ends: more than 0.1 from the minimum and no longer moving over two steps
// (|theta_N - theta_{N-2}| < 1e-3: a fixed point or a two-point cycle, l.198).
#include "tools/experiments/superacc_landscape.h"

#include <algorithm>
#include <cmath>

#include "momenta/analysis/momentum_theory.h"
#include "momenta/analysis/trajectory_stats.h"
#include "tools/experiments/common.h"
#include "tools/experiments/report.h"
#include "tools/experiments/superacc_rules.h"

namespace momenta::cli::experiments {
namespace {

constexpr double kMu = 0.9;  // g (l.29)
constexpr int kSteps = 180;  // Fig. 3: "the first 180 steps" (l.186)
// The minimum of eq. 15, by Newton's method on its gradient (hand-checked in the tests;
// the text, l.192: "approx (1.690, 1.963)").
const std::vector<double> kMin{1.6903755280736785, 1.9633958696078013};
const std::vector<double> kStart{-1.0, -3.8};  // Fig. 3 caption, l.192
const std::vector<double> kFigSigmas{0.0, 0.9, 2.0, 3.0, 4.0, 6.0, 7.0};  // Fig. 3 (l.192) and l.198

double dist(const std::vector<double>& x) { return std::hypot(x[0] - kMin[0], x[1] - kMin[1]); }

struct Eq15Run {
  std::vector<std::vector<double>> x;
  std::vector<double> d;
  bool diverged = false;
  double mean_log = INFINITY;
  analysis::EndCycle end;
  // NOTE [superacc-2d thresholds] (superacc_rules.h); the defaults unless a sensitivity check asks.
  bool trapped(const superacc::TrapThresholds& t = {}) const {
    return !diverged && superacc::is_trapped(d.back(), end.period2, t);
  }
  bool two_point_cycle(const superacc::TrapThresholds& t = {}) const {
    return !diverged && superacc::is_two_point_cycle(d.back(), end.period1, end.period2, t);
  }
};

Eq15Run run_eq15(const optim::ObjectiveRunSpec& spec) {
  const Trace tr = trace_run(test_fn("superacc_eq15", 2), kStart, spec, Point::kIterate);
  Eq15Run r;
  r.x = tr.x;
  for (const auto& p : tr.x) r.d.push_back(dist(p));
  r.diverged = static_cast<int>(r.d.size()) != spec.steps + 1 || !std::all_of(r.d.begin(), r.d.end(), [](double v) {
    return std::isfinite(v) && v < 1e6;
  });
  if (!r.diverged) {
    r.mean_log = analysis::mean_log10(r.d);
    r.end = analysis::end_cycle(r.x);
  }
  return r;
}

optim::ObjectiveRunSpec sa_spec(const std::string& rule, double lr, double sigma) {
  return {rule, {{"lr", {lr}}, {"momentum", {kMu}}, {"sigma", {sigma}}}, "", {}, kSteps};
}

std::string steps_or_never(int i) { return i < 0 ? std::string("never") : std::to_string(i); }

int first_below(const std::vector<double>& d, double level) {
  for (size_t i = 0; i < d.size(); ++i)
    if (d[i] < level) return static_cast<int>(i);
  return -1;
}

// One row of the figure table.
std::vector<std::string> run_row(const std::string& label, const Eq15Run& r) {
  if (r.diverged) return {label, "diverged", "", "", "", "", ""};
  return {label,
          fmt_num(r.mean_log, 4),
          fmt_num(r.d.back(), 4),
          fmt_num(*std::min_element(r.d.begin(), r.d.end()), 4),
          steps_or_never(first_below(r.d, 1e-3)),
          steps_or_never(analysis::settle_index(r.d, 1e-2)),
          fmt_num(r.end.period1, 3) + " / " + fmt_num(r.end.period2, 3)};
}

const std::vector<std::string> kRunHeader{"run", "mean log10 distance", "final distance", "closest approach",
                                          "first step within 1e-3", "stays within 1e-2 from step",
                                          "distance moved, step 179 to 180 / 178 to 180"};

}  // namespace

Outcome run_superacc_2d(const Experiment& e, const Options& o) {
  Report rep(e, o);
  rep.protocol("Eq. 15 (004, l.181): L = (t1^2 + 2 t2 - 7)^2 + (2 t1 + t2 - 5)^2 + 1e-3 (t1^6 + t2^6), the registry's "
               "`superacc_eq15`; its minimum (1.69038, 1.96340) by Newton's method (text, l.192: about (1.690, 1.963)).");
  rep.protocol("From (-1, -3.8) with eta = 0.01 (Fig. 3 caption, l.192), the first 180 steps (l.186): GD (`sgd`, eq. 1) and `super_accel` "
               "(eq. 4, g = 0.9) with sigma in {0, 0.9, 2, 3, 4, 6, 7} (Fig. 3 caption, l.192, and l.198); distance = "
               "Euclidean distance of the iterate theta from the minimum (Fig. 3(d,e)).");
  const double scan_step = o.pick(0.5, 0.25, 0.1);
  rep.protocol("A sigma scan beside the figure's values: sigma = 0, " + fmt_num(scan_step) + ", ..., 8, same start, eta and "
               "steps.");
  rep.protocol("Rules (NOTE [judging Fig. 3 over 180 steps] in superacc_landscape.cpp): speed = mean of log10 distance over "
               "the 180 steps (smaller is faster). \"Fastest near sigma 3-4\" holds when the scan's fastest sigma lies in "
               "[3, 4] and the fastest of the figure's runs is sigma 3 or 4. \"Trapped\" = final distance > 0.1 and "
               "|theta_180 - theta_178| < 1e-3; \"trapped for large sigma\" holds when sigma 7 is trapped in a "
               "two-point cycle (|theta_180 - theta_178| < 1e-6, |theta_180 - theta_179| > 1e-2), as l.198 describes "
               "it. sigma 6 (\"approaching a similar situation\", l.198) is reported beside and not required.");
  rep.protocol("Sensitivity: each of the four thresholds of the trapping rule (0.1, 1e-3, 1e-6, 1e-2) is halved and "
               "doubled in turn and the verdict recomputed from the same runs.");
  rep.choice("\"Fastest\" needs a measure that every run has within 180 steps: no sigma of the figure comes within 1e-3 of "
             "the minimum in 180 steps, so steps-to-1e-3 (the rule before) cannot rank them. The mean log-distance reads the "
             "whole of Fig. 3(d,e); the final distance and the step from which a run stays within 1e-2 are shown beside it. "
             "The interval [3, 4] is the text's \"around 3 or 4\" (l.198); the 0.1 trap distance and 1e-3 stall are chosen "
             "here, a tenth and a thousandth of the valley's scale (the start is 6 from the minimum). These rules were set "
             "after seeing runs of these dynamics (a prototype of the same update on the same function), so they are "
             "not independent of the outcome.");
  rep.choice("The text does not say how the two-point cycle is detected; the 1e-6 / 1e-2 thresholds are chosen here.");

  std::vector<io::PlotSeries> paths, dist_lines;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> csv;
  std::map<double, Eq15Run> fig;
  Eq15Run gd = run_eq15({"sgd", {{"lr", {0.01}}}, "", {}, kSteps});
  auto add_run = [&](const std::string& label, double id, const Eq15Run& r) {
    for (size_t t = 0; t < r.x.size(); ++t) csv.push_back({id, static_cast<double>(t), r.x[t][0], r.x[t][1], r.d[t]});
    rows.push_back(run_row(label, r));
    paths.push_back(line(label, column(r.x, 0), column(r.x, 1)));
    dist_lines.push_back(line(label, iota_steps(r.d.size()), r.d));
  };
  add_run("GD", -1, gd);
  for (double s : kFigSigmas) {
    fig[s] = run_eq15(sa_spec("super_accel", 0.01, s));
    add_run("sigma " + fmt_num(s), s, fig[s]);
  }
  rep.csv("trajectories.csv", {"sigma_or_minus1_for_gd", "step", "t1", "t2", "distance"}, csv);
  rep.table(kRunHeader, rows);
  const auto f = test_fn("superacc_eq15", 2);
  io::ContourPlot cp;
  cp.title = "Eq. 15: trajectories, first 180 steps";
  cp.x_min = -2.5, cp.x_max = 4.5, cp.y_min = -4.5, cp.y_max = 7;  // holds every path (heavy ball reaches (4.1, 6.4))
  cp.f = [&](double x, double y) { return std::log10(eval2(f, x, y)); };
  cp.paths = paths;
  cp.stars = {{kMin[0], kMin[1]}};
  cp.grid = o.pick(60, 120, 160);
  rep.figure("trajectories.svg", "Fig. 3(a-c): trajectories from (-1, -3.8) over contours of log10 L; the star is the minimum.",
             io::render_contour_plot(cp));
  rep.figure("distance.svg", "Fig. 3(d,e): distance to the minimum per step.",
             io::render_line_plot({"Distance to the minimum (eta = 0.01)", {"step"}, {"|theta - theta*|", true}, dist_lines}));

  // The sigma scan.
  std::vector<double> sig, ml, fd;
  std::vector<std::vector<double>> scsv;
  double best_s = -1, best_ml = INFINITY;
  for (double s = 0; s <= 8.0 + 1e-9; s += scan_step) {
    const Eq15Run r = run_eq15(sa_spec("super_accel", 0.01, s));
    sig.push_back(s);
    ml.push_back(r.mean_log);
    fd.push_back(r.diverged ? INFINITY : r.d.back());
    scsv.push_back({s, r.mean_log, fd.back(), r.diverged ? 1.0 : 0.0, r.trapped() ? 1.0 : 0.0});
    if (r.mean_log < best_ml) best_ml = r.mean_log, best_s = s;
  }
  rep.csv("sigma_scan.csv", {"sigma", "mean_log10_distance", "final_distance", "diverged", "trapped"}, scsv);
  std::vector<double> fin_s, fin_ml;
  for (size_t i = 0; i < sig.size(); ++i)
    if (std::isfinite(ml[i])) fin_s.push_back(sig[i]), fin_ml.push_back(ml[i]);
  rep.figure("sigma_scan.svg", "Mean log10 distance over the 180 steps against sigma (diverged runs left out).",
             io::render_line_plot({"Speed against sigma (eq. 15, eta = 0.01)", {"sigma"}, {"mean log10 distance"},
                                   {line("super_accel", fin_s, fin_ml)}}));

  double fig_best_s = -1, fig_best = INFINITY;
  for (const auto& [s, r] : fig)
    if (r.mean_log < fig_best) fig_best = r.mean_log, fig_best_s = s;
  const bool fastest_ok = best_s >= 3.0 - 1e-9 && best_s <= 4.0 + 1e-9 && (fig_best_s == 3.0 || fig_best_s == 4.0) &&
                          fig_best < gd.mean_log;
  // "Trapped for large sigma" (l.198): sigma 7 in a two-point cycle away from the minimum; sigma 6 only
  // "approaching" it, so reported beside. Before this rule sigma 6 had to be trapped as well.
  const auto verdict_with = [&](const superacc::TrapThresholds& t) {
    const bool trapped = fig[7.0].two_point_cycle(t);
    return fastest_ok && trapped ? Verdict::kHeld : fastest_ok || trapped ? Verdict::kPartly : Verdict::kNotHeld;
  };
  const bool trapped_ok = fig[7.0].two_point_cycle();
  // l.200: sigma = 3 overshoots (its distance dips and comes back up) and sigma = 4 does not.
  auto rise = [](const Eq15Run& r) {
    const auto it = std::min_element(r.d.begin(), r.d.end());
    return fmt_num(r.d.back() / *it, 3) + " (closest at step " + std::to_string(it - r.d.begin()) + ")";
  };
  rep.text("Scan: the fastest sigma is **" + fmt_num(best_s) + "** (mean log10 distance " + fmt_num(best_ml, 4) +
           "); of the figure's runs, sigma " + fmt_num(fig_best_s) + " (GD: " + fmt_num(gd.mean_log, 4) + "). sigma 6 " +
           (fig[6.0].trapped() ? "is" : "is not") + " trapped, sigma 7 " + (fig[7.0].trapped() ? "is" : "is not") +
           " trapped" + (fig[7.0].two_point_cycle() ? ", in a two-point cycle" : ", not in a two-point cycle") + " (l.198). "
           "Side check of l.200 (sigma 3 overshoots and returns, sigma 4 does not), as final distance / closest approach: "
           "sigma 3 " + rise(fig[3.0]) + ", sigma 4 " + rise(fig[4.0]) + ".");
  const Verdict v = verdict_with({});
  std::string sens;
  int changed = 0;
  for (int which = 0; which < 4; ++which)
    for (double factor : {0.5, 2.0}) {
      superacc::TrapThresholds t;
      double* field[] = {&t.distance, &t.stalled, &t.cycle_still, &t.cycle_moving};
      const char* name[] = {"trap distance", "stall", "cycle stillness", "cycle step"};
      *field[which] *= factor;
      const Verdict vt = verdict_with(t);
      changed += vt != v;
      sens += std::string(sens.empty() ? "" : "; ") + name[which] + " " + fmt_num(*field[which]) + ": " +
              verdict_text(vt) + (vt != v ? " (changed)" : "");
    }
  rep.text("sigma 6, beside the verdict (l.198: \"approaching a similar situation\"): final distance " +
           fmt_num(fig[6.0].d.back(), 4) + ", |theta_180 - theta_179| / |theta_180 - theta_178| = " +
           fmt_num(fig[6.0].end.period1, 3) + " / " + fmt_num(fig[6.0].end.period2, 3) + ": " +
           (fig[6.0].two_point_cycle() ? "in a two-point cycle" : fig[6.0].trapped() ? "trapped, not in a two-point cycle"
                                                                                      : "not trapped") + ".");
  rep.text("Sensitivity of the verdict (" + std::string(verdict_text(v)) + ") to the trapping thresholds, each halved "
           "and doubled alone, same runs: " + sens + ". The verdict changes in " + std::to_string(changed) + " of 8. "
           "(The fastest-sigma part uses no threshold chosen here: [3, 4] is the text's \"around 3 or 4\".)");
  return rep.finish(v,
                    "fastest sigma (mean log10 distance, 180 steps) " + fmt_num(best_s) + " of the scan, " +
                        fmt_num(fig_best_s) + " of the figure's; final distance sigma 3 " + fmt_num(fig[3.0].d.back(), 2) +
                        ", sigma 4 " + fmt_num(fig[4.0].d.back(), 2) + ", sigma 6 " + fmt_num(fig[6.0].d.back(), 2) +
                        ", sigma 7 " + fmt_num(fig[7.0].d.back(), 2) + (fig[7.0].two_point_cycle() ? " (two-point cycle)" : ""),
                    std::string(fastest_ok ? "The fastest sigma lies in [3, 4]" : "The fastest sigma is not in [3, 4]") +
                        "; " + (trapped_ok ? "sigma 7 ends trapped away from the minimum in a two-point cycle (l.198)"
                                           : "sigma 7 does not end in a two-point cycle away from the minimum (l.198)") +
                        "; sigma 6 (not required) " + (fig[6.0].trapped() ? "is" : "is not") + " trapped. The verdict "
                        "changes in " + std::to_string(changed) + " of 8 halvings/doublings of the trapping thresholds.");
}

Outcome run_superacc_rmsprop(const Experiment& e, const Options& o) {
  Report rep(e, o);
  rep.protocol("Rule `rmsprop_super_accel` (eq. 16, 004 l.277-284: eps inside the sqrt, no bias correction), g = 0.9, "
               "beta2 = 0.999, eps = 1e-7 (l.286).");
  const int qsteps = o.pick(150, 400, 1000);
  const double qstep = o.pick(0.5, 0.25, 0.1);
  std::vector<double> etas = logspace(1e-3, 0.3, o.pick(4, 8, 14));
  rep.protocol("Fig. 7(b): L = theta^2/2 (k = 1, l.311) from theta_0 = 1, " + std::to_string(qsteps) +
               " steps; T from the fit |theta_i| ~ exp(-t/T) (least squares on ln|theta_i|, samples with |theta_i| > 1e-12; "
               "l.313-319); sigma* = the sigma of smallest T on a grid 0, " + fmt_num(qstep) + ", ..., 20, for " +
               std::to_string(etas.size()) + " values of eta from 1e-3 to 0.3.");
  rep.protocol("Fig. 8: eq. 15 from (-1, -3.8), 180 steps, sigma in {0, 0.9, 2, 3, 4, 6, 7}, at eta = 0.01 (the caption, "
               "l.317) AND eta = 0.1 (the text, l.325): the two disagree, so both are run.");
  rep.protocol("Rules: l.321 holds when sigma* > 1 at every eta >= 0.01 of the scan. l.325 holds at an eta when the fastest "
               "run (mean log10 distance over the 180 steps, as in superacc-2d) has sigma > 1 and is faster than sigma 0 and "
               "0.9, and when sigma 6 or 7 is trapped (final distance > 0.1 and |theta_180 - theta_178| < 1e-3).");
  rep.choice("Fig. 8's number of steps is not given; 180, as in Fig. 3, is used. Its sigma values are not given; Fig. 3's are used.");
  rep.choice("\"eta not very small\" (l.321) is read as eta >= 0.01; \"considerably larger than g ~ 1\" as sigma* > 1 (the "
             "threshold the text uses for super-acceleration, l.47). The fit floor 1e-12 and the 0-20 sigma range are "
             "chosen here.");

  // Fig. 7(b).
  std::vector<double> sstar;
  std::vector<std::vector<double>> qcsv;
  bool sstar_ok = true;
  std::vector<std::vector<std::string>> qrows;
  for (double eta : etas) {
    double best = INFINITY, best_s = -1;
    for (double s = 0; s <= 20.0 + 1e-9; s += qstep) {
      const Trace tq = trace_run(test_fn("quadratic", 1), {1.0}, {"rmsprop_super_accel", {{"lr", {eta}}, {"momentum", {kMu}},
                                                                   {"sigma", {s}}}, "", {}, qsteps}, Point::kIterate);
      const std::vector<double> th = column(tq.x, 0);
      double T = INFINITY;
      if (static_cast<int>(th.size()) == qsteps + 1 && std::all_of(th.begin(), th.end(), [](double v) { return std::isfinite(v); }))
        T = analysis::exp_decay_time(th, 1e-12);
      qcsv.push_back({eta, s, T});
      if (T < best) best = T, best_s = s;
    }
    sstar.push_back(best_s);
    if (eta >= 0.01 - 1e-12) sstar_ok = sstar_ok && best_s > 1.0;
    qrows.push_back({fmt_num(eta, 3), fmt_num(best_s), fmt_num(best, 4), fmt_num(analysis::sigma_star_exact(eta, kMu), 4)});
  }
  rep.csv("fig7_relaxation_time.csv", {"eta", "sigma", "T_fit"}, qcsv);
  rep.table({"eta", "sigma* (smallest fitted T)", "T there", "without RMSProp: exact sigma* at k eta = eta (Sec. 2)"}, qrows);
  rep.text("l.321 calls this \"very similar to the non-adaptive case\"; the last column is that case's critical sigma for "
           "comparison (negative where super-acceleration does not help, k eta < 0.0026).");
  rep.figure("fig7b_sigma_star.svg", "Fig. 7(b): optimal sigma of RMSProp with super-acceleration against eta (k = 1).",
             io::render_line_plot({"RMSProp-SA: sigma* against eta", {"eta", true}, {"sigma*"}, {dots("sigma*", etas, sstar)}}));

  // Fig. 8 at both learning rates.
  std::vector<std::vector<double>> csv;
  std::vector<std::string> parts, checks;
  int held = sstar_ok ? 1 : 0;
  for (double eta : {0.01, 0.1}) {
    std::vector<std::vector<std::string>> rows;
    std::vector<io::PlotSeries> dl;
    std::map<double, Eq15Run> runs;
    double best_s = -1, best = INFINITY;
    for (double s : kFigSigmas) {
      runs[s] = run_eq15(sa_spec("rmsprop_super_accel", eta, s));
      const Eq15Run& r = runs[s];
      for (size_t t = 0; t < r.d.size(); ++t) csv.push_back({eta, s, static_cast<double>(t), r.d[t]});
      rows.push_back(run_row("sigma " + fmt_num(s), r));
      dl.push_back(line("sigma " + fmt_num(s), iota_steps(r.d.size()), r.d));
      if (r.mean_log < best) best = r.mean_log, best_s = s;
    }
    const bool faster = best_s > 1.0 && best < std::min(runs[0.0].mean_log, runs[0.9].mean_log);
    const bool elsewhere = runs[6.0].trapped() || runs[7.0].trapped();
    held += faster + elsewhere;
    checks.push_back("at eta " + fmt_num(eta) + ", faster with sigma > 1: " + (faster ? "yes" : "no") +
                     ", sigma 6 or 7 trapped: " + (elsewhere ? "yes" : "no"));
    rep.text("**eta = " + fmt_num(eta) + "** (" + (eta == 0.01 ? "Fig. 8 caption" : "text, l.325") + "): fastest sigma " +
             fmt_num(best_s) + "; " + (faster ? "faster" : "not faster") + " than sigma 0 and 0.9 with sigma > 1; sigma 6 " +
             (runs[6.0].trapped() ? "trapped" : "not trapped") + ", sigma 7 " + (runs[7.0].trapped() ? "trapped" : "not trapped") + ".");
    rep.table(kRunHeader, rows);
    const std::string tag = eta == 0.01 ? "eta001" : "eta01";
    rep.figure("fig8_distance_" + tag + ".svg", "Fig. 8 at eta = " + fmt_num(eta) + ": distance to the minimum of eq. 15.",
               io::render_line_plot({"RMSProp-SA on eq. 15, eta = " + fmt_num(eta), {"step"}, {"|theta - theta*|", true}, dl}));
    parts.push_back("eta " + fmt_num(eta) + ": fastest sigma " + fmt_num(best_s) + (elsewhere ? ", large sigma trapped" : ", large sigma not trapped"));
  }
  rep.csv("fig8_distance.csv", {"eta", "sigma", "step", "distance"}, csv);
  const Verdict v = held == 5 ? Verdict::kHeld : held == 0 ? Verdict::kNotHeld : Verdict::kPartly;
  std::string sst;
  for (size_t i = 0; i < etas.size(); ++i) sst += (i ? ", " : "") + fmt_num(sstar[i]);
  return rep.finish(v,
                    "sigma* (Fig. 7(b)) " + sst + " for eta " + fmt_num(etas.front(), 2) + " .. " + fmt_num(etas.back(), 2) +
                        "; Fig. 8 " + parts[0] + "; " + parts[1],
                    std::to_string(held) + " of 5 checks hold: sigma* > 1 for eta >= 0.01 (l.321): " + (sstar_ok ? "yes" : "no") +
                        "; Fig. 8 (l.325) " + checks[0] + "; " + checks[1] + ".");
}

}  // namespace momenta::cli::experiments
