#include "momenta/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "momenta/autograd.h"
#include "momenta/data/loader.h"
#include "momenta/ops.h"
#include "momenta/train/progress.h"

namespace momenta::train {

Trainer::Trainer(nn::Module& model, optim::Optimizer& optimizer, TrainerOptions options)
    : model_(model), opt_(optimizer), opts_(std::move(options)) {
  check<ValueError>(opts_.epochs >= 0, "epochs must be >= 0, got ", opts_.epochs);
  check<ValueError>(opts_.batch_size > 0, "batch size must be positive, got ", opts_.batch_size);
  if (!opts_.metrics_jsonl.empty() || !opts_.metrics_csv.empty()) {
    io::MetricsOptions mo;
    mo.append = !opts_.resume_from.empty();
    mo.columns = {"epoch", "step", "train_loss", "test_loss", "test_accuracy", "epoch_seconds", "lr"};
    metrics_ = std::make_unique<io::MetricsWriter>(opts_.metrics_jsonl, opts_.metrics_csv, mo);
  }
}

Trainer::~Trainer() = default;

EvalResult Trainer::evaluate(const data::Dataset& ds) {
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
    Tensor logits = model_(batch.images);
    loss_sum += cross_entropy(logits, batch.labels).item() * static_cast<double>(b);
    const auto pred = argmax(logits, 1).to_vector<int64_t>();
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

std::vector<EpochResult> Trainer::fit(const data::Dataset& train_set, const data::Dataset* test_set) {
  data::DataLoader loader(train_set, {opts_.batch_size, true, false, opts_.seed, true});
  std::vector<EpochResult> results;
  base_lr_ = opt_.lr();
  int64_t first_epoch = 0;
  if (!opts_.resume_from.empty()) {
    const TrainingPosition pos = load_checkpoint(opts_.resume_from, model_, opt_);
    first_epoch = pos.next_epoch;
    step_ = pos.global_step;
    base_lr_ = pos.base_lr;
  }
  const int64_t total_steps = opts_.epochs * loader.num_batches();
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
      if (opts_.schedule.kind != optim::Schedule::Kind::kConstant || opts_.schedule.warmup_steps > 0)
        opt_.set_lr(base_lr_ * opts_.schedule.factor(step_, total_steps));
      opt_.zero_grad();
      Tensor loss = cross_entropy(model_(batch.images), batch.labels);
      const double lv = loss.item();
      check<Error>(std::isfinite(lv), "training diverged: the loss is ", lv, " at epoch ", epoch + 1, ", step ", step_,
                   " (try a smaller learning rate)");
      loss.backward();
      opt_.step(optim::StepInfo{lv, step_});
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
    if (test_set != nullptr) r.test = evaluate(*test_set);
    if (opts_.print_epochs) {
      std::printf("epoch %lld/%lld  train loss %.4f", static_cast<long long>(r.epoch),
                  static_cast<long long>(opts_.epochs), r.train_loss);
      if (test_set != nullptr) std::printf("  test loss %.4f  test accuracy %.2f%%", r.test.loss, 100.0 * r.test.accuracy);
      std::printf("  (%.2f s)\n", r.seconds);
      std::fflush(stdout);
    }
    if (metrics_) {
      io::MetricsRecord rec{{"epoch", r.epoch}, {"step", step_}, {"train_loss", r.train_loss}};
      if (test_set != nullptr) {
        rec.emplace_back("test_loss", r.test.loss);
        rec.emplace_back("test_accuracy", r.test.accuracy);
      }
      rec.emplace_back("epoch_seconds", r.seconds);
      rec.emplace_back("lr", opt_.lr());
      for (const auto& [k, v] : opt_.diagnostics()) rec.emplace_back(k, v);
      metrics_->write(rec);
    }
    results.push_back(r);
    if (!opts_.checkpoint.empty()) save_checkpoint(opts_.checkpoint, model_, opt_, {epoch + 1, step_, base_lr_});
  }
  return results;
}

}  // namespace momenta::train
