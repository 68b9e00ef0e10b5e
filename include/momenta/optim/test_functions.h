// Built-in test functions for studying optimizers (`momenta optimize`). Each is written with the
// engine's differentiable ops, so autograd supplies the gradient; the dimension is taken from the
// start point. Parameters of a function ("a", "b", "k", ...) are runtime values with defaults.
//
// Sources and the decisions where a paper could not be checked are in src/optim/test_functions.cpp
// (one comment per function) and in the `doc` of each entry, which `momenta optim list` prints.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "momenta/tensor.h"

namespace momenta::optim {

struct TestFunctionArg {
  std::string name;
  std::vector<double> default_value;  // empty: one value per dimension is derived (see doc)
  bool per_dimension = false;         // takes 1 value (broadcast) or one per dimension
  std::string doc;
};

struct TestFunctionInfo {
  std::string name;
  std::string formula;  // one line
  std::string source;   // where it comes from
  int64_t min_dim = 1;
  int64_t max_dim = -1;  // -1: any dimension >= min_dim
  std::vector<TestFunctionArg> args;
};

// Every built-in function, in a fixed order.
const std::vector<TestFunctionInfo>& test_functions();
// The entry for `name`; ValueError lists the known names.
const TestFunctionInfo& test_function_info(const std::string& name);

// A scalar objective f(x) of a 1-D float64 tensor x with `dim` elements, differentiable through
// the engine's ops. `args` are "name" -> comma-separated numbers; unknown names, wrong counts and
// a dimension the function does not take are ValueErrors that say what was expected.
using Objective = std::function<Tensor(const Tensor& x)>;
Objective make_test_function(const std::string& name, int64_t dim, const std::map<std::string, std::string>& args);

}  // namespace momenta::optim
