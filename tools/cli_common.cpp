#include "tools/cli_common.h"

#include <cstdlib>
#include <filesystem>

#include "models/mlp.h"
#include "models/resnet.h"
#include "momenta/data/cifar.h"
#include "momenta/data/image_folder.h"
#include "momenta/parse.h"

namespace momenta::cli {

std::map<std::string, std::string> parse_key_values(const char* flag, const std::vector<std::string>& items) {
  std::map<std::string, std::string> out;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    check<ValueError>(eq != std::string::npos && eq > 0, flag, " '", item, "': expected key=value, e.g. ", flag,
                      " lr=0.05");
    const std::string key = item.substr(0, eq);
    check<ValueError>(out.count(key) == 0, flag, " ", key, " is given twice");
    out[key] = item.substr(eq + 1);
  }
  return out;
}

std::vector<double> parse_start_point(const std::string& text) {
  check<ValueError>(!text.empty(), "--x0 is empty: give the start point, e.g. --x0=-1.5,2");
  const auto bad = [&] {
    return ValueError(str_cat("--x0 '", text,
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


void make_output_dir(const std::string& dir, const char* flag) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec && std::filesystem::is_directory(dir, ec)) return;
  const std::string why = ec ? ec.message() : "not a directory";
  throw IOError(str_cat(flag, ": cannot create the output directory '", dir, "': ", why));
}

bool is_directory(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_directory(path, ec);
}

void check_dataset_name(const std::string& name) {
  check<ValueError>(name == "fashion-mnist" || name == "mnist" || name == "cifar10" || name == "cifar100" || name == "folder",
                    "unknown dataset '", name, "' (known: fashion-mnist, mnist, cifar10, cifar100, folder)");
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
          {"num_classes", std::to_string(num_classes)}};
}

ModelSpec ModelSpec::from_metadata(const std::map<std::string, std::string>& meta, const std::string& path) {
  auto get = [&](const std::string& key) {
    auto it = meta.find(key);
    check<FormatError>(it != meta.end(), "'", path, "' is not a momenta model: its metadata has no '", key, "' field");
    return it->second;
  };
  check<FormatError>(get("format") == "momenta-model", "'", path, "': metadata field 'format' is '", get("format"),
                     "', expected 'momenta-model'");
  ModelSpec s;
  s.model = get("model");
  s.hidden = get("hidden");
  s.activation = get("activation");
  try {
    s.in_features = std::stoll(get("in_features"));
    s.num_classes = std::stoll(get("num_classes"));
  } catch (const std::logic_error&) {
    throw FormatError(str_cat("'", path, "': metadata fields in_features/num_classes are not integers"));
  }
  if (auto it = meta.find("in_shape"); it != meta.end()) {
    std::vector<double> v;
    try {
      v = parse_number_list(it->second, "in_shape");
    } catch (const ValueError&) {
    }
    check<FormatError>(v.size() == 3, "'", path, "': metadata field 'in_shape' is '", it->second, "', expected C,H,W");
    s.in_shape = {static_cast<int64_t>(v[0]), static_cast<int64_t>(v[1]), static_cast<int64_t>(v[2])};
  }
  if (auto it = meta.find("shortcut"); it != meta.end()) s.shortcut = it->second;
  return s;
}

std::shared_ptr<nn::Module> build_model(const ModelSpec& spec) {
  if (spec.model == "mlp") {
    models::MlpConfig cfg;
    cfg.in_features = spec.in_features;
    cfg.hidden = models::parse_hidden(spec.hidden);
    cfg.out_features = spec.num_classes;
    cfg.activation = nn::parse_activation(spec.activation);
    return models::make_mlp(cfg);
  }
  for (const auto& name : models::resnet_names()) {
    if (spec.model != name) continue;
    check<ValueError>(spec.in_shape.size() == 3, "model ", name, ": needs image samples [C, H, W], got ", fmt(spec.in_shape));
    return models::make_resnet(name, spec.in_shape[0], spec.num_classes, default_generator(),
                               models::parse_shortcut(spec.shortcut));
  }
  std::string known = "mlp";
  for (const auto& name : models::resnet_names()) known += ", " + name;
  throw ValueError(str_cat("unknown model '", spec.model, "' (known: ", known, ")"));
}

}  // namespace momenta::cli
