// Finite-difference gradient checking in float64 (DESIGN principle 5).
#include <cmath>

#include "momenta/autograd.h"
#include "momenta/ops.h"
#include "momenta/random.h"

namespace momenta {

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opts) {
  GradcheckResult res;
  for (const Tensor& in : inputs) {
    check<ValueError>(!in.defined() || !in.requires_grad() || in.dtype() == kFloat64,
                      "gradcheck: inputs that require grad must be float64, got ", dtype_name(in.dtype()));
  }
  // A fixed random projection turns any output into a scalar with a generic gradient.
  Tensor out0;
  {
    NoGradGuard ng;
    out0 = f(inputs);
  }
  Generator gen(opts.seed);
  Tensor w = randn(out0.shape(), kFloat64, gen);
  auto objective = [&](const std::vector<Tensor>& xs) { return sum(mul(f(xs), w)); };

  for (const Tensor& in : inputs)
    if (in.defined()) in.set_grad(Tensor());
  Tensor loss = objective(inputs);
  loss.backward();

  for (size_t idx = 0; idx < inputs.size(); ++idx) {
    const Tensor& x = inputs[idx];
    if (!x.defined() || !x.requires_grad()) continue;
    Tensor analytic = x.grad().defined() ? x.grad().contiguous() : Tensor::zeros(x.shape(), kFloat64);
    const std::vector<double> a = analytic.to_vector<double>();
    // Perturb element by element through a contiguous copy that replaces the input.
    Tensor base = x.detach().contiguous().clone();
    const int64_t n = base.numel();
    for (int64_t e = 0; e < n; ++e) {
      double num = 0.0;
      {
        NoGradGuard ng;
        double* p = base.data<double>();
        const double orig = p[e];
        std::vector<Tensor> xs = inputs;
        // Keep the caller's layout: copy the perturbed values into a tensor with x's strides.
        auto with_value = [&](double v) {
          p[e] = v;
          Tensor y = x.detach().clone();  // contiguous
          if (!x.is_contiguous()) {
            // rebuild the same strided view over fresh storage
            Tensor storage = Tensor::empty({static_cast<int64_t>(x.storage()->nbytes / sizeof(double))}, kFloat64);
            storage.zero_();
            y = Tensor::from_storage(storage.storage(), x.shape(), x.strides(), x.offset(), kFloat64);
          }
          y.copy_(base);
          return y;
        };
        xs[idx] = with_value(orig + opts.eps);
        const double fp = objective(xs).item();
        xs[idx] = with_value(orig - opts.eps);
        const double fm = objective(xs).item();
        p[e] = orig;
        num = (fp - fm) / (2 * opts.eps);
      }
      const double err = std::abs(num - a[e]);
      const double rel = err / std::max(std::abs(num), 1e-12);
      res.max_abs_error = std::max(res.max_abs_error, err);
      res.max_rel_error = std::max(res.max_rel_error, std::min(rel, err));
      if (err > opts.atol + opts.rtol * std::abs(num) && res.ok) {
        res.ok = false;
        res.message = str_cat("input ", idx, " element ", e, ": analytic ", a[e], " vs numeric ", num,
                              " (abs error ", err, ")");
      }
    }
  }
  return res;
}

}  // namespace momenta
