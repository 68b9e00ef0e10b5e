// The registry's hyperparameter resolution, as `momenta train` applies --optim, --hp, --group,
// --avg, --avg-hp and --hp-schedule to a model. The first byte picks the optimizer, the second
// the averager; the rest is lines, in four sections separated by a line "--": the --hp items,
// the --group items, the --avg-hp items and the --hp-schedule items. Whatever is accepted is
// then used: one optimizer and averager step with the scheduled values.
#include "fuzz_common.h"
#include "momenta/optim/param_groups.h"
#include "momenta/optim/schedule.h"

using namespace momenta;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const std::vector<std::string> optimizers = optim::optimizer_names();
  static const std::vector<std::string> averagers = optim::averager_names();
  const std::string& opt_name = optimizers[data[0] % optimizers.size()];
  const bool use_averager = data[1] % (averagers.size() + 1) != averagers.size();
  const std::string& avg_name = averagers[data[1] % averagers.size()];
  std::vector<std::vector<std::string>> sections(1);
  for (auto& line : fuzz::split_lines(std::string(reinterpret_cast<const char*>(data) + 2, size - 2))) {
    if (line == "--" && sections.size() < 4) sections.emplace_back();
    else sections.back().push_back(std::move(line));
  }
  sections.resize(4);
  fuzz::expect_only_momenta_errors([&] {
    auto model = cli::build_model(fuzz::small_model_spec());
    model->finalize();
    const auto hp = cli::parse_key_values("--hp", sections[0]);
    (void)optim::resolve_hyperparams(optim::optimizer_info(opt_name), hp);
    auto opt = optim::make_optimizer(opt_name, model->arena(), hp);
    const auto rules = optim::parse_group_rules(sections[1]);
    if (!rules.empty()) optim::apply_param_groups(*opt, optim::make_param_groups(model->arena(), rules));
    std::unique_ptr<optim::Averager> avg;
    if (use_averager) {
      const auto avg_hp = cli::parse_key_values("--avg-hp", sections[2]);
      (void)optim::resolve_averager_hyperparams(optim::averager_info(avg_name), avg_hp);
      avg = optim::make_averager(avg_name, model->arena(), avg_hp);
    }
    // As the trainer applies a schedule (it refuses a key that is not the rule's hyperparameter).
    for (const auto& item : sections[3]) {
      const optim::HpSchedule s = optim::parse_hp_schedule(item);
      for (auto& g : opt->groups())
        if (g.hp.count(s.key) != 0) g.hp[s.key] = {s.value(3, 10)};
    }
    model->arena().grads().fill_(0.5);
    if (avg) avg->before_step();
    opt->step({1.0, 0});
    if (avg) avg->step({1.0, 0});
  });
  return 0;
}
