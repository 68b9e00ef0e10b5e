// `momenta train`: trains a model on a dataset and saves it with its metrics.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "models/fid_features.h"
#include "models/score_model.h"
#include "models/unet.h"
#include "momenta/autograd.h"
#include "momenta/data/dataset.h"
#include "momenta/diffusion/ncsn.h"
#include "momenta/io/metrics.h"
#include "momenta/io/safetensors.h"
#include "momenta/io/svg.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/param_groups.h"
#include "momenta/optim/registry.h"
#include "momenta/optim/schedule.h"
#include "momenta/parse.h"
#include "momenta/random.h"
#include "momenta/train/run_dir.h"
#include "momenta/train/trainer.h"
#include "tools/cli_common.h"
#include "tools/fid_cli.h"
#include "tools/model_registry.h"
#include "tools/option_ranges.h"

namespace momenta::cli {
namespace {

struct TrainArgs {
  ModelSpec spec;
  DataOptions data;
  std::string augment = "none";
  int64_t epochs = 10;
  int64_t batch_size = 128;
  std::string optim = "adam";
  double lr = 1e-3;
  std::vector<std::string> hp;
  uint64_t seed = 0;
  int threads = 0;
  std::string out = "runs/mlp";
  std::string schedule = "cosine";
  std::vector<int64_t> milestones;  // epochs (multistep)
  double gamma = 0.1;
  int64_t warmup = 0;
  std::vector<std::string> groups;
  std::vector<std::string> hp_schedules;
  std::string average;
  std::vector<std::string> avg_hp;
  int64_t avg_bn_batches = -1;
  std::string loss = "cross_entropy";
  std::string objective = "classify";
  std::string sde = "ve";
  double sigma_min = 0.01;
  double sigma_max = 0;  // 0: NCSNv2 Technique 1 on the training images
  double beta_min = 0.1, beta_max = 20;
  double sde_sigma = 25;
  double t_min = -1;      // -1: the process's default
  int64_t levels = 0;     // 0: continuous time
  std::string resume;
  bool no_progress = false;
  std::string device = "cpu";
  FidCurveOptions fid;  // --fid-every, --fid-n, --fid-steps, --fid-net (seed: --seed)
};

// The noise process of --objective dsm. For ve without --sigma-max, NCSNv2's Technique 1: the
// largest distance between two of (up to) 2000 training images.
models::ProcessSpec diffusion_process(const TrainArgs& a, const data::ImageDataset& train_set) {
  models::ProcessSpec p;
  p.sde = a.sde;
  if (a.sde == "ve") {
    p.a = a.sigma_min;
    p.b = a.sigma_max;
    if (p.b <= 0) {
      p.b = diffusion::max_pairwise_distance(models::images01(train_set, 2000));
      std::printf("sigma_max %.4g: the largest distance between two of the first %lld training images (NCSNv2 "
                  "Technique 1)\n", p.b, static_cast<long long>(std::min<int64_t>(2000, train_set.size())));
    }
  } else if (a.sde == "vp") {
    p.a = a.beta_min;
    p.b = a.beta_max;
  } else {
    p.a = a.sde_sigma;
    p.b = 0;
  }
  const auto proc = p.make();  // ValueError for bad parameters
  p.t_min = a.t_min >= 0 ? a.t_min : proc->default_t_min();
  p.levels = a.levels;
  check<ValueError>(p.levels != 1, "--levels: 1 is not a ladder of noise levels (0: continuous time, or 2 or more)");
  return p;
}

// curves.svg: the losses of every epoch in the run's metrics.jsonl (resumed runs included), so
// that a run can be looked at without a spreadsheet.
void write_loss_curves(const std::string& jsonl, const std::string& svg, const std::string& what) {
  auto cols = read_metrics_columns(jsonl, {"epoch", "train_loss", "test_loss", "avg_test_loss"}, svg);
  const std::vector<double>& epoch = cols[0];  // 1-based in the records, as fid.svg draws it
  if (epoch.empty()) return;
  std::vector<io::PlotSeries> series{{"train (epoch mean)", epoch, cols[1], true, true},
                                     {"test", epoch, cols[2], true, true}};
  if (std::any_of(cols[3].begin(), cols[3].end(), [](double v) { return std::isfinite(v); }))
    series.push_back({"test, averaged weights", epoch, cols[3], true, true});
  io::write_text_file(svg, io::render_line_plot({what + " loss over training", {"epoch"}, {"loss", true}, series}));
}

// A resumed run appends to metrics.csv under its existing header, which has a fid column exactly
// when the run was started with --fid-every; a resume that would change that is refused before
// any training (MetricsWriter would refuse it only at the first epoch's record).
void check_fid_columns(const std::string& csv, bool fid) {
  std::ifstream in(csv, std::ios::binary);
  std::string header;
  if (!in || !std::getline(in, header)) return;  // no metrics yet: nothing to continue
  const auto cols = io::split_csv_line(header);
  const bool had = std::find(cols.begin(), cols.end(), "fid") != cols.end();
  check<ValueError>(had == fid, "--fid-every: the run being resumed was started ", had ? "with" : "without",
                    " --fid-every (", csv, had ? " has" : " has no", " fid column); resume with ",
                    had ? "--fid-every 1 or more" : "--fid-every 0", ", as the metrics files cannot change columns");
}

// A FID curve compares like with like: OUT/fid_protocol.json keeps the sample count and sampler
// steps of the run's FIDs (written by write_fid_protocol once the FID is set up), and a resume
// that changes either is refused before any training (the seed is the run's --seed, which a
// resume cannot change). A run started before the file existed gets it at its first resume.
nlohmann::json fid_protocol(const FidCurveOptions& fid) { return {{"fid_n", fid.n}, {"fid_steps", fid.steps}}; }

void write_fid_protocol(const std::string& out, const FidCurveOptions& fid) {
  io::write_text_file(out + "/fid_protocol.json", fid_protocol(fid).dump() + "\n");
}

void check_fid_protocol(const std::string& out, const FidCurveOptions& fid) {
  const std::string path = out + "/fid_protocol.json";
  const nlohmann::json now = fid_protocol(fid);
  if (std::filesystem::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    const nlohmann::json was = nlohmann::json::parse(in, nullptr, false);
    check<FormatError>(was.is_object() && was.contains("fid_n") && was["fid_n"].is_number_integer() &&
                           was.contains("fid_steps") && was["fid_steps"].is_number_integer(),
                       "'", path, "': expected a JSON object with integer fields fid_n and fid_steps");
    for (const char* key : {"fid_n", "fid_steps"})
      check<ValueError>(was[key] == now[key], "--", key == std::string("fid_n") ? "fid-n" : "fid-steps",
                        ": the run being resumed measured its FID with ", was[key].get<int64_t>(), " (", path,
                        "), this resume asks for ", now[key].get<int64_t>(),
                        "; a curve mixing them would not compare like with like");
  }
}

void run_train(const TrainArgs& a) {
  check_dataset_name(a.data.name);
  const auto hp_given = [&] {
    auto m = parse_key_values("--hp", a.hp);
    m.try_emplace("lr", format_number(a.lr));  // exactly: 1e-7 must not become "0.000000"
    return m;
  }();
  // Everything that can be checked without data fails before any data is read.
  const optim::OptimizerInfo& oinfo = optim::optimizer_info(a.optim);
  const auto schedule_kind = optim::parse_schedule_kind(a.schedule);
  check<ValueError>(schedule_kind != optim::Schedule::Kind::kMultiStep || !a.milestones.empty(),
                    "--schedule multistep needs --milestones (epochs), e.g. --milestones 5,8");
  check<ValueError>(schedule_kind == optim::Schedule::Kind::kMultiStep || a.milestones.empty(),
                    "--milestones is only used with --schedule multistep");
  const auto group_rules = optim::parse_group_rules(a.groups);
  std::vector<optim::HpSchedule> hp_schedules;
  for (const auto& item : a.hp_schedules) {
    hp_schedules.push_back(optim::parse_hp_schedule(item));
    try {
      optim::validate_hp_schedule(oinfo, hp_schedules.back());  // the ranges of --hp hold for schedules too
    } catch (const ValueError& e) {
      throw ValueError(str_cat("--hp-schedule '", item, "': ", e.what()));
    }
  }
  const train::Loss loss = train::parse_loss(a.loss);
  const bool dsm = a.objective == "dsm";
  check<ValueError>(dsm == (a.spec.model == "unet"), dsm ? "--objective dsm trains a score network: add --model unet"
                                                         : "--model unet is a score network: add --objective dsm");
  check<ValueError>(a.fid.every == 0 || dsm,
                    "--fid-every measures samples of a score model: it needs --objective dsm and --model unet (or "
                    "--fid-every 0, the default, with --objective ", a.objective, ")");
  {
    const FidCurveOptions unset;
    check<ValueError>(a.fid.every > 0 || (a.fid.n == unset.n && a.fid.steps == unset.steps && a.fid.net_path.empty()),
                      "--fid-n, --fid-steps and --fid-net are only used with --fid-every (1 or more epochs)");
  }
  optim::HyperParams avg_hp;
  if (!a.average.empty()) {
    const auto given = parse_key_values("--avg-hp", a.avg_hp);
    avg_hp = optim::resolve_averager_hyperparams(optim::averager_info(a.average), given);
  } else {
    check<ValueError>(a.avg_hp.empty(), "--avg-hp given without --average");
  }
  check<ValueError>(a.avg_bn_batches >= -1, "--avg-bn-batches must be -1 (all batches), 0 (off) or a number of "
                    "batches, got ", a.avg_bn_batches);
  if (a.threads > 0) omp_set_num_threads(a.threads);
  const Device device = resolve_device(a.device);
  // NOTE [run directory] (train/run_dir.h): one run per directory, taken before any data is read;
  // then clear dead runs' temporaries.
  make_output_dir(a.out);
  const train::RunDirLock run_lock(a.out);
  for (const auto& f : train::remove_stale_temp_files(a.out))
    std::printf("removed %s, left by a killed save\n", f.c_str());
  if (!a.resume.empty()) check_fid_columns(a.out + "/metrics.csv", a.fid.every > 0);
  if (a.fid.every > 0 && !a.resume.empty()) check_fid_protocol(a.out, a.fid);
  const LoadedData loaded = load_data(a.data, true);
  std::printf("loaded %s from %s\n", a.data.name.c_str(), loaded.dir.c_str());
  const data::Normalization data_norm = loaded.train->normalization();  // the FID classifier's input scale
  if (dsm) {  // a score model learns the images on the [0, 1] scale it will sample on
    loaded.train->set_normalization({});
    loaded.test->set_normalization({});
  }
  const data::ImageDataset& train_set = *loaded.train;
  const data::ImageDataset& test_set = *loaded.test;
  const data::Augmentation augmentation = [&] {
    try {
      return data::parse_augmentation(a.augment, train_set.sample_shape());
    } catch (const Error& e) {
      throw ValueError(str_cat("--augment: ", e.what()));
    }
  }();
  check<ValueError>(data::augmented_shape(augmentation, train_set.sample_shape()) == train_set.sample_shape(),
                    "--augment '", a.augment, "' changes the sample shape ", fmt(train_set.sample_shape()), " to ",
                    fmt(data::augmented_shape(augmentation, train_set.sample_shape())),
                    "; the test set would not fit the model (crop to the image's own size)");

  manual_seed(a.seed);
  ModelSpec spec = a.spec;
  spec.in_features = train_set.sample_numel();
  spec.in_shape = train_set.sample_shape();
  spec.num_classes = train_set.num_classes();
  auto model = build_model(spec);
  model->finalize(kFloat32, device);
  auto opt = optim::make_optimizer(a.optim, model->arena(), hp_given);
  if (!group_rules.empty()) optim::apply_param_groups(*opt, optim::make_param_groups(model->arena(), group_rules));
  std::unique_ptr<optim::Averager> averager =
      a.average.empty() ? nullptr : optim::averager_info(a.average).make(model->arena(), avg_hp);
  std::printf("model %s, %lld parameters; optimizer %s (lr %s); %lld train / %lld test samples; %d threads\n",
              model->describe().c_str(), static_cast<long long>(model->num_parameters()), a.optim.c_str(),
              format_number(opt->lr()).c_str(),
              static_cast<long long>(train_set.size()), static_cast<long long>(test_set.size()), omp_get_max_threads());

  train::TrainerOptions to;
  to.epochs = a.epochs;
  to.batch_size = a.batch_size;
  to.seed = a.seed;
  to.progress = !a.no_progress;
  to.schedule.kind = schedule_kind;
  to.schedule.warmup_steps = a.warmup;
  to.schedule.gamma = a.gamma;
  {
    const int64_t batches = (train_set.size() + a.batch_size - 1) / a.batch_size;  // the loader keeps the last batch
    for (int64_t e : a.milestones) to.schedule.milestones.push_back(e * batches);  // e: in range (add_train_command)
  }
  to.hp_schedules = hp_schedules;
  to.averager = averager.get();
  to.avg_bn_batches = a.avg_bn_batches;
  std::optional<models::ProcessSpec> process;
  std::unique_ptr<TrainingFid> fid;
  train::Trainer* trainer_ptr = nullptr;  // for the FID hook, set once the Trainer exists
  if (dsm) {
    process = diffusion_process(a, train_set);
    const std::shared_ptr<const diffusion::NoiseProcess> noise(process->make());
    auto objective = std::make_shared<models::DsmObjective>(noise, process->dsm_options());
    std::printf("objective: denoising score matching, %s\n", objective->name().c_str());
    to.objective = objective;
    if (a.fid.every > 0) {
      FidCurveOptions fo = a.fid;
      fo.seed = a.seed;
      fo.progress = !a.no_progress;
      const double t_end = process->t_min > 0 ? process->t_min : noise->default_t_min();
      fid = std::make_unique<TrainingFid>(fo, a.data.name, train_set, test_set, data_norm, noise, t_end, device,
                                          averager.get());
      write_fid_protocol(a.out, a.fid);
      auto& net = dynamic_cast<models::UNet&>(*model);
      to.epoch_metrics = [&fid, &trainer_ptr, &net, &train_set, epochs = a.epochs](const train::EpochResult& r,
                                                                                   io::MetricsRecord& rec) {
        fid->measure(*trainer_ptr, net, train_set, r, epochs, rec);
      };
    }
  } else {
    to.objective = std::make_shared<train::ClassificationObjective>(loss);
  }
  to.augmentation = augmentation;
  to.metrics_jsonl = a.out + "/metrics.jsonl";
  to.metrics_csv = a.out + "/metrics.csv";
  to.checkpoint = a.out + "/checkpoint.safetensors";
  to.resume_from = a.resume;
  train::Trainer trainer(*model, *opt, to);
  trainer_ptr = &trainer;
  const auto results = trainer.fit(train_set, &test_set);
  double seconds = 0;
  for (const auto& r : results) seconds += r.seconds;

  auto meta = spec.to_metadata();
  meta["dataset"] = a.data.name;
  meta["labels"] = a.data.labels;
  meta["augment"] = a.augment;
  meta["optimizer"] = a.optim;
  meta["epochs"] = std::to_string(a.epochs);
  meta["seed"] = std::to_string(a.seed);
  meta["schedule"] = a.schedule;
  meta["loss"] = a.loss;
  meta["objective"] = a.objective;
  if (process)
    for (const auto& [k, v] : process->to_metadata()) meta[k] = v;
  const std::string path = a.out + "/model.safetensors";
  {
    // Save the weights to evaluate: the paper's iterate for look-ahead rules (optimizer.h
    // eval_weights), then the averager's weights beside them.
    NoGradGuard ng;
    const Tensor& params = model->arena().params();
    const Tensor eval_w = opt->eval_weights();
    if (eval_w.raw_data() != params.raw_data()) params.copy_(eval_w);
    io::save_safetensors(path, model->state_dict(), meta);
    if (averager && averager->averaged().defined()) {
      // With the batch-norm statistics the last epoch's evaluation used (same batches), so that
      // `momenta eval` on this file reproduces the reported accuracy of the average.
      meta["averager"] = a.average;
      const std::string avg_path = a.out + "/model_" + a.average + ".safetensors";
      trainer.with_averaged_weights([&] { io::save_safetensors(avg_path, model->state_dict(), meta); }, &train_set,
                                    std::max<int64_t>(a.epochs - 1, 0));
      std::printf("averaged weights (%s) saved to %s\n", a.average.c_str(), avg_path.c_str());
    }
  }
  write_loss_curves(to.metrics_jsonl, a.out + "/curves.svg", to.objective->name());
  if (fid) {
    fid->write_plot(to.metrics_jsonl, a.out + "/fid.svg");
    std::printf("FID curve (%s): %s/fid.svg\n", fid->weights().c_str(), a.out.c_str());
  }
  if (!results.empty() && results.back().test.has_accuracy) {
    std::printf("final test accuracy %.2f%% after %lld epochs (training time %.1f s); model saved to %s\n",
                100.0 * results.back().test.accuracy, static_cast<long long>(a.epochs), seconds, path.c_str());
  } else if (!results.empty()) {
    std::printf("final test loss %.4f after %lld epochs (training time %.1f s); model saved to %s\n",
                results.back().test.loss, static_cast<long long>(a.epochs), seconds, path.c_str());
  }
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app.add_subcommand("train", "Train a model and save it (model.safetensors, metrics.jsonl, metrics.csv)");
  cmd->add_option("--model", args->spec.model, "Model architecture: " + model_names())
      ->capture_default_str();
  cmd->add_option("--shortcut", args->spec.shortcut,
                  "ResNet shortcuts: paper (A for resnet20/32/56, B for resnet18), A (zero-padded identity) or B "
                  "(1x1 projection)")
      ->capture_default_str();
  cmd->add_option("--hidden", args->spec.hidden, "MLP hidden layer widths, comma-separated")->capture_default_str();
  cmd->add_option("--activation", args->spec.activation, "relu, sigmoid, tanh, silu or gelu")->capture_default_str();
  cmd->add_option("--data", args->data.name, "Dataset: fashion-mnist, mnist, cifar10, cifar100 or folder (see data/README.md)")
      ->capture_default_str();
  cmd->add_option("--data-dir", args->data.dir,
                  "Directory of the dataset (default: $MOMENTA_DATA/<data>, data/<data>, /usr/share/datasets/<data>); "
                  "for folder: ROOT with train/<class>/ and test/<class>/ image folders");
  cmd->add_option("--labels", args->data.labels, "cifar100 labels: fine (100 classes) or coarse (20)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fine", "coarse"}));
  add_number(cmd, "--image-size", args->data.image_size, "folder: resize images to this size (square)",
             {1, 1024, false, "a 1024x1024 RGB image is 12 MB as floats; larger ones exhaust memory"})
      ->capture_default_str();
  add_number(cmd, "--channels", args->data.channels, "folder: 1 (grey) or 3 (RGB)", {1, 3})->capture_default_str();
  cmd->add_option("--augment", args->augment,
                  "Training augmentation: none, or a comma list of crop (random crop after zero padding 4; crop:P "
                  "pads P) and flip (horizontal), e.g. --augment crop,flip")
      ->capture_default_str();
  add_number(cmd, "--epochs", args->epochs, "Training epochs", {0, 1e6})->capture_default_str();
  add_number(cmd, "--batch-size", args->batch_size, "Minibatch size",
             {1, 65536, false, "enough for full-batch runs on 60000-image sets"})
      ->capture_default_str();
  cmd->add_option("--optim", args->optim, "Optimizer name (see the registry; e.g. sgd, heavy_ball, adam)")->capture_default_str();
  add_number(cmd, "--lr", args->lr, "Learning rate (the optimizer's own range applies too)", {0})->capture_default_str();
  cmd->add_option("--hp", args->hp, "Optimizer hyperparameter key=value (repeatable), e.g. --hp momentum=0.9");
  cmd->add_option("--schedule", args->schedule,
                  "Learning-rate schedule over the whole run: constant, cosine (to 0 at the last step) or multistep "
                  "(x --gamma after each of --milestones)")
      ->capture_default_str()
      ->check(CLI::IsMember({"constant", "cosine", "multistep"}));
  add_number(cmd, "--milestones", args->milestones,
             "Epochs after which multistep multiplies the learning rate by --gamma, e.g. --milestones 5,8",
             {1, 1e6, false, "whole epochs"})
      ->delimiter(',');
  add_number(cmd, "--gamma", args->gamma, "Multistep factor",
             {0, 1, true, "a decay: above 1 the rate would grow at each milestone, 0 or below would stop or reverse "
                          "the descent"})
      ->capture_default_str();
  add_number(cmd, "--warmup", args->warmup, "Linear learning-rate warmup steps", {0, 1e9})->capture_default_str();
  cmd->add_option("--group", args->groups,
                  "Parameter group PATTERN:key=value (repeatable): PATTERN is a glob over parameter names "
                  "(e.g. '*.bias', 'layers.0.*') or @1d (biases and norm parameters) or @nd; e.g. "
                  "--group '@1d:weight_decay=0'");
  cmd->add_option("--hp-schedule", args->hp_schedules,
                  "Move a hyperparameter over the run: key=start:end[:linear|cosine] (repeatable), e.g. "
                  "--hp-schedule sigma=5:2 for super_accel");
  cmd->add_option("--average", args->average,
                  "Weight averager stepped after the optimizer: ema, swa or belay; test accuracy is reported for "
                  "the model and the average");
  cmd->add_option("--avg-hp", args->avg_hp, "Averager hyperparameter key=value (repeatable), e.g. --avg-hp k=1");
  add_number(cmd, "--avg-bn-batches", args->avg_bn_batches,
             "Models with batch norm: re-estimate the running statistics at the averaged weights over this many "
             "training batches before evaluating or saving the average (-1: all, 0: keep the model's own)",
             {-1, 1e9, false, "-1: all batches, 0: off"})
      ->capture_default_str();
  cmd->add_option("--loss", args->loss, "cross_entropy or quadratic (0.5*|output - onehot|^2)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cross_entropy", "quadratic"}));
  cmd->add_option("--objective", args->objective,
                  "classify (the --loss of the output against the label) or dsm (denoising score matching of a "
                  "--model unet on the images scaled to [0, 1]; sample with momenta sample)")
      ->capture_default_str()
      ->check(CLI::IsMember({"classify", "dsm"}));
  cmd->add_option("--unet", args->spec.unet, "U-Net configuration: cpu (widths 16-32-64) or twin (32-64-128, the "
                  "PyTorch benchmark's)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cpu", "twin"}));
  cmd->add_option("--sde", args->sde,
                  "dsm noise process: ve (sigma_min (sigma_max/sigma_min)^t, NCSN), vp (DDPM's linear beta) or "
                  "ve-power (dx = sigma^t dw, the PyTorch benchmark's)")
      ->capture_default_str()
      ->check(CLI::IsMember({"ve", "vp", "ve-power"}));
  add_number(cmd, "--sigma-min", args->sigma_min, "ve: the smallest noise level", {0, 1e6, true})->capture_default_str();
  add_number(cmd, "--sigma-max", args->sigma_max,
             "ve: the largest noise level (0: the largest distance between training images, NCSNv2 Technique 1)",
             {0, 1e6})
      ->capture_default_str();
  add_number(cmd, "--beta-min", args->beta_min, "vp: beta(0)", {0, 1e3, true})->capture_default_str();
  add_number(cmd, "--beta-max", args->beta_max, "vp: beta(1)", {0, 1e3, true})->capture_default_str();
  add_number(cmd, "--sde-sigma", args->sde_sigma, "ve-power: sigma", {1, 1e6, true})->capture_default_str();
  add_number(cmd, "--t-min", args->t_min, "dsm: the smallest time trained on (-1: the process's default)", {-1, 1})
      ->capture_default_str();
  add_number(cmd, "--levels", args->levels,
             "dsm: train on this many discrete noise levels (NCSN; 0: continuous time)", {0, 1e6})
      ->capture_default_str();
  add_number(cmd, "--seed", args->seed, "Seed for initialisation and data order", seed_range())->capture_default_str();
  add_number(cmd, "--threads", args->threads, "OpenMP threads (0: all cores)", threads_range())->capture_default_str();
  add_device_option(cmd, args->device);
  cmd->add_option("--out", args->out, "Output directory")->capture_default_str();
  cmd->add_option("--resume", args->resume,
                  "Continue from a checkpoint (OUT/checkpoint.safetensors is written after every epoch); pass the "
                  "same flags as the original run");
  cmd->add_flag("--no-progress", args->no_progress, "Do not draw the progress bar");
  add_number(cmd, "--fid-every", args->fid.every,
             "dsm: measure the FID (momenta classifier features: ResNet-20 features of a classifier momenta trains "
             "once on the dataset, not Inception FID) every this many epochs and at the last, of --fid-n samples of "
             "the averaged weights with --average, else of the model's; written as \"fid\" in each epoch's metrics "
             "record (null when not measured) and drawn in OUT/fid.svg beside the floor and pure noise (0: off)",
             {0, 1e6, false, "epochs"})
      ->capture_default_str();
  add_number(cmd, "--fid-n", args->fid.n,
             "--fid-every: samples per FID, drawn with the same seed (--seed) at every epoch; also the training images "
             "of the floor; at most the training set's size",
             {2, 100000})
      ->capture_default_str();
  add_number(cmd, "--fid-steps", args->fid.steps,
             "--fid-every: reverse-SDE Euler-Maruyama steps per sample (momenta sample --sampler em uses 500)",
             {1, 1e6})
      ->capture_default_str();
  cmd->add_option("--fid-net", args->fid.net_path,
                  "--fid-every: the FID classifier file, trained and saved there when missing (default: "
                  "$XDG_CACHE_HOME/momenta or ~/.cache/momenta/fid-classifier-DATASET-FP.safetensors, FP "
                  "a fingerprint of the images; shared with momenta sample --fid)");
  cmd->callback([args] { run_train(*args); });
}

}  // namespace momenta::cli
