#include "tools/cli_common.h"

#include <cstdlib>
#include <filesystem>

#include "models/mlp.h"

namespace momenta::cli {

void check_dataset_name(const std::string& name) {
  check<ValueError>(name == "fashion-mnist" || name == "mnist", "unknown dataset '", name,
                    "' (known: fashion-mnist, mnist)");
}

std::string resolve_data_dir(const std::string& name, const std::string& given) {
  namespace fs = std::filesystem;
  if (!given.empty()) {
    check<IOError>(fs::is_directory(given), "data directory '", given, "' does not exist");
    return given;
  }
  std::vector<std::string> tried;
  if (const char* env = std::getenv("MOMENTA_DATA")) tried.push_back(std::string(env) + "/" + name);
  tried.push_back("data/" + name);
  tried.push_back("/usr/share/datasets/" + name);
  for (const auto& d : tried)
    if (fs::is_directory(d)) return d;
  std::string list;
  for (const auto& d : tried) list += (list.empty() ? "" : ", ") + d;
  throw IOError(str_cat("no data directory for ", name, ": tried ", list,
                        " (pass --data-dir; for fashion-mnist on Debian: apt-get install dataset-fashion-mnist)"));
}

std::map<std::string, std::string> ModelSpec::to_metadata() const {
  return {{"format", "momenta-model"},
          {"model", model},
          {"hidden", hidden},
          {"activation", activation},
          {"in_features", std::to_string(in_features)},
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
  throw ValueError(str_cat("unknown model '", spec.model, "' (known: mlp)"));
}

}  // namespace momenta::cli
