#include "momenta/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "momenta/autograd.h"
#include "momenta/data/loader.h"
#include "momenta/ops.h"
#include "momenta/optim/finite_check.h"
#include "momenta/train/batch_norm_stats.h"
#include "momenta/train/progress.h"
#include "momenta/train/run_dir.h"

namespace momenta::train {

namespace {

// NOTE [objectives]: training draws from one generator per global step, evaluation from one with
// a fixed key; both keys come from the run's seed.
constexpr uint64_t kStepKey = 0x0b1ec7157e95ULL, kEvalKey = 0x0b1ec7e7a1ULL;

Generator step_generator(uint64_t seed, int64_t step) {
  Generator g(seed ^ kStepKey);
  g.set_state(g.seed(), static_cast<uint64_t>(step) << 32);  // 2^32 counter blocks per step
  return g;
}

}  // namespace

Trainer::Trainer(nn::Module& model, optim::Optimizer& optimizer, TrainerOptions options)
    : model_(model), opt_(optimizer), opts_(std::move(options)) {
  if (!opts_.objective) opts_.objective = std::make_shared<ClassificationObjective>(Loss::kCrossEntropy);
  check<ValueError>(opts_.epochs >= 0, "epochs must be >= 0, got ", opts_.epochs);
  check<ValueError>(opts_.batch_size > 0, "batch size must be positive, got ", opts_.batch_size);
  check<ValueError>(opts_.eval_every_steps >= 0, "eval_every_steps must be >= 0 (0: per epoch only), got ",
                    opts_.eval_every_steps);
  check<ValueError>(opts_.avg_bn_batches >= -1, "avg_bn_batches must be -1 (all), 0 (off) or a number of batches, got ",
                    opts_.avg_bn_batches);
  check<ValueError>(opts_.averager == nullptr || &opts_.averager->arena() == &opt_.arena(),
                    "trainer: the averager and the optimizer must work on the same parameter arena");
  for (const auto& s : opts_.hp_schedules)
    for (const auto& g : opt_.groups())
      check<ValueError>(g.hp.count(s.key) != 0, "hyperparameter schedule: '", s.key, "' is not a hyperparameter of ",
                        opt_.name());
}

Trainer::~Trainer() = default;

EvalResult Trainer::evaluate_current(const data::Dataset& ds) {
  NoGradGuard ng;
  const bool was_training = model_.is_training();
  model_.eval();
  data::DataLoader loader(ds, {opts_.eval_batch_size, false, false, 0, true, opt_.arena().device()});
  loader.start_epoch(0);
  data::Batch batch;
  Generator gen(opts_.seed ^ kEvalKey);
  EvalSums sum;
  while (loader.next(batch)) {
    const EvalSums s = objective().evaluate(model_, batch, gen);
    sum.loss_sum += s.loss_sum;
    sum.correct += s.correct;
    sum.samples += s.samples;
  }
  model_.train(was_training);
  EvalResult r;
  r.samples = sum.samples;
  r.has_accuracy = objective().has_accuracy();
  if (sum.samples > 0) {
    r.loss = sum.loss_sum / static_cast<double>(sum.samples);
    if (r.has_accuracy) r.accuracy = static_cast<double>(sum.correct) / static_cast<double>(sum.samples);
  }
  return r;
}

void Trainer::with_weights(const Tensor& weights, bool keep_buffers, const std::function<void()>& fn) {
  const Tensor& params = opt_.arena().params();
  const bool swap = weights.raw_data() != params.raw_data();
  const Tensor saved = swap ? params.clone() : Tensor();
  std::vector<std::pair<Tensor, Tensor>> buffers;  // (live buffer, its saved copy)
  if (keep_buffers)
    for (const auto& [name, b] : model_.named_buffers()) buffers.emplace_back(b, b.clone());
  const auto restore = [&] {
    if (swap) params.copy_(saved);
    for (const auto& [b, copy] : buffers) b.copy_(copy);
  };
  if (swap) params.copy_(weights);
  try {
    fn();
  } catch (...) {
    restore();
    throw;
  }
  restore();
}

EvalResult Trainer::evaluate_at(const Tensor& weights, const data::Dataset& ds) {
  EvalResult r;
  with_weights(weights, false, [&] { r = evaluate_current(ds); });
  return r;
}

EvalResult Trainer::evaluate(const data::Dataset& ds) { return evaluate_at(opt_.eval_weights(), ds); }

EvalResult Trainer::evaluate_averaged(const data::Dataset& ds, const data::Dataset* bn_data, int64_t bn_epoch) {
  EvalResult r;
  with_averaged_weights([&] { r = evaluate_current(ds); }, bn_data, bn_epoch);
  return r;
}

void Trainer::with_averaged_weights(const std::function<void()>& fn, const data::Dataset* bn_data, int64_t bn_epoch) {
  check<ValueError>(opts_.averager != nullptr, "averaged weights: the trainer has no averager");
  const Tensor avg = opts_.averager->averaged();
  check<ValueError>(avg.defined(), "averaged weights: ", opts_.averager->name(), " has no average yet");
  with_weights(avg, true, [&] {
    if (bn_data != nullptr && opts_.avg_bn_batches != 0 && has_batch_norm(model_)) {
      data::DataLoader loader(*bn_data, train_loader_options(), opts_.augmentation);
      recompute_batch_norm_stats(model_, loader, bn_epoch, opts_.avg_bn_batches);
    }
    fn();
  });
}

void Trainer::with_eval_weights(const std::function<void()>& fn) { with_weights(opt_.eval_weights(), false, fn); }

data::LoaderOptions Trainer::train_loader_options() const {
  return {opts_.batch_size, true, false, opts_.seed, true, opt_.arena().device()};
}

void Trainer::apply_schedules(int64_t total_steps) {
  auto& groups = opt_.groups();
  if (opts_.schedule.kind != optim::Schedule::Kind::kConstant || opts_.schedule.warmup_steps > 0) {
    const double f = opts_.schedule.factor(step_, total_steps);
    for (size_t i = 0; i < groups.size(); ++i) groups[i].hp["lr"] = {base_lrs_[i] * f};
  }
  for (const auto& s : opts_.hp_schedules) {
    const double v = s.value(step_, total_steps);
    for (auto& g : groups) g.hp[s.key] = {v};
  }
}

namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string hp_text(const optim::HyperParams& hp, const std::vector<optim::HpSchedule>& scheduled, bool skip_lr) {
  std::vector<std::string> items;
  for (const auto& kv : hp) {
    const std::string& k = kv.first;  // a plain name: clang < 16 cannot capture a structured binding
    const auto& v = kv.second;
    if ((skip_lr && k == "lr") ||
        std::any_of(scheduled.begin(), scheduled.end(), [&k](const optim::HpSchedule& s) { return s.key == k; }))
      continue;
    std::string item = k + "=";
    for (size_t i = 0; i < v.size(); ++i) item += (i ? ":" : "") + num(v[i]);
    items.push_back(item);
  }
  return join(items);
}

const char* schedule_name(optim::Schedule::Kind k) {
  switch (k) {
    case optim::Schedule::Kind::kConstant: return "constant";
    case optim::Schedule::Kind::kCosine: return "cosine";
    case optim::Schedule::Kind::kMultiStep: return "multistep";
  }
  return "?";
}

std::string cut(const std::string& text) { return text.size() > 80 ? text.substr(0, 80) + "..." : text; }

}  // namespace

