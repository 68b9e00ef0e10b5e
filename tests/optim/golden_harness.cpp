#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include "optim/golden_harness.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>

#include "momenta/autograd.h"
#include "momenta/error.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"

#ifndef MOMENTA_TEST_DATA_DIR
#error "MOMENTA_TEST_DATA_DIR must point at the tests/ directory"
#endif

namespace momenta::golden {

using nlohmann::json;

std::string golden_path(const std::string& file) { return std::string(MOMENTA_TEST_DATA_DIR) + "/golden/" + file; }

json read_json(const std::string& path) {
  std::ifstream in(path);
  check<IOError>(in.good(), "golden: cannot open ", path);
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw FormatError(str_cat("golden: ", path, " is not valid JSON: ", e.what()));
  }
}

const json& problems() {
  static const json p = read_json(golden_path("problems.json"));
  return p;
}

// ---------------------------------------------------------------------------------------------
// Cases

std::string GoldenCase::test_name() const {
  std::string out;
  for (char ch : name) out += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return out.empty() ? std::string("unnamed") : out;
}

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

namespace {

std::vector<double> doubles(const json& j) {
  std::vector<double> out;
  out.reserve(j.size());
  for (const auto& v : j) out.push_back(v.get<double>());
  return out;
}

GoldenCase parse_case(const std::string& stem, const std::string& optimizer, const json& jc) {
  GoldenCase c;
  c.file = stem;
  c.optimizer = optimizer;
  c.name = jc.at("name").get<std::string>();
  try {
    c.problem = jc.at("problem").get<std::string>();
    c.steps = jc.at("steps").get<int64_t>();
    c.hyperparams = jc.at("hyperparams");
    for (const auto& s : jc.at("param_shapes")) c.param_shapes.push_back(s.get<Shape>());
    c.x0 = doubles(jc.at("x0"));
    c.recorded_steps = jc.at("recorded_steps").get<std::vector<int64_t>>();
    for (const auto& p : jc.at("params")) c.params.push_back(doubles(p));
    c.loss = doubles(jc.at("loss"));
    if (jc.contains("extra")) c.extra = jc.at("extra");
    c.tol.atol = jc.at("tolerance").at("atol").get<double>();
    c.tol.rtol = jc.at("tolerance").at("rtol").get<double>();
  } catch (const json::exception& e) {
    throw FormatError(str_cat("golden: ", stem, ".json case '", c.name, "' is malformed: ", e.what()));
  }
  check<FormatError>(std::is_sorted(c.recorded_steps.begin(), c.recorded_steps.end()), "golden: case '", c.name,
                     "': recorded_steps are not ascending");
  return c;
}

}  // namespace

std::vector<GoldenCase> load_cases(const std::string& stem) {
  const std::string path = golden_path(stem + ".json");
  const json doc = read_json(path);
  std::vector<GoldenCase> out;
  std::string optimizer;
  try {
    optimizer = doc.at("optimizer").get<std::string>();
    for (const auto& jc : doc.at("cases")) out.push_back(parse_case(stem, optimizer, jc));
  } catch (const json::exception& e) {
    throw FormatError(str_cat("golden: ", path, " is malformed: ", e.what()));
  }
  check<FormatError>(!out.empty(), "golden: ", path, " has no cases");
  return out;
}

std::vector<GoldenCase> load_cases_or_error(const std::vector<std::string>& stems) {
  std::vector<GoldenCase> out;
  for (const auto& stem : stems) {
    try {
      auto cases = load_cases(stem);
      out.insert(out.end(), cases.begin(), cases.end());
    } catch (const std::exception& e) {
      GoldenCase c;
      c.file = stem;
      c.name = stem + "/load_error";
      c.load_error = e.what();
      out.push_back(std::move(c));
    }
  }
  return out;
}

optim::HyperParams to_hyperparams(const json& hp) {
  check<ValueError>(hp.is_object(), "golden: hyperparams must be an object, got ", hp.dump());
  optim::HyperParams out;
  for (const auto& [key, v] : hp.items()) {
    if (v.is_null()) continue;  // e.g. BELAY c1 = null: the rule's default applies
    if (v.is_boolean()) {
      out[key] = {v.get<bool>() ? 1.0 : 0.0};
    } else if (v.is_number()) {
      out[key] = {v.get<double>()};
    } else if (v.is_array()) {
      std::vector<double> list;
      for (const auto& x : v) {
        check<ValueError>(x.is_number(), "golden: hyperparameter '", key, "' holds a non-number: ", v.dump());
        list.push_back(x.get<double>());
      }
      out[key] = std::move(list);
    } else {
      throw ValueError(str_cat("golden: hyperparameter '", key, "' = ", v.dump(),
                               " is not a number, list or boolean (a wrapper's nested optimizer needs its own "
                               "conversion)"));
    }
  }
  return out;
}

