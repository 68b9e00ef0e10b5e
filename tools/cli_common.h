// Shared pieces of the `momenta` subcommands: dataset lookup, model construction from a
// description (used by train and by eval when it rebuilds a saved model).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "momenta/data/dataset.h"
#include "momenta/nn/module.h"
#include "momenta/shape.h"

namespace momenta::cli {

// The known datasets (fashion-mnist, mnist, cifar10, cifar100, folder); ValueError lists them
// for anything else.
void check_dataset_name(const std::string& name);

// What --data, --data-dir, --labels, --image-size and --channels describe.
struct DataOptions {
  std::string name = "fashion-mnist";
  std::string dir;                // empty: the default places (resolve_data_dir); required for folder
  std::string labels = "fine";    // cifar100: fine or coarse
  int64_t image_size = 32;        // folder: images are resized to image_size x image_size
  int64_t channels = 3;           // folder: 1 (grey) or 3 (RGB)
};

struct LoadedData {
  std::string dir;
  std::unique_ptr<data::ImageDataset> train, test;  // train is null when not asked for
};
// Loads the test split, and the training split when `with_train`, with the dataset's
// normalisation. IOError/FormatError name the directory or file that is missing or bad.
LoadedData load_data(const DataOptions& opts, bool with_train);
// The data directory: `given` when set (must exist), else the first existing of
// $MOMENTA_DATA/<name>, ./data/<name>, /usr/share/datasets/<name>. IOError names what was tried.
std::string resolve_data_dir(const std::string& name, const std::string& given);

struct ModelSpec {
  std::string model = "mlp";
  std::string hidden = "256,256";
  std::string activation = "relu";
  int64_t in_features = 784;
  int64_t num_classes = 10;
  Shape in_shape = {1, 28, 28};  // [C, H, W] of one sample (convolutional models)
  std::string shortcut = "paper";  // ResNet shortcuts: paper, A (zero-padded identity) or B (1x1 projection)
  std::string unet = "cpu";        // U-Net configuration (models/unet.h): cpu or twin
  std::map<std::string, std::string> to_metadata() const;
  // Every field checked and bounded (FormatError naming the file and the field).
  static ModelSpec from_metadata(const std::map<std::string, std::string>& meta, const std::string& path);
};

// The data a saved model was trained on, from its metadata ("dataset", "labels") and its sample
// shape; `data` and `dir` (the --data and --data-dir flags) override when given. ValueError for an
// unknown dataset name.
DataOptions model_data_options(const std::map<std::string, std::string>& meta, const ModelSpec& spec,
                               const std::string& data, const std::string& dir);
// Compares the parameters `spec` implies with the tensors of the file at `path`, without building
// the model: FormatError naming the first missing or mismatched tensor. Call before build_model,
// so that edited metadata cannot make eval allocate a model far larger than the file.
void check_spec_fits_tensors(const ModelSpec& spec, const std::vector<std::pair<std::string, Tensor>>& tensors,
                             const std::string& path);

// "key=value" items of a repeatable flag (e.g. --hp lr=0.1) as a map; ValueError names the flag
// for an item without '=' or a key given twice.
std::map<std::string, std::string> parse_key_values(const char* flag, const std::vector<std::string>& items);
// The --x0 start point: comma-separated finite numbers; ValueError otherwise.
std::vector<double> parse_start_point(const std::string& text);

// Creates the output directory `dir` (and its parents) unless it exists; IOError naming it and
// the system's reason ("Permission denied", "Not a directory", ...) otherwise.
void make_output_dir(const std::string& dir, const char* flag = "--out");

// --device cpu|cuda|cuda:N (default cpu), shared by train, eval, sample and reproduce.
CLI::Option* add_device_option(CLI::App* cmd, std::string& device);
// The device --device names, checked usable on this machine before any data is read: a bad
// name is a ValueError naming --device; a GPU that is not there is one line, "no CUDA device:
// ..." (require_device).
Device resolve_device(const std::string& text);
// Only the parsing half: ValueError naming --device for a bad name.
Device parse_device_option(const std::string& text);
// Whether `path` is an existing directory; false (never an exception) when it cannot be examined.
bool is_directory(const std::string& path);

// The numbers under `keys` in every record of a run's metrics.jsonl, one column per key in the
// order of `keys` (NaN where a record lacks the key or holds no number there), for the figures
// train draws from it. A line that is not JSON is left out with a warning naming `figure`: the
// model is saved already, and a figure is not worth failing the run for.
std::vector<std::vector<double>> read_metrics_columns(const std::string& jsonl, const std::vector<std::string>& keys,
                                                      const std::string& figure);

// Builds (but does not finalize) the model; ValueError for an unknown model name.
std::shared_ptr<nn::Module> build_model(const ModelSpec& spec);

// Registers the subcommands on the app.
void add_train_command(CLI::App& app);
void add_eval_command(CLI::App& app);
void add_sample_command(CLI::App& app);  // momenta sample (sample_cmd.cpp)
void add_optimize_command(CLI::App& app);  // momenta optimize (optimize_cmd.cpp)
void add_optim_command(CLI::App& app);     // momenta optim list (optim_list_cmd.cpp)
void add_reproduce_command(CLI::App& app);  // momenta reproduce (reproduce_cmd.cpp, experiments/)
void add_tune_command(CLI::App& app);       // momenta tune (tune_cmd.cpp)
void add_data_command(CLI::App& app);       // momenta data (data_cmd.cpp)

}  // namespace momenta::cli
