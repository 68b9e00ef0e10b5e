#include "tools/experiments/table_runs.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>
#include <typeinfo>

#include "models/resnet.h"
#include "momenta/data/augment.h"
#include "momenta/data/cifar.h"
#include "momenta/error.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/registry.h"
#include "momenta/random.h"
#include "momenta/train/trainer.h"
#include "tools/cli_common.h"
#include "tools/experiments/report.h"

namespace momenta::cli::experiments {
namespace {

std::string label_of(const std::string& name) {
  return name == "cifar10" ? "CIFAR-10" : name == "cifar100" ? "CIFAR-100" : "Fashion-MNIST";
}

// DIR/<name> when --data-dir holds a folder of that name, else DIR; the default places otherwise.
std::string data_dir_for(const Options& o, const std::string& name) {
  if (o.data_dir.empty()) return resolve_data_dir(name, "");
  const std::string sub = o.data_dir + "/" + name;
  return resolve_data_dir(name, std::filesystem::is_directory(sub) ? sub : o.data_dir);
}

void load_split(const std::string& name, const std::string& dir, data::ImageDataset& train, data::ImageDataset& test) {
  if (name == "fashion-mnist") {
    train = data::load_mnist_like(dir, name, true);
    test = data::load_mnist_like(dir, name, false);
  } else {
    train = data::load_cifar(dir, name, true);
    test = data::load_cifar(dir, name, false);
  }
}

data::ImageDataset subset(const data::ImageDataset& ds, const std::vector<int64_t>& idx, size_t first, size_t count) {
  const auto per = static_cast<size_t>(ds.sample_numel());
  std::vector<uint8_t> images(count * per);
  std::vector<int64_t> labels(count);
  for (size_t i = 0; i < count; ++i) {
    const auto k = static_cast<size_t>(idx[first + i]);
    std::copy_n(ds.images().begin() + static_cast<std::ptrdiff_t>(k * per), per,
                images.begin() + static_cast<std::ptrdiff_t>(i * per));
    labels[i] = ds.labels()[k];
  }
  return data::ImageDataset(std::move(images), ds.sample_shape(), std::move(labels), ds.num_classes(), ds.normalization());
}

std::vector<int64_t> permutation(int64_t n, uint64_t seed) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  std::iota(p.begin(), p.end(), 0);
  std::mt19937_64 gen(seed);
  std::shuffle(p.begin(), p.end(), gen);
  return p;
}

}  // namespace

std::optional<TableData> load_table_data(const Options& o, const std::string& full_dataset, const DataSizes& sizes,
                                         std::string& error) {
  TableData d;
  data::ImageDataset train, test;
  std::vector<std::string> names;
  if (o.size == Size::kFull) names.push_back(full_dataset);
  names.push_back("fashion-mnist");
  for (const auto& name : names) {
    try {
      d.dir = data_dir_for(o, name);
      load_split(name, d.dir, train, test);
      d.dataset = name;
      break;
    } catch (const IOError& err) {
      const std::string what = label_of(name) + " could not be loaded: " + err.what();
      if (name != names.back()) {
        d.note = what + "; fell back to Fashion-MNIST, run with the --full epochs and schedule";
      } else {
        error = d.note.empty() ? what : d.note + "; then " + what;
        return std::nullopt;
      }
    }
  }
  d.label = label_of(d.dataset);
  d.pool_train = train.size();
  d.pool_test = test.size();
  const uint64_t split_seed = 0x7ab1e5 + o.seed;
  const auto tp = permutation(train.size(), split_seed);
  const auto n_val = static_cast<size_t>(std::clamp<int64_t>(sizes.val, 0, train.size() - 1));
  const size_t left = static_cast<size_t>(train.size()) - n_val;
  const size_t n_train = sizes.train < 0 ? left : std::min(left, static_cast<size_t>(sizes.train));
  d.train = subset(train, tp, 0, n_train);
  if (n_val > 0) d.val = subset(train, tp, static_cast<size_t>(train.size()) - n_val, n_val);
  const auto sp = permutation(test.size(), split_seed + 1);
  const size_t n_test = sizes.test < 0 ? static_cast<size_t>(test.size())
                                       : std::min(static_cast<size_t>(test.size()), static_cast<size_t>(sizes.test));
  d.test = subset(test, sp, 0, n_test);
  return d;
}

std::string subset_text(const TableData& d) {
  return std::to_string(d.train.size()) + " of " + std::to_string(d.pool_train) + " training images, " +
         std::to_string(d.test.size()) + " of " + std::to_string(d.pool_test) + " test images";
}

