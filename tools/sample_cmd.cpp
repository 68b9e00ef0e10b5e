// `momenta sample`: draws images from a trained score model (momenta train --objective dsm) with
// one of four samplers and writes them as a PNG grid and a tensor file, optionally with a strip
// of the denoising.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "models/fid_features.h"
#include "models/score_model.h"
#include "models/unet.h"
#include "momenta/diffusion/samplers.h"
#include "momenta/io/image_grid.h"
#include "momenta/io/safetensors.h"
#include "momenta/io/text_file.h"
#include "momenta/ops.h"
#include "momenta/random.h"
#include "momenta/train/progress.h"
#include "tools/cli_common.h"
#include "tools/fid_cli.h"
#include "tools/model_registry.h"
#include "tools/option_ranges.h"

namespace momenta::cli {
namespace {

namespace fs = std::filesystem;

struct SampleArgs {
  std::string model;
  std::string weights = "auto";
  std::string sampler = "em";
  int64_t steps = 0;           // 0: the sampler's default (about 500 score evaluations)
  int64_t langevin_steps = 0;  // 0: the sampler's default
  double snr = 0.16;
  double step_lr = 0.0;        // 0: NCSNv2 Technique 4
  std::string ode = "heun";
  bool no_denoise = false;
  int64_t n = 64;
  uint64_t seed = 0;
  std::string out;
  bool strip = false;
  int threads = 0;
  bool no_progress = false;
  bool fid = false;
  std::string data, data_dir, fid_net;
  int64_t fid_reference = -1;  // test images the samples are compared with; -1: all
  std::string device = "cpu";
};

// MODEL may be a run directory (its model.safetensors) or a file.
std::string model_file(const std::string& given) {
  if (is_directory(given)) return (fs::path(given) / "model.safetensors").string();
  return given;
}

// --weights auto: the averaged weights beside the model when there is exactly one such file.
std::string weights_file(const std::string& model, const std::string& choice) {
  const fs::path dir = fs::path(model).parent_path();
  if (choice == "model") return model;
  if (choice != "auto") {
    const fs::path p = dir / ("model_" + choice + ".safetensors");
    check<IOError>(fs::exists(p), "--weights ", choice, ": no file '", p.string(), "' (train with --average ", choice,
                   ")");
    return p.string();
  }
  std::string found;
  for (const char* avg : {"ema", "belay", "swa"}) {
    const fs::path p = dir / (std::string("model_") + avg + ".safetensors");
    if (!fs::exists(p)) continue;
    check<ValueError>(found.empty(), "--weights auto: both '", found, "' and '", p.string(),
                      "' exist; choose with --weights ema|belay|swa|model");
    found = p.string();
  }
  return found.empty() ? model : found;
}

// states[k] holds the first `rows` samples at recorded time k: the grid's row r shows sample r
// from the prior (left) to the end (right).
Tensor stack_rows(const std::vector<Tensor>& states, int64_t rows, int64_t cols) {
  std::vector<Tensor> cells;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k) cells.push_back(states[static_cast<size_t>(k)].slice(0, r, r + 1));
  return cat(cells, 0);
}

diffusion::SamplerOptions sampler_options(const SampleArgs& a) {
  diffusion::SamplerOptions o;
  o.kind = diffusion::parse_sampler(a.sampler);
  o.ode = diffusion::parse_ode_method(a.ode);
  o.snr = a.snr;
  o.denoise = !a.no_denoise;
  o.seed = a.seed;
  if (a.step_lr > 0) o.step_lr = a.step_lr;
  // Defaults: about 500 score evaluations for each sampler.
  switch (o.kind) {
    case diffusion::SamplerKind::kAld:
      o.steps = a.steps > 0 ? a.steps : 100;
      o.langevin_steps = a.langevin_steps > 0 ? a.langevin_steps : 5;
      break;
    case diffusion::SamplerKind::kPredictorCorrector:
      o.steps = a.steps > 0 ? a.steps : 250;
      o.langevin_steps = a.langevin_steps > 0 ? a.langevin_steps : 1;
      break;
    case diffusion::SamplerKind::kProbabilityFlow:
      o.steps = a.steps > 0 ? a.steps : 250;
      break;
    case diffusion::SamplerKind::kEulerMaruyama:
      o.steps = a.steps > 0 ? a.steps : 500;
      break;
  }
  return o;
}

void run_sample(const SampleArgs& a) {
  if (a.threads > 0) omp_set_num_threads(a.threads);
  diffusion::SamplerOptions so = sampler_options(a);  // bad names fail before anything is read
  so.device = resolve_device(a.device);
  const std::string path = model_file(a.model);
  const io::SafetensorsFile meta_file = io::load_safetensors(path);
  const ModelSpec spec = ModelSpec::from_metadata(meta_file.metadata, path);
  check<ValueError>(spec.model == "unet", "'", path, "' is a ", spec.model,
                    " model; momenta sample draws from score models (momenta train --model unet --objective dsm)");
  const models::ProcessSpec ps = models::ProcessSpec::from_metadata(meta_file.metadata, path);
  const std::string wpath = weights_file(path, a.weights);
  const io::SafetensorsFile file = wpath == path ? meta_file : io::load_safetensors(wpath);
  check_spec_fits_tensors(spec, file.tensors, wpath);
  auto model = build_model(spec);
  model->finalize(kFloat32, so.device);
  model->load_state_dict(file.tensors);
  auto& net = dynamic_cast<models::UNet&>(*model);
  net.eval();
  const auto process = ps.make();
  if (std::isnan(so.t_end)) so.t_end = ps.t_min > 0 ? ps.t_min : process->default_t_min();
  // A model trained on L discrete levels is sampled on those levels by annealed Langevin dynamics.
  if (so.kind == diffusion::SamplerKind::kAld && a.steps == 0 && ps.levels > 0) so.steps = ps.levels;

  // FID: the data and the classifier are made ready before sampling, so that a missing dataset or
  // a bad classifier file fails before minutes of sampling, not after.
  LoadedData fid_data;
  models::FidFeatureNet fid_net;
  models::FidReference fid_ref;
  if (a.fid) {
    const DataOptions dopts = model_data_options(meta_file.metadata, spec, a.data, a.data_dir);
    fid_data = load_data(dopts, true);
    check<ValueError>(fid_data.train->sample_shape() == spec.in_shape, "--fid: the model draws samples of shape ",
                      fmt(spec.in_shape),
                      " but ", dopts.name, " images have shape ", fmt(fid_data.train->sample_shape()));
    check<ValueError>(a.n >= 2 && a.n <= fid_data.train->size(), "--fid needs --n in [2, ", fid_data.train->size(),
                      "] (the floor compares as many training images), got ", a.n);
    fid_net = obtain_fid_net(a.fid_net, dopts.name, *fid_data.train, *fid_data.test, fid_data.train->normalization(),
                             !a.no_progress);
    fid_ref = models::make_fid_reference(fid_net, *fid_data.train, *fid_data.test, a.n, a.fid_reference, a.seed);
  }

  const std::string out = a.out.empty() ? (fs::path(path).parent_path() / "samples").string() : a.out;
  make_output_dir(out);
  const Shape shape = spec.in_shape;
  std::printf("sampling %lld images from %s (%s weights) with %s, %lld steps; %s; %d threads\n",
              static_cast<long long>(a.n), wpath.c_str(), wpath == path ? "the model's" : "averaged",
              diffusion::sampler_name(so.kind), static_cast<long long>(so.steps), process->describe().c_str(),
              omp_get_max_threads());
  train::ProgressBar bar("sampling", diffusion::sampler_evaluations(*process, so), !a.no_progress);
  diffusion::SamplerCallbacks cb;
  cb.progress = [&](int64_t done, int64_t) { bar.update(done, "", 0); };
  std::vector<Tensor> strip;
  if (a.strip) {
    cb.record_every = std::max<int64_t>(1, so.steps / 9);
    cb.record = [&](int64_t, double, const Tensor& x) {
      strip.push_back(x.slice(0, 0, std::min<int64_t>(8, a.n)).clone().to(kCPU));
    };
  }
  const auto t0 = std::chrono::steady_clock::now();
  // The grid, the file and the FID (its classifier runs on the CPU) take the samples on the host.
  const Tensor samples = models::draw_samples(net, *process, a.n, shape, so, cb);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bar.finish(str_cat("done in ", train::format_duration(seconds)));

  io::write_png_grid(out + "/samples.png", samples);
  io::save_safetensors(out + "/samples.safetensors", {{"samples", samples.contiguous()}},
                       {{"model", wpath}, {"sampler", diffusion::sampler_name(so.kind)},
                        {"steps", std::to_string(so.steps)}, {"seed", std::to_string(a.seed)}});
  std::printf("samples: %s/samples.png (%lld images, %.1f s)\n", out.c_str(), static_cast<long long>(a.n), seconds);
  if (a.fid) {
    const double fid = fid_ref.fid(samples);
    std::printf("%s\n  samples         %10.2f\n  floor (train)   %10.2f   (%lld training images)\n"
                "  pure noise      %10.2f   (uniform pixels)\n",
                fid_ref.label().c_str(), fid, fid_ref.floor, static_cast<long long>(a.n), fid_ref.noise);
    // A non-finite FID (samples of a diverged model) is written as null: valid JSON, never "nan".
    const auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    const nlohmann::json j = {{"metric", fid_ref.label()},
                              {"samples", a.n},
                              {"reference_images", fid_ref.reference_images},
                              {"fid", number(fid)},
                              {"floor_train_vs_test", number(fid_ref.floor)},
                              {"pure_noise", number(fid_ref.noise)},
                              {"classifier_test_accuracy", number(fid_net.test_accuracy)}};
    io::write_text_file(out + "/fid.json", j.dump(1) + "\n");
  }
  if (a.strip && !strip.empty()) {
    strip.push_back(samples.slice(0, 0, std::min<int64_t>(8, a.n)));
    // Rows: samples; columns: time from the prior (left) to the final sample (right).
    const int64_t rows = strip.front().size(0), cols = static_cast<int64_t>(strip.size());
    Tensor stacked = stack_rows(strip, rows, cols);
    io::GridOptions go;
    go.cols = cols;
    io::write_png_grid(out + "/strip.png", stacked, go);
    std::printf("denoising strip: %s/strip.png (%lld samples x %lld times)\n", out.c_str(),
                static_cast<long long>(rows), static_cast<long long>(cols));
  }
}

}  // namespace

