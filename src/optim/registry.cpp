#include "momenta/optim/registry.h"

#include "momenta/optim/schedule.h"
#include "momenta/parse.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace momenta::optim {
namespace {

std::map<std::string, OptimizerInfo>& table() {
  static std::map<std::string, OptimizerInfo> t;
  return t;
}

void register_builtin();  // defined at the bottom: one line per rule

void ensure_builtin() {
  static const bool done = (register_builtin(), true);
  (void)done;
}

std::vector<double> parse_value(const std::string& rule, const HpSpec& spec, const std::string& text) {
  if (spec.kind == HpKind::kBool) {
    if (text == "true" || text == "1") return {1.0};
    if (text == "false" || text == "0") return {0.0};
    throw ValueError(str_cat(rule, ": hyperparameter ", spec.name, "='", excerpt(text), "' is not a boolean (true or false)"));
  }
  return parse_number_list(text, str_cat(rule, ": hyperparameter ", spec.name));
}

void validate(const std::string& rule, const HpSpec& spec, const std::vector<double>& v) {
  const size_t want = spec.kind == HpKind::kPair ? 2 : 1;
  check<ValueError>(v.size() == want, rule, ": hyperparameter ", spec.name, " takes ", want, " value",
                    want == 1 ? "" : "s", ", got ", v.size());
  if (spec.kind == HpKind::kBool) return;
  for (double x : v) {
    const bool low_ok = spec.min_exclusive ? x > spec.min : x >= spec.min;
    check<ValueError>(low_ok && x <= spec.max && x == x, rule, ": hyperparameter ", spec.name, "=", format_number(x),
                      " is out of range: expected ", spec.min_exclusive ? "(" : "[", format_number(spec.min), ", ",
                      format_number(spec.max), "]");
  }
}

const HpSpec* find_spec(const OptimizerInfo& info, const std::string& key) {
  for (const auto& s : info.hyperparams)
    if (s.name == key) return &s;
  std::string known;
  for (const auto& s : info.hyperparams) known += (known.empty() ? "" : ", ") + s.name;
  throw ValueError(str_cat(info.name, ": unknown hyperparameter '", excerpt(key), "' (expected one of: ", known, ")"));
}

}  // namespace

void register_optimizer(OptimizerInfo info) {
  std::string key = info.name;
  table()[key] = std::move(info);
}

const OptimizerInfo& optimizer_info(const std::string& name) {
  ensure_builtin();
  auto it = table().find(name);
  if (it != table().end()) return it->second;
  std::string known;
  for (const auto& [n, i] : table()) known += (known.empty() ? "" : ", ") + n;
  throw ValueError(str_cat("unknown optimizer '", excerpt(name), "' (known: ", known, ")"));
}

std::vector<std::string> optimizer_names() {
  ensure_builtin();
  std::vector<std::string> out;
  for (const auto& [n, i] : table()) out.push_back(n);
  return out;
}

HyperParams resolve_hyperparams(const OptimizerInfo& info, const HyperParams& given) {
  for (const auto& [k, v] : given) find_spec(info, k);
  HyperParams out;
  for (const auto& spec : info.hyperparams) {
    auto it = given.find(spec.name);
    if (it != given.end()) {
      out[spec.name] = it->second;
    } else {
      check<ValueError>(spec.default_value.has_value(), info.name, ": hyperparameter ", spec.name,
                        " is required (", spec.doc, ")");
      out[spec.name] = *spec.default_value;
    }
    validate(info.name, spec, out[spec.name]);
  }
  return out;
}

HyperParams resolve_hyperparams(const OptimizerInfo& info, const std::map<std::string, std::string>& given) {
  HyperParams typed;
  for (const auto& [k, text] : given) typed[k] = parse_value(info.name, *find_spec(info, k), text);
  return resolve_hyperparams(info, typed);
}

void validate_hp_schedule(const OptimizerInfo& info, const HpSchedule& schedule) {
  const HpSpec& spec = *find_spec(info, schedule.key);
  check<ValueError>(spec.kind == HpKind::kReal, info.name, ": hyperparameter ", spec.name,
                    " is not a single real number and cannot be scheduled");
  // Linear and half-cosine moves stay between start and end, so checking both checks the path.
  validate(info.name, spec, {schedule.start});
  validate(info.name, spec, {schedule.end});
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const nn::ParamArena& arena,
                                          const std::map<std::string, std::string>& given) {
  const OptimizerInfo& info = optimizer_info(name);
  return info.make(arena, resolve_hyperparams(info, given));
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const nn::ParamArena& arena,
                                          const HyperParams& given) {
  const OptimizerInfo& info = optimizer_info(name);
  return info.make(arena, resolve_hyperparams(info, given));
}

// ---- built-in rules ----
void register_sgd_family();
void register_adam_family();
void register_adai_family();
void register_ecdsep_family();
void register_bbi_family();
void register_super_accel_family();
void register_adabound();
void register_padam();
void register_yogi();
void register_radam();

namespace {
void register_builtin() {
  register_sgd_family();
  register_adam_family();
  register_adai_family();
  register_ecdsep_family();
  register_bbi_family();
  register_super_accel_family();
  register_adabound();
  register_padam();
  register_yogi();
  register_radam();
}
}  // namespace

}  // namespace momenta::optim

namespace momenta::optim {

void apply_param_groups(Optimizer& opt, std::vector<ParamGroup> groups) {
  const OptimizerInfo& info = optimizer_info(opt.name());
  for (const auto& g : groups) {
    try {
      for (const auto& [k, v] : g.hp) validate(info.name, *find_spec(info, k), v);
    } catch (const ValueError& e) {
      throw ValueError(str_cat("parameter group '", g.name, "': ", e.what()));
    }
  }
  opt.set_groups(std::move(groups));
}

}  // namespace momenta::optim