std::unique_ptr<optim::Optimizer> make_base_optimizer(const GoldenCase& c, const nn::ParamArena& arena) {
  check<ValueError>(c.hyperparams.is_object() && c.hyperparams.contains("base") && c.hyperparams.at("base").is_object(),
                    "golden: case '", c.name, "' has no nested base optimizer (hyperparams.base)");
  json base = c.hyperparams.at("base");
  check<ValueError>(base.contains("name") && base.at("name").is_string(), "golden: case '", c.name,
                    "': hyperparams.base has no name");
  const std::string name = base.at("name").get<std::string>();
  base.erase("name");
  return optim::make_optimizer(name, arena, to_hyperparams(base));
}

std::unique_ptr<optim::Averager> make_wrapper_averager(const GoldenCase& c, const nn::ParamArena& arena) {
  json hp = c.hyperparams;
  hp.erase("base");
  return optim::make_averager(c.optimizer, arena, to_hyperparams(hp));
}

// ---------------------------------------------------------------------------------------------
// Problems

Problem::Problem(const std::string& name, const std::vector<double>& x0) : name_(name) {
  const json& all = problems().at("problems");
  check<ValueError>(all.contains(name), "golden: unknown problem '", name, "'");
  const json& pj = all.at(name);
  std::vector<std::string> names;
  if (name == "mlp") {
    names = {"W1", "b1", "W2", "b2"};
  } else {
    check<ValueError>(name == "rosenbrock" || name == "rosenbrock_belay" || name == "quadratic10",
                      "golden: the harness does not know how to build problem '", name, "'");
    names = {"x"};
  }
  const auto shapes = pj.at("param_shapes").get<std::vector<Shape>>();
  check<ValueError>(shapes.size() == names.size(), "golden: problem '", name, "' has ", shapes.size(),
                    " parameter tensors, expected ", names.size());
  int64_t total = 0;
  for (const auto& s : shapes) total += shape_numel(s);
  check<ValueError>(static_cast<int64_t>(x0.size()) == total, "golden: problem '", name, "' has ", total,
                    " parameters, x0 has ", x0.size());
  int64_t off = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    const int64_t n = shape_numel(shapes[i]);
    std::vector<double> vals(x0.begin() + off, x0.begin() + off + n);
    Tensor t = Tensor::from_vector<double>(vals, shapes[i]);
    t.set_requires_grad(true);
    params_.emplace_back(names[i], t);
    off += n;
  }
  arena_ = std::make_unique<nn::ParamArena>(params_, kFloat64, kCPU);

  if (name == "quadratic10") {
    k_ = Tensor::from_vector<double>(doubles(pj.at("k")));
    check<ValueError>(k_.numel() == shape_numel(shapes[0]), "golden: quadratic10 has ", k_.numel(),
                      " curvatures for ", shape_numel(shapes[0]), " parameters");
  } else if (name == "mlp") {
    const json& jx = pj.at("X");
    std::vector<double> xs;
    for (const auto& row : jx)
      for (const auto& v : row) xs.push_back(v.get<double>());
    const int64_t rows = static_cast<int64_t>(jx.size());
    X_ = Tensor::from_vector<double>(xs, {rows, static_cast<int64_t>(xs.size()) / std::max<int64_t>(rows, 1)});
    Y_ = Tensor::from_vector<int64_t>(pj.at("Y").get<std::vector<int64_t>>(), {rows});
  }
}

Tensor Problem::loss() const {
  if (name_ == "rosenbrock" || name_ == "rosenbrock_belay") {
    const Tensor& p = params_[0].second;
    const Tensor x = p.slice(0, 0, 1), y = p.slice(0, 1, 2);
    if (name_ == "rosenbrock") return (square(1.0 - x) + 100.0 * square(y - square(x))).sum();  // (1-x)^2+100(y-x^2)^2
    return (square(0.0 - x) + 100.0 * square(x - square(y))).sum();                           // (0-x)^2+100(x-y^2)^2
  }
  if (name_ == "quadratic10") return 0.5 * sum(k_ * square(params_[0].second));
  // mlp: h = tanh(X W1^T + b1); logits = h W2^T + b2; mean cross-entropy.
  const Tensor h = tanh(linear(X_, params_[0].second, params_[1].second));
  const Tensor logits = linear(h, params_[2].second, params_[3].second);
  return cross_entropy(logits, Y_);
}

std::vector<double> Problem::flat_params() const { return arena_->params().to_vector<double>(); }
std::vector<double> Problem::flat_grads() const { return arena_->grads().to_vector<double>(); }

// ---------------------------------------------------------------------------------------------
// The golden loop