void add_sample_command(CLI::App& app) {
  auto args = std::make_shared<SampleArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sample", "Draw images from a score model (momenta train --model unet --objective dsm): a PNG grid, the tensor, "
                "optionally a denoising strip and the FID");
  cmd->add_option("model", args->model, "model.safetensors or its run directory")->required();
  cmd->add_option("--weights", args->weights,
                  "auto (the averaged weights beside the model when present), model, ema, belay or swa")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "model", "ema", "belay", "swa"}));
  cmd->add_option("--sampler", args->sampler,
                  "ald (annealed Langevin, NCSNv2), em (reverse-SDE Euler-Maruyama), pc (predictor-corrector) or ode "
                  "(probability flow)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ald", "em", "pc", "ode"}));
  add_number(cmd, "--steps", args->steps,
             "Reverse-time steps (ald: noise levels); 0: about 500 score evaluations (em 500, pc 250, ode 250 Heun "
             "steps, ald 100 levels x 5)",
             {0, 1e6})
      ->capture_default_str();
  add_number(cmd, "--langevin-steps", args->langevin_steps,
             "ald: Langevin steps per level; pc: corrector steps per step (0: 5 and 1)", {0, 1000})
      ->capture_default_str();
  add_number(cmd, "--snr", args->snr, "pc: the corrector's signal-to-noise ratio", {0, 10, true})->capture_default_str();
  add_number(cmd, "--step-lr", args->step_lr, "ald: the step size eps (0: NCSNv2 Technique 4)", {0, 1})
      ->capture_default_str();
  cmd->add_option("--ode", args->ode, "ode: euler, heun or rk4")
      ->capture_default_str()
      ->check(CLI::IsMember({"euler", "heun", "rk4"}));
  cmd->add_flag("--no-denoise", args->no_denoise, "Skip the final noise-free (Tweedie) step");
  add_number(cmd, "--n", args->n, "Number of images", {1, 100000})->capture_default_str();
  add_number(cmd, "--seed", args->seed, "Seed of the prior draw and of every noise", seed_range())->capture_default_str();
  cmd->add_option("--out", args->out, "Output directory (default: MODEL's directory/samples)");
  cmd->add_flag("--strip", args->strip, "Also write strip.png: 8 samples at 10 times of the sampling");
  add_number(cmd, "--threads", args->threads, "OpenMP threads (0: all cores)", threads_range());
  add_device_option(cmd, args->device);
  cmd->add_flag("--no-progress", args->no_progress, "Do not draw the progress bar");
  cmd->add_flag("--fid", args->fid,
                "Measure the samples: Frechet distance of ResNet-20 features (a classifier momenta trains once on the "
                "model's dataset; not Inception FID) against the test images, beside the floor (--n training images) "
                "and pure noise, all at --n samples; writes fid.json");
  cmd->add_option("--data", args->data, "--fid: the dataset (default: the one the model was trained on)");
  cmd->add_option("--data-dir", args->data_dir, "--fid: the dataset's directory (default: the usual places)");
  cmd->add_option("--fid-net", args->fid_net,
                  "--fid: the classifier file, trained and saved there when missing (default: "
                  "$XDG_CACHE_HOME/momenta or ~/.cache/momenta/fid-classifier-DATASET-FP.safetensors, FP a "
                  "fingerprint of the images)");
  add_number(cmd, "--fid-reference", args->fid_reference, "--fid: test images to compare with (-1: all)",
             {-1, 1e7})
      ->capture_default_str();
  cmd->callback([args] { run_sample(*args); });
}

}  // namespace momenta::cli
