// The models `momenta train` builds and `momenta eval` / `momenta sample` rebuild from a saved
// file: one entry per name, so adding a model is one entry here, not an if in every command.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "momenta/nn/module.h"
#include "tools/cli_common.h"

namespace momenta::cli {

using NamedTensorList = std::vector<std::pair<std::string, Tensor>>;

struct ModelEntry {
  std::string name;
  std::string help;  // one line for --help
  // Builds (but does not finalize) the model `spec` describes; ValueError for a spec it cannot take.
  std::function<std::shared_ptr<nn::Module>(const ModelSpec& spec)> build;
  // Compares the tensors of the file at `path` with what `spec` implies, without building the
  // model: FormatError naming the first missing or mismatched tensor (see check_spec_fits_tensors).
  std::function<void(const ModelSpec& spec, const NamedTensorList& tensors, const std::string& path)> check_fits;
};

// Every model, in the order --help lists them.
const std::vector<ModelEntry>& model_registry();
// The entry of `name`, or nullptr.
const ModelEntry* find_model(const std::string& name);
// "mlp, resnet20, ..." for messages and --help.
std::string model_names();

}  // namespace momenta::cli
