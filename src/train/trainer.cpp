#include "momenta/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "momenta/autograd.h"
#include "momenta/data/loader.h"
#include "momenta/ops.h"
#include "momenta/train/batch_norm_stats.h"
#include "momenta/train/progress.h"

namespace momenta::train {

Loss parse_loss(const std::string& name) {
  if (name == "cross_entropy") return Loss::kCrossEntropy;
  if (name == "quadratic") return Loss::kQuadratic;
  throw ValueError(str_cat("unknown loss '", name, "' (known: cross_entropy, quadratic)"));
}

Tensor compute_loss(Loss loss, const Tensor& output, const Tensor& labels) {
  if (loss == Loss::kCrossEntropy) return cross_entropy(output, labels);
  check<ShapeError>(output.dim() == 2 && labels.dim() == 1 && labels.size(0) == output.size(0),
                    "quadratic loss: expected output [B, C] and labels [B], got ", fmt(output.shape()), " and ",
                    fmt(labels.shape()));
  const int64_t b = output.size(0), c = output.size(1);
  Tensor onehot = Tensor::zeros({b, c}, output.dtype(), kCPU);
  const int64_t* y = labels.data<int64_t>();
  dispatch_floating(output.dtype(), "quadratic loss", [&](auto tag) {
    using T = decltype(tag);
    T* o = onehot.data<T>();
    for (int64_t i = 0; i < b; ++i) {
      check<ValueError>(y[i] >= 0 && y[i] < c, "quadratic loss: label ", y[i], " outside [0, ", c, ")");
      o[i * c + y[i]] = T(1);
    }
  });
  // mse_loss averages over B*C elements; the quadratic cost is 0.5*sum_c, averaged over B.
  return mse_loss(output, onehot.to(output.device())) * (0.5 * static_cast<double>(c));
}

Trainer::Trainer(nn::Module& model, optim::Optimizer& optimizer, TrainerOptions options)
    : model_(model), opt_(optimizer), opts_(std::move(options)) {
  check<ValueError>(opts_.epochs >= 0, "epochs must be >= 0, got ", opts_.epochs);
  check<ValueError>(opts_.batch_size > 0, "batch size must be positive, got ", opts_.batch_size);
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
  data::DataLoader loader(ds, {opts_.eval_batch_size, false, false, 0, true});
  loader.start_epoch(0);
  data::Batch batch;
  double loss_sum = 0.0;
  int64_t correct = 0, n = 0;
  while (loader.next(batch)) {
    const int64_t b = batch.labels.numel();
    Tensor out = model_(batch.images);
    loss_sum += compute_loss(opts_.loss, out, batch.labels).item() * static_cast<double>(b);
    const auto pred = argmax(out, 1).to_vector<int64_t>();
    const int64_t* y = batch.labels.data<int64_t>();
    for (int64_t i = 0; i < b; ++i) correct += pred[i] == y[i];
    n += b;
  }
  model_.train(was_training);
  EvalResult r;
  r.samples = n;
  if (n > 0) {
    r.loss = loss_sum / static_cast<double>(n);
    r.accuracy = static_cast<double>(correct) / static_cast<double>(n);
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

data::LoaderOptions Trainer::train_loader_options() const {
  return {opts_.batch_size, true, false, opts_.seed, true};
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

std::vector<EpochResult> Trainer::fit(const data::Dataset& train_set, const data::Dataset* test_set) {
  data::DataLoader loader(train_set, train_loader_options(), opts_.augmentation);
  std::vector<EpochResult> results;
  base_lrs_.clear();
  for (const auto& g : opt_.groups()) base_lrs_.push_back(opt_.hp(g, "lr"));
  int64_t first_epoch = 0;
  if (!opts_.resume_from.empty()) {
    const TrainingPosition pos = load_checkpoint(opts_.resume_from, model_, opt_, opts_.averager);
    first_epoch = pos.next_epoch;
    step_ = pos.global_step;
    check<FormatError>(pos.base_lrs.size() == base_lrs_.size(), "checkpoint '", opts_.resume_from, "' has ",
                       pos.base_lrs.size(), " learning rates, the optimizer has ", base_lrs_.size(), " groups");
    base_lrs_ = pos.base_lrs;
  }
  const int64_t total_steps = opts_.epochs * loader.num_batches();
  optim::Averager* avg = opts_.averager;
  for (int64_t epoch = first_epoch; epoch < opts_.epochs; ++epoch) {
    if (opts_.on_epoch_start) opts_.on_epoch_start(epoch, opt_);
    model_.train();
    loader.start_epoch(epoch);
    ProgressBar bar(str_cat("epoch ", epoch + 1, "/", opts_.epochs), loader.num_batches(), opts_.progress);
    const auto t0 = std::chrono::steady_clock::now();
    data::Batch batch;
    double loss_sum = 0.0;
    int64_t samples = 0, batches = 0;
    while (loader.next(batch)) {
      apply_schedules(total_steps);
      opt_.zero_grad();
      Tensor loss = compute_loss(opts_.loss, model_(batch.images), batch.labels);
      const double lv = loss.item();
      check<Error>(std::isfinite(lv), "training diverged: the loss is ", lv, " at epoch ", epoch + 1, ", step ", step_,
                   " (try a smaller learning rate)");
      loss.backward();
      if (avg != nullptr) avg->before_step();
      opt_.step(optim::StepInfo{lv, step_});
      if (avg != nullptr) avg->step(optim::StepInfo{lv, step_});
      if (opts_.on_step) opts_.on_step(StepEvent{epoch, step_, lv});
      ++step_;
      ++batches;
      const int64_t b = batch.labels.numel();
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
      r.test = evaluate(*test_set);
      if (have_avg) r.avg_test = evaluate_averaged(*test_set, &train_set, epoch);
    }
    if (opts_.print_epochs) {
      std::printf("epoch %lld/%lld  train loss %.4f", static_cast<long long>(r.epoch),
                  static_cast<long long>(opts_.epochs), r.train_loss);
      if (test_set != nullptr) std::printf("  test loss %.4f  test accuracy %.2f%%", r.test.loss, 100.0 * r.test.accuracy);
      if (r.avg_test.samples > 0) std::printf("  (%s: %.2f%%)", avg->name(), 100.0 * r.avg_test.accuracy);
      std::printf("  (%.2f s)\n", r.seconds);
      std::fflush(stdout);
    }
    if (!opts_.metrics_jsonl.empty() || !opts_.metrics_csv.empty()) {
      io::MetricsRecord rec{{"epoch", r.epoch}, {"step", step_}, {"train_loss", r.train_loss}};
      if (test_set != nullptr) {
        rec.emplace_back("test_loss", r.test.loss);
        rec.emplace_back("test_accuracy", r.test.accuracy);
      }
      if (avg != nullptr && test_set != nullptr) {
        rec.emplace_back("avg_test_loss", have_avg ? r.avg_test.loss : std::nan(""));
        rec.emplace_back("avg_test_accuracy", have_avg ? r.avg_test.accuracy : std::nan(""));
      }
      rec.emplace_back("epoch_seconds", r.seconds);
      rec.emplace_back("lr", opt_.lr());
      for (const auto& s : opts_.hp_schedules) rec.emplace_back(s.key, opt_.hp(opt_.groups().front(), s.key));
      const auto add = [&rec](const std::map<std::string, double>& diag) {
        for (const auto& [k, v] : diag)  // a scheduled hyperparameter may also be a diagnostic
          if (std::none_of(rec.begin(), rec.end(), [&k](const auto& kv) { return kv.first == k; })) rec.emplace_back(k, v);
      };
      add(opt_.diagnostics());
      if (avg != nullptr) add(avg->diagnostics());
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
    if (!opts_.checkpoint.empty())
      save_checkpoint(opts_.checkpoint, model_, opt_, {epoch + 1, step_, base_lrs_}, avg);
  }
  return results;
}

}  // namespace momenta::train
