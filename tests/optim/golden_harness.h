// Golden-trajectory harness for the optimizers (tests/golden/README.md, shared/OPTIMIZERS.md).
//
// A golden file tests/golden/<name>.json holds float64 reference trajectories produced with the
// authors' reference code. This harness loads its cases, rebuilds each problem (rosenbrock,
// rosenbrock_belay, quadratic10, mlp) in float64 with the engine's own ops and autograd, its
// parameters moved into a ParamArena, runs the registry's optimizer over the golden loop and
// compares parameters (at the recorded steps), losses (every step) and any extra arrays a test
// knows how to read back, element-wise with |got - want| <= atol + rtol*|want|.
//
// The golden loop (README "How they were produced"), for t = 0..steps-1:
//   record params (and extras) if t is a recorded step; zero grads; loss = f(params);
//   loss.backward(); record loss; opt.step(StepInfo{loss, t}); record per-call extras;
//   (with a weight averager: averager.before_step() before and averager.step() after opt.step)
// then record params (and extras) after the last step and loss[N] = f(params_N).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "momenta/nn/arena.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/optimizer.h"
#include "momenta/tensor.h"

namespace momenta::golden {

// Absolute path of tests/golden/<file> (MOMENTA_TEST_DATA_DIR points at tests/).
std::string golden_path(const std::string& file);

// Reads and parses a JSON file; IOError / FormatError name the path on failure.
nlohmann::json read_json(const std::string& path);

// tests/golden/problems.json, parsed once.
const nlohmann::json& problems();

struct Tolerance {
  double atol = 0.0;
  double rtol = 0.0;
};

// One trajectory case of a golden file.
struct GoldenCase {
  std::string file;       // file stem, e.g. "adam"
  std::string optimizer;  // the file's "optimizer" field: the registry name
  std::string name;       // e.g. "adam/quadratic10/l2"
  std::string problem;    // rosenbrock | rosenbrock_belay | quadratic10 | mlp
  int64_t steps = 0;
  nlohmann::json hyperparams;  // as in the file (convert with to_hyperparams)
  std::vector<Shape> param_shapes;
  std::vector<double> x0;
  std::vector<int64_t> recorded_steps;
  std::vector<std::vector<double>> params;  // aligned with recorded_steps
  std::vector<double> loss;                 // steps + 1 values
  nlohmann::json extra;                     // the raw "extra" object (null when absent)
  Tolerance tol;
  std::string load_error;  // set (and the rest empty) when the file could not be loaded

  // A name usable as a GoogleTest parameter name: "adam/quadratic10/l2" -> "adam_quadratic10_l2".
  std::string test_name() const;
};

void PrintTo(const GoldenCase& c, std::ostream* os);  // for GoogleTest's parameter printing

// Every trajectory case of tests/golden/<stem>.json ("property_cases" are not included).
// Throws IOError / FormatError when the file is missing or malformed.
std::vector<GoldenCase> load_cases(const std::string& stem);

// Cases of several files, in order. A file that cannot be loaded yields one case carrying
// `load_error` (so that the parameterised test fails with the reason instead of vanishing).
std::vector<GoldenCase> load_cases_or_error(const std::vector<std::string>& stems);

// Converts a golden "hyperparams" object to the registry's typed values: a number -> {v},
// a list of numbers -> the list, a boolean -> {0 or 1}. A null value is left out (the rule's
// default applies); an object or a string (a wrapper's nested "base") is a ValueError.
optim::HyperParams to_hyperparams(const nlohmann::json& hp);

// A golden problem rebuilt in float64 on the CPU. Its parameters are leaf tensors that live in
// `arena` (named "x" for the one-tensor problems, "W1", "b1", "W2", "b2" for mlp). Not movable:
// an optimizer keeps a pointer to the arena.
class Problem {
 public:
  Problem(const std::string& name, const std::vector<double>& x0);
  Problem(const Problem&) = delete;
  Problem& operator=(const Problem&) = delete;

  const std::string& name() const { return name_; }
  const nn::ParamArena& arena() const { return *arena_; }
  const std::vector<std::pair<std::string, Tensor>>& params() const { return params_; }
  // f(params) as a differentiable scalar float64 tensor.
  Tensor loss() const;
  // The flat parameter values (arena order = the golden flattening).
  std::vector<double> flat_params() const;
  std::vector<double> flat_grads() const;