std::map<std::string, std::string> Trainer::run_settings(int64_t dataset_size) const {
  std::map<std::string, std::string> r;
  r["epochs"] = std::to_string(opts_.epochs);
  r["batch_size"] = std::to_string(opts_.batch_size);
  r["dataset_size"] = std::to_string(dataset_size);
  r["seed"] = std::to_string(opts_.seed);
  r["loss"] = objective().name();
  const optim::Schedule& s = opts_.schedule;
  r["schedule"] = schedule_name(s.kind);
  r["warmup_steps"] = std::to_string(s.warmup_steps);
  if (s.kind == optim::Schedule::Kind::kMultiStep) {
    std::vector<std::string> m;
    for (int64_t x : s.milestones) m.push_back(std::to_string(x));
    r["milestones"] = join(m);
    r["gamma"] = num(s.gamma);
  }
  if (s.kind == optim::Schedule::Kind::kCosine) r["final_factor"] = num(s.final_factor);
  std::vector<std::string> hs;
  for (const auto& h : opts_.hp_schedules)
    hs.push_back(str_cat(h.key, "=", num(h.start), ":", num(h.end), h.cosine ? ":cosine" : ":linear"));
  r["hp_schedules"] = join(hs);
  r["optimizer_hp"] = hp_text(opt_.defaults(), opts_.hp_schedules, false);
  std::vector<std::string> groups;
  for (const auto& g : opt_.groups())
    groups.push_back(str_cat("[", g.begin, ",", g.end, ")", g.name.empty() ? "" : " " + g.name, " {",
                             hp_text(g.hp, opts_.hp_schedules, true), "}"));
  r["param_groups"] = join(groups);
  return r;
}

