// The training runs behind the scaled paper tables (adai-table, ecd-table): the dataset with its
// fallback, fixed subsets, a ResNet of a given width, and one seeded run through the Trainer.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "momenta/data/dataset.h"
#include "momenta/optim/optimizer.h"
#include "momenta/train/progress.h"
#include "tools/experiments/experiment.h"

namespace momenta::cli::experiments {

struct TableData {
  std::string dataset;  // "fashion-mnist", "cifar10" or "cifar100"
  std::string label;    // "Fashion-MNIST", ...
  std::string dir;
  std::string note;     // why the dataset differs from the one asked for (empty when it does not)
  data::ImageDataset train, val, test;  // val is empty unless asked for
  int64_t pool_train = 0, pool_test = 0;  // the sizes of the dataset's own splits
};

struct DataSizes {
  int64_t train = -1;  // -1: all that is left after val
  int64_t val = 0;
  int64_t test = -1;   // -1: all
};

// Loads the table's dataset: `full_dataset` (CIFAR) under --full, else Fashion-MNIST; under --full
// without CIFAR it falls back to Fashion-MNIST and says so in `note`. With --data-dir, DIR/<dataset>
// is used when it exists, else DIR itself. Train and val are disjoint slices of one seeded
// permutation of the training set, test a seeded slice of the test set (the same for every run).
// Returns nullopt and sets `error` when no dataset could be loaded.
std::optional<TableData> load_table_data(const Options& o, const std::string& full_dataset, const DataSizes& sizes,
                                         std::string& error);

// "3000 of 60000 training images, 1000 of 10000 test images": how much of the pools a run uses.
std::string subset_text(const TableData& d);

// "188 optimizer steps a run, 0.24% of the paper's 78200": how far a scaled run gets.
std::string steps_text(int64_t train_images, int64_t batch_size, int64_t epochs, int64_t paper_steps);

// The first n samples of ds (all when n < 0 or n >= size).
data::ImageDataset head(const data::ImageDataset& ds, int64_t n);

struct NetShape {
  std::string name;  // "ResNet-20", ...
  std::vector<int64_t> widths, blocks;
};
NetShape resnet20_shape();

struct RunSpec {
  std::string optim;
  optim::HyperParams hp;
  int64_t epochs = 1;
  int64_t batch_size = 128;
  std::vector<int64_t> milestones;  // epochs after which the rate is divided by 10
  int64_t swa_start_epoch = 0;      // > 0: SWA of the weights at the end of every epoch from this one (1-based)
  bool augment = false;             // random crop after zero padding 4, and horizontal flip
  bool eval_every_epoch = false;    // else only at the end
  // Called after each epoch (1-based) with its test error in percent (NaN when not evaluated);
  // may be empty.
  std::function<void(int64_t epoch, double test_error)> on_epoch;
  Device device = kCPU;  // where the network runs
};

struct RunResult {
  std::vector<double> test_error;  // per evaluated epoch, percent
  double final_error = NAN;        // at the end, at the optimizer's eval_weights(), percent
  double swa_error = NAN;          // at the SWA weights (batch-norm statistics re-estimated), percent
  bool diverged = false;
  std::string error;               // why it stopped early
  double seconds = 0;              // training and evaluation
  double best_error() const;       // the lowest of test_error and final_error (NaN when none)
};

// One run: the network initialised from `seed`, data order and augmentation from `seed`, then
// evaluated on `eval`. A non-finite loss or weight ends the run (diverged) keeping the test errors
// of the epochs before it.
RunResult train_once(const NetShape& net, const data::ImageDataset& train, const data::ImageDataset& eval,
                     const RunSpec& spec, uint64_t seed);

// A progress bar on stderr over all of a table's training, counted in training images seen.
class TableProgress {
 public:
  TableProgress(const std::string& name, int64_t total_images, bool enabled);
  ~TableProgress();
  // The RunSpec::on_epoch of one run, labelled `what` (e.g. "Adam seed 1"), `images` per epoch.
  std::function<void(int64_t, double)> run(const std::string& what, int64_t images, int64_t epochs);

 private:
  std::unique_ptr<train::ProgressBar> bar_;
  int64_t done_ = 0;
};

// "lr=0.1, weight_decay=0.0005" from the given hyperparameters.
std::string hp_text(const optim::HyperParams& hp);

Outcome run_adai_table(const Experiment& e, const Options& o);
Outcome run_ecd_table(const Experiment& e, const Options& o);

}  // namespace momenta::cli::experiments
