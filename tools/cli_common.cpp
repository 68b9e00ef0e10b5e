#include "tools/cli_common.h"

#include <cstdlib>
#include <filesystem>

#include "models/mlp.h"
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