int64_t Trainer::resume(int64_t batches_per_epoch) {
  const std::string& path = opts_.resume_from;
  const TrainingPosition pos = load_checkpoint(path, model_, opt_, opts_.averager);
  // The run's length matters only to what is scaled over the whole run.
  const bool length_matters = opts_.schedule.kind == optim::Schedule::Kind::kCosine || !opts_.hp_schedules.empty();
  std::vector<std::string> differ;
  for (const auto& [key, now] : run_) {
    auto it = pos.run.find(key);
    check<FormatError>(it != pos.run.end(), "checkpoint '", path, "': metadata has no 'run.", key,
                       "' field (written by an older momenta, which did not record its run settings)");
    if (it->second == now || (key == "epochs" && !length_matters)) continue;
    differ.push_back(str_cat(key, " ", cut(it->second.empty() ? "(none)" : it->second), " in the checkpoint, ",
                             now.empty() ? "(none)" : now, " now",
                             key == "epochs" ? " (the schedule spans the whole run)" : ""));
  }
  check<ValueError>(differ.empty(), "checkpoint '", path, "' does not fit this run: ", join(differ),
                    "; resume with the settings of the original run");
  check<ValueError>(pos.next_epoch <= opts_.epochs, "checkpoint '", path, "': metadata field 'next_epoch' is ",
                    pos.next_epoch, ", beyond this run's ", opts_.epochs, " epochs");
  // Checkpoints are taken at epoch ends, and the loader's batch count is fixed by the settings
  // checked above, so the step count follows from the epoch.
  check<FormatError>(pos.global_step == pos.next_epoch * batches_per_epoch, "checkpoint '", path,
                     "': metadata field 'global_step' is ", pos.global_step, ", expected ", pos.next_epoch, " epochs x ",
                     batches_per_epoch, " batches = ", pos.next_epoch * batches_per_epoch);
  check<FormatError>(pos.base_lrs.size() == base_lrs_.size(), "checkpoint '", path, "' has ", pos.base_lrs.size(),
                     " learning rates, the optimizer has ", base_lrs_.size(), " groups");
  step_ = pos.global_step;
  base_lrs_ = pos.base_lrs;
  // Metrics of epochs after the checkpoint come from a run killed before its checkpoint: the
  // epochs are trained again, so their lines go (NOTE [run directory]).
  for (const std::string& m : {opts_.metrics_jsonl, opts_.metrics_csv}) {
    if (m.empty()) continue;
    const int64_t removed = truncate_metrics(m, pos.next_epoch);
    if (removed > 0 && opts_.print_epochs)
      std::printf("resume: removed %lld line(s) after epoch %lld from %s (written after the checkpoint)\n",
                  static_cast<long long>(removed), static_cast<long long>(pos.next_epoch), m.c_str());
  }
  if (pos.next_epoch == opts_.epochs) {
    std::printf("checkpoint '%s' is already at epoch %lld of %lld: nothing to train\n", path.c_str(),
                static_cast<long long>(pos.next_epoch), static_cast<long long>(opts_.epochs));
    std::fflush(stdout);
  }
  return pos.next_epoch;
}

