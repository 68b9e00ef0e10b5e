// `momenta tune`: seeded random search of an optimizer's hyperparameters on a built-in test
// function. Every trial runs `momenta optimize`'s loop (optim::run_objective) from the same start
// point; its score is the final loss (or the lowest loss seen, --score best). Writes one CSV row
// per trial (trial, the ranged hyperparameters, score) and prints the best trial.
#include <cmath>
#include <cstdio>
#include <memory>

#include "momenta/optim/objective_run.h"
#include "momenta/optim/random_search.h"
#include "momenta/optim/registry.h"
#include "tools/cli_common.h"

namespace momenta::cli {
namespace {

struct TuneArgs {
  std::string function, x0, optim, out, score = "final";
  std::vector<std::string> hp, fn_arg, ranges;
  int64_t steps = 100, trials = 50;
  uint64_t seed = 0;
};

void run_tune(const TuneArgs& a) {
  const std::vector<double> x0 = parse_start_point(a.x0);
  const optim::Objective f =
      optim::make_test_function(a.function, static_cast<int64_t>(x0.size()), parse_key_values("--fn-arg", a.fn_arg));
  check<ValueError>(a.score == "final" || a.score == "best", "--score '", a.score, "': expected final or best");
  const optim::OptimizerInfo& info = optim::optimizer_info(a.optim);
  check<ValueError>(!a.ranges.empty(), "give at least one --range, e.g. --range lr=1e-4:1:log");
  std::vector<optim::SearchRange> ranges;
  for (const auto& r : a.ranges) ranges.push_back(optim::parse_search_range(r));
  // Typed fixed values; the ranged names are checked against the spec by a dry resolve.
  optim::HyperParams fixed;
  for (const auto& [k, v] : parse_key_values("--hp", a.hp))
    fixed[k] = optim::resolve_hyperparams(info, std::map<std::string, std::string>{{k, v}}).at(k);
  optim::HyperParams probe = fixed;
  for (const auto& r : ranges) {
    check<ValueError>(fixed.count(r.name) == 0, "hyperparameter ", r.name, " is given both by --hp and --range");
    probe[r.name] = {r.lo};
  }
  optim::resolve_hyperparams(info, probe);

  const auto score = [&](const optim::HyperParams& hp) {
    double best = std::numeric_limits<double>::infinity();
    const auto res = optim::run_objective(f, x0, optim::ObjectiveRunSpec{a.optim, hp, "", {}, a.steps},
                                          [&](const optim::StepView& v) {
                                            if (std::isfinite(v.loss)) best = std::min(best, v.loss);
                                            return std::isfinite(v.loss);
                                          });
    if (a.score == "best") return best;
    return std::isfinite(res.last_loss) ? res.last_loss : std::numeric_limits<double>::infinity();
  };
  const optim::SearchResult res = optim::random_search(ranges, fixed, a.trials, a.seed, score);

  if (!a.out.empty()) {
    FILE* out = std::fopen(a.out.c_str(), "w");
    check<IOError>(out != nullptr, "cannot write '", a.out, "'");
    std::unique_ptr<FILE, int (*)(FILE*)> closer(out, &std::fclose);
    std::fprintf(out, "trial");
    for (const auto& r : ranges) std::fprintf(out, ",%s", r.name.c_str());
    std::fprintf(out, ",score\n");
    for (size_t i = 0; i < res.trials.size(); ++i) {
      std::fprintf(out, "%zu", i);
      for (const auto& r : ranges) std::fprintf(out, ",%.17g", res.trials[i].hp.at(r.name)[0]);
      std::fprintf(out, ",%.17g\n", res.trials[i].score);
    }
    check<IOError>(std::ferror(out) == 0, "error while writing '", a.out, "'");
  }
  const auto& best = res.trials[res.best];
  std::printf("%s on %s: %lld trials x %lld steps, best %s loss %.6g (trial %zu):", a.optim.c_str(), a.function.c_str(),
              static_cast<long long>(a.trials), static_cast<long long>(a.steps), a.score.c_str(), best.score, res.best);
  for (const auto& r : ranges) std::printf(" --hp %s=%.6g", r.name.c_str(), best.hp.at(r.name)[0]);
  std::printf("\n");
}

}  // namespace

void add_tune_command(CLI::App& app) {
  auto args = std::make_shared<TuneArgs>();
  CLI::App* cmd = app.add_subcommand(
      "tune", "Seeded random search of an optimizer's hyperparameters on a built-in test function (momenta optimize's loop)");
  cmd->add_option("--function", args->function, "Test function (momenta optim list)")->required();
  cmd->add_option("--x0", args->x0, "Start point, comma-separated (e.g. --x0=-1.5,2)")->required();
  cmd->add_option("--optim", args->optim, "Optimizer name")->required();
  cmd->add_option("--range", args->ranges, "Searched hyperparameter name=lo:hi[:log] (repeatable), e.g. lr=1e-4:1:log")
      ->required();
  cmd->add_option("--hp", args->hp, "Fixed hyperparameter key=value (repeatable)");
  cmd->add_option("--fn-arg", args->fn_arg, "Test-function parameter key=value (repeatable)");
  cmd->add_option("--trials", args->trials, "Number of random trials N")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--steps", args->steps, "Optimizer steps per trial")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", args->seed, "Seed of the search")->capture_default_str();
  cmd->add_option("--score", args->score, "final: the last loss; best: the lowest loss seen")->capture_default_str();
  cmd->add_option("--out", args->out, "CSV of every trial (trial, ranged hyperparameters, score)");
  cmd->callback([args] { run_tune(*args); });
}

}  // namespace momenta::cli
