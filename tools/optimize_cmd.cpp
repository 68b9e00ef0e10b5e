// `momenta optimize`: runs a registered rule (optionally with a weight averager) on a built-in
// test function in float64 and writes the trajectory as CSV:
//
//   step,loss,x0,...,x{n-1}[,a0,...,a{n-1}]
//
// one row per step 0..N, each recorded before that step's update (row N is after the last one),
// every number printed with %.17g. x is what the engine stores (Nesterov and super-acceleration
// store their look-ahead point); a is the averager's averaged() (EMA/SWA average, BELAY w2),
// "nan" while there is none (SWA before its first average). The loop is the golden one
// (tests/golden/README.md): loss and gradient at x_t, then averager.before_step(),
// optimizer.step({loss_t, t}), averager.step({loss_t, t}).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include "momenta/autograd.h"
#include "momenta/io/text_file.h"
#include "momenta/nn/arena.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/objective_run.h"
#include "momenta/optim/registry.h"
#include "momenta/optim/test_functions.h"
#include "momenta/parse.h"
#include "tools/cli_common.h"
#include "tools/option_ranges.h"

namespace momenta::cli {
namespace {

struct OptimizeArgs {
  std::string function;
  std::string x0;
  std::string optim;
  std::vector<std::string> hp;
  std::string average;
  std::vector<std::string> avg_hp;
  std::vector<std::string> fn_arg;
  int64_t steps = 100;
  std::string out;
};

void append_values(std::string& line, const std::vector<double>& v) {
  char buf[40];
  for (double x : v) {
    std::snprintf(buf, sizeof(buf), ",%.17g", x);
    line += buf;
  }
}

void run_optimize(const OptimizeArgs& a) {
  const std::vector<double> x0 = parse_start_point(a.x0);
  const auto n = static_cast<int64_t>(x0.size());
  const optim::Objective f = optim::make_test_function(a.function, n, parse_key_values("--fn-arg", a.fn_arg));
  // Validate the names and hyperparameters before anything runs (and before the CSV is created).
  const optim::OptimizerInfo& oinfo = optim::optimizer_info(a.optim);
  const optim::HyperParams ohp = optim::resolve_hyperparams(oinfo, parse_key_values("--hp", a.hp));
  optim::HyperParams ahp;
  if (!a.average.empty()) {
    ahp = optim::resolve_averager_hyperparams(optim::averager_info(a.average), parse_key_values("--avg-hp", a.avg_hp));
  } else {
    check<ValueError>(a.avg_hp.empty(), "--avg-hp given without --average");
  }

  io::TextFileWriter out(a.out);
  const bool with_avg = !a.average.empty();
  std::string header = "step,loss";
  for (int64_t i = 0; i < n; ++i) header += ",x" + std::to_string(i);
  if (with_avg)
    for (int64_t i = 0; i < n; ++i) header += ",a" + std::to_string(i);
  out.write(header + "\n");

  auto write_row = [&](const optim::StepView& v) {
    std::string line = std::to_string(v.t);
    append_values(line, {v.loss});
    append_values(line, v.x.to_vector<double>());
    if (v.averager != nullptr) {
      const Tensor av = v.averager->averaged();
      append_values(line, av.defined() ? av.to_vector<double>()
                                       : std::vector<double>(static_cast<size_t>(n), std::nan("")));
    }
    out.write(line + "\n");
    return true;
  };
  const optim::ObjectiveRunResult res =
      optim::run_objective(f, x0, optim::ObjectiveRunSpec{a.optim, ohp, a.average, ahp, a.steps}, write_row);
  const double first_loss = res.first_loss, last_loss = res.last_loss;
  out.close();
  std::printf("%s on %s (%lld-D)%s%s: %lld steps, loss %.6g -> %.6g; trajectory written to %s\n", a.optim.c_str(),
              a.function.c_str(), static_cast<long long>(n), with_avg ? " with " : "", with_avg ? a.average.c_str() : "",
              static_cast<long long>(a.steps), first_loss, last_loss, a.out.c_str());
  if (!std::isfinite(last_loss)) std::fprintf(stderr, "momenta: warning: the run diverged (final loss %g)\n", last_loss);
}

std::string function_list() {
  std::string s = "Test function:";
  for (const auto& f : optim::test_functions()) s += " " + f.name;
  return s + " (momenta optim list shows their formulas and --fn-arg names)";
}

}  // namespace

void add_optimize_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "optimize",
      "Run an optimizer (and optionally a weight averager) on a built-in test function in float64 and write the "
      "trajectory as CSV: step,loss,x0..x{n-1}[,a0..a{n-1}], one row per step 0..N recorded before that step's update");
  cmd->add_option("--function", args->function, function_list())->required();
  cmd->add_option("--x0", args->x0, "Start point, comma-separated; its length is the dimension (e.g. --x0=-1.5,2)")
      ->required();
  cmd->add_option("--optim", args->optim, "Optimizer name (momenta optim list)")->required();
  cmd->add_option("--hp", args->hp, "Optimizer hyperparameter key=value (repeatable), e.g. --hp betas=0.9,0.999");
  cmd->add_option("--average", args->average, "Weight averager: ema, swa or belay (columns a0..a{n-1})");
  cmd->add_option("--avg-hp", args->avg_hp, "Averager hyperparameter key=value (repeatable), e.g. --avg-hp m1=10");
  cmd->add_option("--fn-arg", args->fn_arg, "Test-function parameter key=value (repeatable), e.g. --fn-arg b=100");
  add_number(cmd, "--steps", args->steps, "Optimizer steps N",
             {0, 1e7, false, "one CSV row per step: 1e7 rows are already gigabytes in high dimension"})
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Output CSV file")->required();
  cmd->callback([args] { run_optimize(*args); });
}

}  // namespace momenta::cli