 private:
  std::string name_;
  std::vector<std::pair<std::string, Tensor>> params_;
  std::unique_ptr<nn::ParamArena> arena_;
  Tensor k_;     // quadratic10: the curvatures [10]
  Tensor X_, Y_;  // mlp: inputs [16, 4] (float64), labels [16] (int64)
};

// Reads back an extra array (e.g. "theta") after the given number of optimizer steps.
using ExtraFn = std::function<std::vector<double>(const optim::Optimizer&, const Problem&)>;
// Reads back an extra array of a weight averager (e.g. "avg_params", "w2"); an empty row stands
// for "no average yet" (compared against null rows, which are skipped).
using AveragerExtraFn = std::function<std::vector<double>(const optim::Averager&)>;

struct RunOptions {
  // Getters for the case's "extra" arrays, by name. Extras in the file without a getter are
  // not compared (compare() lists them as skipped).
  std::map<std::string, ExtraFn> extras;
  // Getters for "extra" arrays with one entry per step() call (N values, e.g. ECDSep-F0-tuning's
  // f0_shift and updated), read right after each call. Booleans in the file compare as 0/1.
  std::map<std::string, ExtraFn> per_call_extras;
  // Makes the optimizer; default: optim::make_optimizer(c.optimizer, arena, to_hyperparams(...)).
  std::function<std::unique_ptr<optim::Optimizer>(const GoldenCase&, const nn::ParamArena&)> make;
  // Wrapper files (ema, swa, belay): makes a weight averager, built right after the optimizer
  // (on x0) and stepped around it: before_step(); opt.step(); step() (optim/averager.h).
  std::function<std::unique_ptr<optim::Averager>(const GoldenCase&, const nn::ParamArena&)> make_averager;
  std::map<std::string, AveragerExtraFn> averager_extras;  // read at the recorded steps
};

// Wrapper files nest the inner optimizer as hyperparams.base = {name, hyperparameters...}.
// make_base_optimizer builds that optimizer; make_wrapper_averager builds the averager named by
// the file's "optimizer" field from the other hyperparameters (null values left out).
std::unique_ptr<optim::Optimizer> make_base_optimizer(const GoldenCase& c, const nn::ParamArena& arena);
std::unique_ptr<optim::Averager> make_wrapper_averager(const GoldenCase& c, const nn::ParamArena& arena);

struct Trajectory {
  std::vector<std::vector<double>> params;                    // aligned with recorded_steps
  std::vector<double> loss;                                   // steps + 1 values
  std::map<std::string, std::vector<std::vector<double>>> extra;  // aligned with recorded_steps
  std::map<std::string, std::vector<std::vector<double>>> per_call_extra = {};  // one row per step() call
};

// Runs the golden loop for one case.
Trajectory run_case(const GoldenCase& c, const RunOptions& opts = {});

// The worst element of one compared series.
struct SeriesDeviation {
  std::string series;       // "params", "loss", "extra.theta"
  double max_abs = 0.0;     // largest |got - want|
  int64_t abs_step = -1, abs_index = -1;
  double worst_ratio = 0.0;  // largest |got - want| / (atol + rtol*|want|); > 1 fails
  int64_t ratio_step = -1, ratio_index = -1;
  double got = 0.0, want = 0.0;  // at the worst ratio
  int64_t failures = 0;          // elements out of tolerance
  int64_t compared = 0;
};

struct Comparison {
  bool ok = true;
  std::vector<SeriesDeviation> series;
  std::vector<std::string> skipped_extras;
  std::string structural_error;  // length mismatch and the like
  double max_abs() const;        // over every series
  // Multi-line report: per series the worst deviation with case name, step and index.
  std::string report(const GoldenCase& c) const;
};

Comparison compare(const GoldenCase& c, const Trajectory& got);

// Runs the case and records GoogleTest failures (with the worst deviation) when it does not
// match; call from inside a test. Each rule's test file instantiates its own cases with it.
void expect_golden_match(const GoldenCase& c, const RunOptions& options = {});

}  // namespace momenta::golden
