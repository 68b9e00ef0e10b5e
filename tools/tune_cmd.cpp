// `momenta tune`: seeded random search of an optimizer's hyperparameters on a built-in test
// function. Every trial runs `momenta optimize`'s loop (optim::run_objective) from the same start
// point; its score is the final loss (or the lowest loss seen, --score best). Writes one CSV row
// per trial (trial, the ranged hyperparameters, score) and prints the best trial.
#include <cmath>
#include <cstdio>
#include <memory>

#include "momenta/io/text_file.h"
#include "momenta/optim/objective_run.h"
#include "momenta/optim/random_search.h"
#include "momenta/optim/registry.h"
#include "momenta/parse.h"
#include "tools/cli_common.h"
#include "tools/option_ranges.h"

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
  for (const auto& r : ranges)
    check<ValueError>(fixed.count(r.name) == 0, "hyperparameter ", r.name, " is given both by --hp and --range");
  // Both ends of every range must be values the rule accepts (the search draws between them).
  for (const bool hi : {false, true}) {
    optim::HyperParams probe = fixed;
    for (const auto& r : ranges) probe[r.name] = {hi ? r.hi : r.lo};
    try {
      optim::resolve_hyperparams(info, probe);
    } catch (const ValueError& e) {
      throw ValueError(str_cat("--range: ", e.what()));
    }
  }

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
    io::TextFileWriter out(a.out);
    std::string text = "trial";
    for (const auto& r : ranges) text += "," + r.name;
    text += ",score\n";
    for (size_t i = 0; i < res.trials.size(); ++i) {
      text += std::to_string(i);
      for (const auto& r : ranges) text += "," + format_number(res.trials[i].hp.at(r.name)[0]);
      text += "," + format_number(res.trials[i].score) + "\n";
    }
    out.write(text);
    out.close();
  }
  const auto& best = res.trials[res.best];
  std::printf("%s on %s: %lld trials x %lld steps, best %s loss %.6g (trial %zu):", a.optim.c_str(), a.function.c_str(),
              static_cast<long long>(a.trials), static_cast<long long>(a.steps), a.score.c_str(), best.score, res.best);
  // Exactly the values of the best trial, so that the line can be pasted into momenta optimize.
  for (const auto& r : ranges) std::printf(" --hp %s=%s", r.name.c_str(), format_number(best.hp.at(r.name)[0]).c_str());
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
  add_number(cmd, "--trials", args->trials, "Number of random trials N", {1, 1e6})->capture_default_str();
  add_number(cmd, "--steps", args->steps, "Optimizer steps per trial", {0, 1e7})->capture_default_str();
  add_number(cmd, "--seed", args->seed, "Seed of the search", seed_range())->capture_default_str();
  cmd->add_option("--score", args->score, "final: the last loss; best: the lowest loss seen")->capture_default_str();
  cmd->add_option("--out", args->out, "CSV of every trial (trial, ranged hyperparameters, score)");
  cmd->callback([args] { run_tune(*args); });
}

}  // namespace momenta::cli
