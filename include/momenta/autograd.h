// Define-by-run reverse-mode autograd (DESIGN principle 5).
//
// Each op that needs a gradient records a Node: a closure holding what its backward needs and
// one edge per input. An edge points at the node that made the input, or, for a leaf that
// requires a gradient, at the leaf itself (its gradient is accumulated into `.grad`).
// `Tensor::backward()` walks the nodes in reverse topological order.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "momenta/tensor.h"

namespace momenta {

struct Edge {
  std::shared_ptr<Node> node;          // set for a non-leaf input
  std::shared_ptr<TensorImpl> leaf;    // set for a leaf input that requires grad
  bool valid() const { return node != nullptr || leaf != nullptr; }
};

// Maps the gradient of the output to one gradient per input (an undefined Tensor for an input
// that needs none). Each returned gradient has its input's shape.
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_out)>;

struct Node {
  const char* name = "";
  std::vector<Edge> next;
  BackwardFn backward;
};

// Whether ops record graph nodes (thread-local; on by default).
bool grad_mode_enabled();

// Turns recording off for its lifetime (evaluation, optimizer steps, backward itself).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// True when grad mode is on and any input requires a gradient.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Records `out` as made by `name` from `inputs`, with `fn` as its backward.
void attach_grad_fn(Tensor& out, const char* name, const std::vector<Tensor>& inputs, BackwardFn fn);

// Runs the backward pass from `root` seeded with `grad` (ones for a scalar when undefined).
void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

// ---- gradient checking (float64 central differences) ----
struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0.0;
  double max_rel_error = 0.0;
  std::string message;  // which input and element failed, with both values
};

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-7;
  double rtol = 1e-5;
  uint64_t seed = 1234;  // for the random projection of a non-scalar output
};

// Compares the autograd gradient of sum(w * f(inputs)) (w fixed random) with central
// differences, for every input that requires grad. Inputs must be float64.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opts = {});

}  // namespace momenta