Trajectory run_case(const GoldenCase& c, const RunOptions& opts) {
  check<ValueError>(c.load_error.empty(), c.load_error);
  Problem prob(c.problem, c.x0);
  const auto& entries = prob.arena().entries();
  check<ValueError>(entries.size() == c.param_shapes.size(), "golden: case '", c.name, "' has ",
                    c.param_shapes.size(), " parameter tensors, problem '", c.problem, "' has ", entries.size());
  for (size_t i = 0; i < entries.size(); ++i)
    check<ValueError>(entries[i].shape == c.param_shapes[i], "golden: case '", c.name, "': parameter ", i, " is ",
                      shape_str(c.param_shapes[i]), " in the file, ", shape_str(entries[i].shape), " in the problem");
  std::unique_ptr<optim::Optimizer> opt =
      opts.make ? opts.make(c, prob.arena())
                : optim::make_optimizer(c.optimizer, prob.arena(), to_hyperparams(c.hyperparams));
  std::unique_ptr<optim::Averager> avg = opts.make_averager ? opts.make_averager(c, prob.arena()) : nullptr;
  const std::set<int64_t> recorded(c.recorded_steps.begin(), c.recorded_steps.end());
  Trajectory tr;
  auto record = [&] {
    tr.params.push_back(prob.flat_params());
    for (const auto& [key, fn] : opts.extras) tr.extra[key].push_back(fn(*opt, prob));
    for (const auto& [key, fn] : opts.averager_extras) tr.extra[key].push_back(avg ? fn(*avg) : std::vector<double>{});
  };
  for (int64_t t = 0; t < c.steps; ++t) {
    if (recorded.count(t)) record();
    prob.arena().zero_grad();
    const Tensor loss = prob.loss();
    loss.backward();
    const double value = loss.item();
    tr.loss.push_back(value);
    if (avg) avg->before_step();
    opt->step(optim::StepInfo{value, t});
    if (avg) avg->step(optim::StepInfo{value, t});
    for (const auto& [key, fn] : opts.per_call_extras) tr.per_call_extra[key].push_back(fn(*opt, prob));
  }
  if (recorded.count(c.steps)) record();
  {
    NoGradGuard ng;
    tr.loss.push_back(prob.loss().item());
  }
  return tr;
}

// ---------------------------------------------------------------------------------------------
// Comparison

namespace {

void compare_value(SeriesDeviation& s, const Tolerance& tol, int64_t step, int64_t index, double got, double want) {
  const double diff = std::fabs(got - want);
  const double allowed = tol.atol + tol.rtol * std::fabs(want);
  double ratio;
  if (std::isnan(diff)) ratio = std::numeric_limits<double>::infinity();
  else if (allowed > 0.0) ratio = diff / allowed;
  else ratio = diff > 0.0 ? std::numeric_limits<double>::infinity() : 0.0;
  ++s.compared;
  if (!(diff <= allowed)) ++s.failures;
  const double d = std::isnan(diff) ? std::numeric_limits<double>::infinity() : diff;
  if (s.abs_step < 0 || d > s.max_abs) {
    s.max_abs = d;
    s.abs_step = step;
    s.abs_index = index;
  }
  if (s.ratio_step < 0 || ratio > s.worst_ratio) {
    s.worst_ratio = ratio;
    s.ratio_step = step;
    s.ratio_index = index;
    s.got = got;
    s.want = want;
  }
}

// Compares rows aligned with recorded_steps. A null wanted row (e.g. SWA before the first
// average) is skipped; a number is a one-element row.
// `steps` labels the rows: recorded_steps, or 1..N for per-call extras (row j after call j+1).
void compare_rows(Comparison& cmp, const GoldenCase& c, const std::string& series, const json* want_json,
                  const std::vector<std::vector<double>>* want_rows, const std::vector<std::vector<double>>& got,
                  const std::vector<int64_t>& steps) {
  SeriesDeviation s;
  s.series = series;
  const size_t n = want_json ? want_json->size() : want_rows->size();
  if (n != steps.size() || got.size() != n) {
    cmp.structural_error += str_cat(series, ": expected ", steps.size(), " rows, the file has ",
                                    n, ", the run produced ", got.size(), "\n");
    cmp.ok = false;
    return;
  }
  for (size_t j = 0; j < n; ++j) {
    std::vector<double> want;
    if (want_json) {
      const json& row = (*want_json)[j];
      if (row.is_null()) continue;
      if (row.is_boolean()) want = {row.get<bool>() ? 1.0 : 0.0};
      else if (row.is_number()) want = {row.get<double>()};
      else want = doubles(row);
    } else {
      want = (*want_rows)[j];
    }
    if (got[j].size() != want.size()) {
      cmp.structural_error += str_cat(series, " at step ", steps[j], ": expected ", want.size(),
                                      " values, the run produced ", got[j].size(), "\n");
      cmp.ok = false;
      continue;
    }
    for (size_t i = 0; i < want.size(); ++i)
      compare_value(s, c.tol, steps[j], static_cast<int64_t>(i), got[j][i], want[i]);
  }
  if (s.failures > 0) cmp.ok = false;
  cmp.series.push_back(s);
}

}  // namespace

