// `momenta optim list`: every registered update rule and weight averager with its
// hyperparameters (name, default or "required", range, doc) and paper, and the test functions
// of `momenta optimize`.
#include <cstdio>

#include "momenta/optim/averager.h"
#include "momenta/optim/registry.h"
#include "momenta/optim/test_functions.h"
#include "momenta/parse.h"
#include "tools/cli_common.h"

namespace momenta::cli {
namespace {

// Exactly (defaults and bounds are values to pass back); the registry's +-1e300 means unbounded.
std::string number(double v) {
  if (v >= 1e299) return "inf";
  if (v <= -1e299) return "-inf";
  return format_number(v);
}

std::string values(const std::vector<double>& v, optim::HpKind kind) {
  if (kind == optim::HpKind::kBool) return v.empty() ? "" : (v[0] != 0.0 ? "true" : "false");
  std::string s;
  for (double x : v) s += (s.empty() ? "" : ",") + number(x);
  return s;
}

std::string range(const optim::HpSpec& s) {
  if (s.kind == optim::HpKind::kBool) return "true|false";
  return (s.min_exclusive ? "(" : "[") + number(s.min) + ", " + number(s.max) + "]" +
         (s.kind == optim::HpKind::kPair ? " x2" : "");
}

void print_specs(const std::vector<optim::HpSpec>& specs, const std::vector<std::string>& optional) {
  for (const auto& s : specs) {
    std::string def;
    if (s.default_value) {
      def = "default " + values(*s.default_value, s.kind);
    } else {
      bool opt = false;
      for (const auto& o : optional) opt = opt || o == s.name;
      def = opt ? "optional" : "required";
    }
    std::printf("    %-22s %-24s %-22s %s\n", s.name.c_str(), def.c_str(), range(s).c_str(), s.doc.c_str());
  }
}

void run_list() {
  std::printf("Optimizers (momenta optimize --optim NAME --hp key=value; momenta train --optim NAME):\n");
  for (const auto& name : optim::optimizer_names()) {
    const auto& info = optim::optimizer_info(name);
    std::printf("\n  %s: %s\n    paper: %s\n", info.name.c_str(), info.summary.c_str(), info.paper.c_str());
    print_specs(info.hyperparams, {});
  }
  std::printf("\nWeight averagers (momenta optimize --average NAME --avg-hp key=value):\n");
  for (const auto& name : optim::averager_names()) {
    const auto& info = optim::averager_info(name);
    std::printf("\n  %s: %s\n    paper: %s\n", info.name.c_str(), info.summary.c_str(), info.paper.c_str());
    print_specs(info.hyperparams, info.optional);
  }
  std::printf("\nTest functions (momenta optimize --function NAME --fn-arg key=value):\n");
  for (const auto& f : optim::test_functions()) {
    std::string dims = f.max_dim == f.min_dim ? std::to_string(f.min_dim) + "-D"
                                              : std::to_string(f.min_dim) + "+ dimensions";
    std::printf("\n  %s (%s): %s\n    source: %s\n", f.name.c_str(), dims.c_str(), f.formula.c_str(), f.source.c_str());
    for (const auto& arg : f.args) {
      std::string def = "default ";
      for (size_t i = 0; i < arg.default_value.size(); ++i) def += (i ? "," : "") + number(arg.default_value[i]);
      std::printf("    %-22s %-24s %s\n", arg.name.c_str(), def.c_str(), arg.doc.c_str());
    }
  }
}

}  // namespace

void add_optim_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("optim", "Inspect the optimizer registry");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand(
      "list", "List every registered update rule and weight averager with its hyperparameters and paper, and the "
              "test functions of `momenta optimize`");
  list->callback([] { run_list(); });
}

}  // namespace momenta::cli
