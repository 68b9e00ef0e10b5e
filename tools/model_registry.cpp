#include "tools/model_registry.h"

#include <map>

#include "models/mlp.h"
#include "models/resnet.h"
#include "models/unet.h"
#include "momenta/error.h"
#include "momenta/random.h"

namespace momenta::cli {
namespace {

// Looks tensors of a saved file up by name and checks their shapes against the metadata.
class TensorCheck {
 public:
  TensorCheck(const ModelSpec& spec, const NamedTensorList& tensors, const std::string& path)
      : spec_(spec), path_(path) {
    for (const auto& [name, t] : tensors) by_name_[name] = &t;
  }
  void expect(const std::string& name, const std::function<bool(const Shape&)>& fits, const std::string& implied) const {
    auto it = by_name_.find(name);
    check<FormatError>(it != by_name_.end(), "'", path_, "': the metadata describes a model with a parameter '", name,
                       "' of shape ", implied, ", but the file has no tensor of that name");
    check<FormatError>(fits(it->second->shape()), "'", path_, "': tensor '", name, "' has shape ",
                       fmt(it->second->shape()), ", but the metadata (", spec_.model, ", hidden=", excerpt(spec_.hidden),
                       ", in_features=", spec_.in_features, ", num_classes=", spec_.num_classes, ") implies shape ",
                       implied);
  }
  void expect_exactly(const std::string& name, const Shape& want) const {
    expect(name, [want](const Shape& s) { return s == want; }, str_cat(fmt(want)));
  }

 private:
  const ModelSpec& spec_;
  const std::string& path_;
  std::map<std::string, const Tensor*> by_name_;
};

std::shared_ptr<nn::Module> build_mlp(const ModelSpec& spec) {
  models::MlpConfig cfg;
  cfg.in_features = spec.in_features;
  cfg.hidden = models::parse_hidden(spec.hidden);
  cfg.out_features = spec.num_classes;
  cfg.activation = nn::parse_activation(spec.activation);
  return models::make_mlp(cfg);
}

void check_mlp(const ModelSpec& spec, const NamedTensorList& tensors, const std::string& path) {
  // make_mlp: Flatten at position 0, then Linear and activation pairs, then the last Linear.
  const TensorCheck tc(spec, tensors, path);
  std::vector<int64_t> widths = models::parse_hidden(spec.hidden);
  widths.push_back(spec.num_classes);
  int64_t in = spec.in_features;
  for (size_t i = 0; i < widths.size(); ++i) {
    const std::string layer = std::to_string(1 + 2 * i);
    tc.expect_exactly(layer + ".weight", {widths[i], in});
    tc.expect_exactly(layer + ".bias", {widths[i]});
    in = widths[i];
  }
  check<FormatError>(tensors.size() == 2 * widths.size(), "'", path, "': the metadata describes an MLP with ",
                     2 * widths.size(), " tensors, the file holds ", tensors.size());
}

std::shared_ptr<nn::Module> build_resnet(const ModelSpec& spec) {
  check<ValueError>(spec.in_shape.size() == 3, "model ", spec.model, ": needs image samples [C, H, W], got ",
                    fmt(spec.in_shape));
  return models::make_resnet(spec.model, spec.in_shape[0], spec.num_classes, default_generator(),
                             models::parse_shortcut(spec.shortcut));
}

// A ResNet's layers are fixed by its name; only the stem's input channels and the head's
// classes come from the metadata, and those decide how large the model can be.
void check_resnet(const ModelSpec& spec, const NamedTensorList& tensors, const std::string& path) {
  check<FormatError>(spec.in_shape.size() == 3 && spec.in_shape[0] >= 1, "'", path, "': model ", spec.model,
                     " needs metadata field 'in_shape' C,H,W with C >= 1, got ", fmt(spec.in_shape));
  const TensorCheck tc(spec, tensors, path);
  const int64_t c = spec.in_shape[0], k = spec.num_classes;
  tc.expect("conv.weight", [c](const Shape& s) { return s.size() == 4 && s[1] == c; },
            str_cat("[width, ", c, ", 3, 3] (", c, " input channels)"));
  tc.expect("fc.weight", [k](const Shape& s) { return s.size() == 2 && s[0] == k; },
            str_cat("[", k, ", features] (", k, " classes)"));
  tc.expect_exactly("fc.bias", {k});
}

std::shared_ptr<nn::Module> build_unet(const ModelSpec& spec) {
  check<ValueError>(spec.in_shape.size() == 3 && spec.in_shape[1] == spec.in_shape[2],
                    "model unet: needs square images [C, H, H], got ", fmt(spec.in_shape));
  return models::make_unet(spec.unet, spec.in_shape[0], spec.in_shape[1]);
}

// A U-Net's shapes follow from its named configuration, channels and size, all bounded, so the
// check builds one and compares every tensor.
void check_unet(const ModelSpec& spec, const NamedTensorList& tensors, const std::string& path) {
  std::shared_ptr<nn::Module> m;
  try {
    m = build_unet(spec);
  } catch (const ValueError& e) {
    throw FormatError(str_cat("'", path, "': the metadata describes no U-Net momenta builds: ", e.what()));
  }
  const TensorCheck tc(spec, tensors, path);
  const auto want = m->named_parameters();
  for (const auto& [name, t] : want) tc.expect_exactly(name, t.shape());
  check<FormatError>(tensors.size() == want.size(), "'", path, "': the metadata describes a U-Net with ", want.size(),
                     " tensors, the file holds ", tensors.size());
}

std::vector<ModelEntry> make_registry() {
  std::vector<ModelEntry> r;
  r.push_back({"mlp", "fully connected, --hidden widths and --activation", build_mlp, check_mlp});
  for (const auto& name : models::resnet_names())
    r.push_back({name, "CIFAR-style ResNet (He et al. 2016; resnet18: the ImageNet layout)", build_resnet, check_resnet});
  r.push_back({"unet", "score U-Net for diffusion models (--objective dsm; --unet cpu or twin)", build_unet, check_unet});
  return r;
}

}  // namespace

const std::vector<ModelEntry>& model_registry() {
  static const std::vector<ModelEntry> registry = make_registry();
  return registry;
}

const ModelEntry* find_model(const std::string& name) {
  for (const auto& e : model_registry())
    if (e.name == name) return &e;
  return nullptr;
}

std::string model_names() {
  std::string s;
  for (const auto& e : model_registry()) s += (s.empty() ? "" : ", ") + e.name;
  return s;
}

}  // namespace momenta::cli