Comparison compare(const GoldenCase& c, const Trajectory& got) {
  Comparison cmp;
  compare_rows(cmp, c, "params", nullptr, &c.params, got.params, c.recorded_steps);

  SeriesDeviation ls;
  ls.series = "loss";
  if (got.loss.size() != c.loss.size() || c.loss.size() != static_cast<size_t>(c.steps + 1)) {
    cmp.structural_error += str_cat("loss: expected ", c.steps + 1, " values, the file has ", c.loss.size(),
                                    ", the run produced ", got.loss.size(), "\n");
    cmp.ok = false;
  } else {
    for (size_t t = 0; t < c.loss.size(); ++t) compare_value(ls, c.tol, static_cast<int64_t>(t), 0, got.loss[t], c.loss[t]);
    if (ls.failures > 0) cmp.ok = false;
    cmp.series.push_back(ls);
  }

  if (c.extra.is_object()) {
    for (const auto& [key, want] : c.extra.items()) {
      auto it = got.extra.find(key);
      if (it != got.extra.end()) {
        compare_rows(cmp, c, "extra." + key, &want, nullptr, it->second, c.recorded_steps);
        continue;
      }
      auto pc = got.per_call_extra.find(key);
      if (pc != got.per_call_extra.end()) {
        std::vector<int64_t> calls(static_cast<size_t>(c.steps));
        for (int64_t t = 0; t < c.steps; ++t) calls[static_cast<size_t>(t)] = t + 1;
        compare_rows(cmp, c, "extra." + key, &want, nullptr, pc->second, calls);
        continue;
      }
      cmp.skipped_extras.push_back(key);
    }
  }
  return cmp;
}

double Comparison::max_abs() const {
  double m = 0.0;
  for (const auto& s : series) m = std::max(m, s.max_abs);
  return m;
}

std::string Comparison::report(const GoldenCase& c) const {
  std::ostringstream os;
  os << std::setprecision(3);
  os << c.name << " (" << c.file << ".json, problem " << c.problem << ", " << c.steps
     << " steps, atol=" << c.tol.atol << ", rtol=" << c.tol.rtol << "): " << (ok ? "ok" : "FAILED") << "\n";
  if (!structural_error.empty()) os << "  structure: " << structural_error;
  for (const auto& s : series) {
    os << "  " << std::left << std::setw(12) << s.series << std::right << " max |got-want| = " << s.max_abs
       << " (step " << s.abs_step << ", index " << s.abs_index << ")";
    if (s.failures > 0) {
      os << std::setprecision(17) << "; " << s.failures << " of " << s.compared
         << " out of tolerance, worst at step " << s.ratio_step << ", index " << s.ratio_index << ": got " << s.got
         << ", want " << s.want << std::setprecision(3) << " (|dev| = " << std::fabs(s.got - s.want)
         << ", " << s.worst_ratio << "x the allowed " << c.tol.atol + c.tol.rtol * std::fabs(s.want) << ")";
    } else {
      os << ", worst " << s.worst_ratio << "x the tolerance";
    }
    os << "\n";
  }
  if (!skipped_extras.empty()) {
    os << "  not compared (no getter): extra.";
    for (size_t i = 0; i < skipped_extras.size(); ++i) os << (i ? ", extra." : "") << skipped_extras[i];
    os << "\n";
  }
  return os.str();
}

void expect_golden_match(const GoldenCase& c, const RunOptions& options) {
  ASSERT_TRUE(c.load_error.empty()) << c.load_error;
  Trajectory got;
  try {
    got = run_case(c, options);
  } catch (const std::exception& e) {
    FAIL() << c.name << ": the run threw: " << e.what();
  }
  const Comparison cmp = compare(c, got);
  std::ostringstream dev;
  dev.precision(3);
  dev << cmp.max_abs();
  ::testing::Test::RecordProperty("max_abs_dev", dev.str());
  for (const auto& s : cmp.series) {
    std::ostringstream v;
    v.precision(3);
    v << s.max_abs;
    ::testing::Test::RecordProperty("max_abs_dev_" + s.series, v.str());
  }
  std::cout << "[ golden   ] " << c.name << ": max |got-want| = " << dev.str();
  for (const auto& s : cmp.series) std::cout << "  " << s.series << " " << s.max_abs;
  std::cout << std::endl;
  EXPECT_TRUE(cmp.ok) << cmp.report(c);
}

}  // namespace momenta::golden