std::vector<EpochResult> Trainer::fit(const data::Dataset& train_set, const data::Dataset* test_set) {
  data::DataLoader loader(train_set, train_loader_options(), opts_.augmentation);
  std::vector<EpochResult> results;
  base_lrs_.clear();
  for (const auto& g : opt_.groups()) base_lrs_.push_back(opt_.hp(g, "lr"));
  run_ = run_settings(train_set.size());
  const int64_t first_epoch = opts_.resume_from.empty() ? 0 : resume(loader.num_batches());
  const int64_t total_steps = opts_.epochs * loader.num_batches();
  optim::Averager* avg = opts_.averager;
  // The test set at the eval weights, measured once per step count (TrainerOptions::on_eval).
  int64_t measured_at = -1;
  EvalResult measured;
  const auto measure_test = [&]() -> const EvalResult& {
    if (measured_at != step_) {
      measured = evaluate(*test_set);
      measured_at = step_;
      if (opts_.on_eval) opts_.on_eval(step_, measured);
    }
    return measured;
  };
  const bool step_evals = test_set != nullptr && opts_.eval_every_steps > 0;
  if (step_evals && first_epoch == 0) measure_test();
  for (int64_t epoch = first_epoch; epoch < opts_.epochs; ++epoch) {
    if (opts_.on_epoch_start) opts_.on_epoch_start(epoch, opt_);
    model_.train();
    loader.start_epoch(epoch);
    ProgressBar bar(str_cat("epoch ", epoch + 1, "/", opts_.epochs), loader.num_batches(), opts_.progress);
    const auto t0 = std::chrono::steady_clock::now();
    data::Batch batch;
    double loss_sum = 0.0;
    int64_t samples = 0, batches = 0;
    // What a divergence leaves behind: the last good epoch's checkpoint, untouched.
    const auto kept_checkpoint = [&](int64_t e) {
      return e > 0 && !opts_.checkpoint.empty() ? str_cat("; the checkpoint of epoch ", e, " is kept") : std::string();
    };
    while (loader.next(batch)) {
      apply_schedules(total_steps);
      opt_.zero_grad();
      Generator gen = step_generator(opts_.seed, step_);
      Tensor loss = objective().loss(model_, batch, gen);
      const double lv = loss.item();
      if (!std::isfinite(lv)) {  // a non-finite weight (e.g. loaded or written by hand) is named
        const std::string where = optim::describe_non_finite(opt_.arena());
        throw Error(str_cat("training diverged: the loss is ", lv, " at epoch ", epoch + 1, ", step ", step_,
                            where.empty() ? std::string(" (try a smaller learning rate)") : "; " + where,
                            kept_checkpoint(epoch)));
      }
      loss.backward();
      if (avg != nullptr) avg->before_step();
      bool finite = true;
      {
        // NOTE [non-finite numbers]: checked inside the update passes, after everything that
        // writes the weights; the checkpoint of the last good epoch stays as it was.
        const optim::FiniteWatch watch(opt_.arena());
        opt_.step(optim::StepInfo{lv, step_});
        if (avg != nullptr) avg->step(optim::StepInfo{lv, step_});
        finite = watch.finite();
      }
      if (!finite)
        throw Error(str_cat("training diverged at epoch ", epoch + 1, ", step ", step_, ": ",
                            optim::describe_non_finite(opt_.arena()), kept_checkpoint(epoch)));
      if (opts_.on_step) opts_.on_step(StepEvent{epoch, step_, lv});
      ++step_;
      if (step_evals && step_ % opts_.eval_every_steps == 0) measure_test();
      ++batches;
      const int64_t b = batch.images.size(0);
      loss_sum += lv * static_cast<double>(b);
      samples += b;
      char status[48];
      std::snprintf(status, sizeof status, "loss %.4f", loss_sum / static_cast<double>(samples));
      bar.update(batches, status, samples);
    }
    EpochResult r;
    r.epoch = epoch + 1;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.train_loss = samples > 0 ? loss_sum / static_cast<double>(samples) : 0.0;
    char status[64];
    std::snprintf(status, sizeof status, "train loss %.4f", r.train_loss);
    bar.finish(status);
    const bool have_avg = avg != nullptr && avg->averaged().defined();
    if (test_set != nullptr) {
      r.test = measure_test();
      if (have_avg) r.avg_test = evaluate_averaged(*test_set, &train_set, epoch);
    }
    if (opts_.print_epochs) {
      std::printf("epoch %lld/%lld  train loss %.4f", static_cast<long long>(r.epoch),
                  static_cast<long long>(opts_.epochs), r.train_loss);
      if (test_set != nullptr) std::printf("  test loss %.4f", r.test.loss);
      if (test_set != nullptr && r.test.has_accuracy) std::printf("  test accuracy %.2f%%", 100.0 * r.test.accuracy);
      if (r.avg_test.samples > 0) {
        if (r.avg_test.has_accuracy)
          std::printf("  (%s: %.2f%%)", avg->name(), 100.0 * r.avg_test.accuracy);
        else
          std::printf("  (%s: test loss %.4f)", avg->name(), r.avg_test.loss);
      }
      std::printf("  (%.2f s)\n", r.seconds);
      std::fflush(stdout);
    }
    io::MetricsRecord extra;
    if (opts_.epoch_metrics) opts_.epoch_metrics(r, extra);
    if (!opts_.metrics_jsonl.empty() || !opts_.metrics_csv.empty()) {
      io::MetricsRecord rec{{"epoch", r.epoch}, {"step", step_}, {"train_loss", r.train_loss}};
      if (test_set != nullptr) {
        rec.emplace_back("test_loss", r.test.loss);
        if (objective().has_accuracy()) rec.emplace_back("test_accuracy", r.test.accuracy);
      }
      if (avg != nullptr && test_set != nullptr) {
        rec.emplace_back("avg_test_loss", have_avg ? r.avg_test.loss : std::nan(""));
        if (objective().has_accuracy())
          rec.emplace_back("avg_test_accuracy", have_avg ? r.avg_test.accuracy : std::nan(""));
      }
      rec.emplace_back("epoch_seconds", r.seconds);
      rec.emplace_back("lr", opt_.lr());
      // A key goes in once: lr may be scheduled (--hp-schedule lr=...), and a scheduled
      // hyperparameter may also be a diagnostic.
      const auto add = [&rec](const std::string& k, double v) {
        if (std::none_of(rec.begin(), rec.end(), [&k](const auto& kv) { return kv.first == k; })) rec.emplace_back(k, v);
      };
      for (const auto& s : opts_.hp_schedules) add(s.key, opt_.hp(opt_.groups().front(), s.key));
      for (const auto& d : opt_.diagnostics()) add(d.first, d.second);
      if (avg != nullptr)
        for (const auto& d : avg->diagnostics()) add(d.first, d.second);
      for (auto& kv : extra) rec.push_back(std::move(kv));  // a key already there is refused by write()
      if (!metrics_) {
        // The CSV columns are those of the first record (NOTE [metrics columns]); a resumed run
        // appends to the same header because it produces the same keys.
        io::MetricsOptions mo;
        mo.append = !opts_.resume_from.empty();
        for (const auto& [k, v] : rec) mo.columns.push_back(k);
        metrics_ = std::make_unique<io::MetricsWriter>(opts_.metrics_jsonl, opts_.metrics_csv, mo);
      }
      metrics_->write(rec);
    }
    results.push_back(r);
    if (opts_.on_epoch_end) opts_.on_epoch_end(r);
    if (!opts_.checkpoint.empty())
      save_checkpoint(opts_.checkpoint, model_, opt_, {epoch + 1, step_, base_lrs_, run_}, avg);
  }
  return results;
}

}  // namespace momenta::train
