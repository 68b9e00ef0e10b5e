// `momenta eval`: loads a saved model and reports its test loss and accuracy (for a score model,
// its denoising score-matching loss on the test images).
#include <omp.h>

#include <cstdio>

#include "models/score_model.h"
#include "momenta/io/safetensors.h"
#include "momenta/train/trainer.h"
#include "momenta/optim/registry.h"
#include "tools/cli_common.h"
#include "tools/option_ranges.h"

namespace momenta::cli {
namespace {

struct EvalArgs {
  std::string checkpoint;
  std::string data;
  std::string data_dir;
  int threads = 0;
  std::string device = "cpu";
};

// Evaluation needs no optimizer step, but the Trainer takes one; a zero-lr SGD does nothing.
void run_eval(const EvalArgs& a) {
  if (a.threads > 0) omp_set_num_threads(a.threads);
  const Device device = resolve_device(a.device);
  const io::SafetensorsFile file = io::load_safetensors(a.checkpoint);
  const ModelSpec spec = ModelSpec::from_metadata(file.metadata, a.checkpoint);
  const DataOptions dopts = model_data_options(file.metadata, spec, a.data, a.data_dir);
  const std::string& data = dopts.name;
  check_spec_fits_tensors(spec, file.tensors, a.checkpoint);
  auto model = build_model(spec);
  model->finalize(kFloat32, device);
  model->load_state_dict(file.tensors);
  const LoadedData loaded = load_data(dopts, false);
  const auto objective_it = file.metadata.find("objective");
  const bool dsm = objective_it != file.metadata.end() && objective_it->second == "dsm";
  if (dsm) loaded.test->set_normalization({});  // score models work on the [0, 1] scale
  const data::ImageDataset& test_set = *loaded.test;
  if (spec.model == "mlp")
    check<ValueError>(test_set.sample_numel() == spec.in_features, "the model takes ", spec.in_features, " inputs but ",
                      data, " samples have ", test_set.sample_numel());
  else
    check<ValueError>(test_set.sample_shape() == spec.in_shape, "the model takes samples of shape ", fmt(spec.in_shape),
                      " but ", data, " samples have shape ", fmt(test_set.sample_shape()));
  auto opt = optim::make_optimizer("sgd", model->arena(), std::map<std::string, std::string>{{"lr", "0"}});
  train::TrainerOptions to;
  to.progress = false;
  if (dsm) {
    const models::ProcessSpec ps = models::ProcessSpec::from_metadata(file.metadata, a.checkpoint);
    to.objective = std::make_shared<models::DsmObjective>(std::shared_ptr<const diffusion::NoiseProcess>(ps.make()),
                                                          ps.dsm_options());
  } else if (auto it = file.metadata.find("loss"); it != file.metadata.end()) {
    to.objective = std::make_shared<train::ClassificationObjective>(train::parse_loss(it->second));
  }
  train::Trainer trainer(*model, *opt, to);
  const train::EvalResult r = trainer.evaluate(test_set);
  if (r.has_accuracy)
    std::printf("%s on %s test set (%lld samples): loss %.4f, accuracy %.2f%%\n", a.checkpoint.c_str(), data.c_str(),
                static_cast<long long>(r.samples), r.loss, 100.0 * r.accuracy);
  else
    std::printf("%s on %s test set (%lld samples): %s loss %.4f\n", a.checkpoint.c_str(), data.c_str(),
                static_cast<long long>(r.samples), to.objective->name().c_str(), r.loss);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand("eval", "Evaluate a saved model on a test set");
  cmd->add_option("checkpoint", args->checkpoint, "model.safetensors written by `momenta train`")->required();
  cmd->add_option("--data", args->data, "Dataset (default: the one the model was trained on)");
  cmd->add_option("--data-dir", args->data_dir, "Directory of the dataset (default: as for train)");
  add_number(cmd, "--threads", args->threads, "OpenMP threads (0: all cores)", threads_range());
  add_device_option(cmd, args->device);
  cmd->callback([args] { run_eval(*args); });
}

}  // namespace momenta::cli