std::string steps_text(int64_t train_images, int64_t batch_size, int64_t epochs, int64_t paper_steps) {
  const int64_t steps = (train_images + batch_size - 1) / batch_size * epochs;  // the loader keeps the last batch
  return std::to_string(steps) + " optimizer steps a run, " +
         fmt_num(100.0 * static_cast<double>(steps) / static_cast<double>(paper_steps), 2) + "% of the paper's " +
         std::to_string(paper_steps);
}

data::ImageDataset head(const data::ImageDataset& ds, int64_t n) {
  if (n < 0 || n >= ds.size()) return ds;
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  return subset(ds, idx, 0, idx.size());
}

NetShape resnet20_shape() { return {"ResNet-20", {16, 32, 64}, {3, 3, 3}}; }

double RunResult::best_error() const {
  double best = final_error;
  for (double e : test_error)
    if (!std::isfinite(best) || e < best) best = e;
  return best;
}

RunResult train_once(const NetShape& net, const data::ImageDataset& train, const data::ImageDataset& eval,
                     const RunSpec& spec, uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  RunResult r;
  Generator gen(seed * 0x9e3779b97f4a7c15ULL + 17);
  const Shape shape = train.sample_shape();
  auto model = std::make_shared<models::ResNet>(shape[0], train.num_classes(), net.widths, net.blocks, nn::Shortcut::kA, gen);
  model->finalize(kFloat32, spec.device);
  auto opt = optim::make_optimizer(spec.optim, model->arena(), spec.hp);
  const int64_t batches = (train.size() + spec.batch_size - 1) / spec.batch_size;  // the loader keeps the last batch
  std::unique_ptr<optim::Averager> swa;
  if (spec.swa_start_epoch > 0) {
    const auto& info = optim::averager_info("swa");
    const optim::HyperParams hp = {{"swa_start", {static_cast<double>(spec.swa_start_epoch * batches)}},
                                   {"swa_freq", {static_cast<double>(batches)}}};
    swa = info.make(model->arena(), optim::resolve_averager_hyperparams(info, hp));
  }
  train::TrainerOptions to;
  to.epochs = spec.epochs;
  to.batch_size = spec.batch_size;
  to.seed = seed;
  to.progress = false;
  to.print_epochs = false;
  if (!spec.milestones.empty()) {
    to.schedule.kind = optim::Schedule::Kind::kMultiStep;
    to.schedule.gamma = 0.1;
    for (int64_t e : spec.milestones) to.schedule.milestones.push_back(e * batches);
  } else {
    to.schedule.kind = optim::Schedule::Kind::kConstant;
  }
  if (spec.augment) to.augmentation = data::crop_and_flip(shape[1], 4);
  to.averager = swa.get();
  to.avg_bn_batches = -1;
  to.on_epoch_end = [&](const train::EpochResult& e) {
    if (e.test.samples > 0) r.test_error.push_back(100.0 * (1.0 - e.test.accuracy));
    if (spec.on_epoch) spec.on_epoch(e.epoch, e.test.samples > 0 ? r.test_error.back() : NAN);
  };
  train::Trainer trainer(*model, *opt, to);
  try {
    trainer.fit(train, spec.eval_every_epoch ? &eval : nullptr);
    r.final_error = spec.eval_every_epoch && !r.test_error.empty()
                        ? r.test_error.back()
                        : 100.0 * (1.0 - trainer.evaluate(eval).accuracy);
    if (swa) r.swa_error = 100.0 * (1.0 - trainer.evaluate_averaged(eval, &train, spec.epochs - 1).accuracy);
  } catch (const Error& err) {
    if (typeid(err) != typeid(Error)) throw;  // only the non-finite guard's plain Error ends a run as diverged
    r.diverged = true;
    r.error = err.what();
    if (r.error.size() > 200) r.error = r.error.substr(0, 200) + "...";
    r.final_error = r.swa_error = NAN;  // the epochs before the divergence keep their test errors
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

TableProgress::TableProgress(const std::string& name, int64_t total_images, bool enabled)
    : bar_(std::make_unique<train::ProgressBar>(name, total_images, enabled)) {}

TableProgress::~TableProgress() { bar_->finish(""); }

std::function<void(int64_t, double)> TableProgress::run(const std::string& what, int64_t images, int64_t epochs) {
  return [this, what, images, epochs](int64_t epoch, double err) {
    done_ += images;
    std::string status = what + ", epoch " + std::to_string(epoch) + "/" + std::to_string(epochs);
    if (std::isfinite(err)) status += ", test error " + fmt_num(err, 3) + "%";
    bar_->update(done_, status, done_);
  };
}

std::string hp_text(const optim::HyperParams& hp) {
  std::string s;
  for (const auto& [k, v] : hp) {
    s += (s.empty() ? "" : ", ") + k + "=";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "/" : "") + fmt_num(v[i]);
  }
  return s;
}

}  // namespace momenta::cli::experiments
