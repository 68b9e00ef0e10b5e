#include "momenta/train/objective.h"

#include "momenta/autograd.h"
#include "momenta/error.h"
#include "momenta/ops.h"

namespace momenta::train {

EvalSums Objective::evaluate(nn::Module& model, const data::Batch& batch, Generator& gen) const {
  EvalSums s;
  s.samples = batch.images.size(0);
  s.loss_sum = loss(model, batch, gen).item() * static_cast<double>(s.samples);
  return s;
}

Loss parse_loss(const std::string& name) {
  if (name == "cross_entropy") return Loss::kCrossEntropy;
  if (name == "quadratic") return Loss::kQuadratic;
  throw ValueError(str_cat("unknown loss '", excerpt(name), "' (known: cross_entropy, quadratic)"));
}

Tensor one_hot_like(const Tensor& output, const Tensor& labels, const char* what) {
  check<ShapeError>(output.dim() == 2 && labels.dim() == 1 && labels.size(0) == output.size(0), what,
                    ": expected output [B, C] and labels [B], got ", fmt(output.shape()), " and ", fmt(labels.shape()));
  const int64_t b = output.size(0), c = output.size(1);
  Tensor onehot = Tensor::zeros({b, c}, output.dtype(), kCPU);
  const std::vector<int64_t> host_labels = labels.to_vector<int64_t>();  // the labels may be on a GPU
  const int64_t* y = host_labels.data();
  dispatch_floating(output.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    T* o = onehot.data<T>();
    for (int64_t i = 0; i < b; ++i) {
      check<ValueError>(y[i] >= 0 && y[i] < c, what, ": label ", y[i], " outside [0, ", c, ")");
      o[i * c + y[i]] = T(1);
    }
  });
  return onehot.to(output.device());
}

int64_t count_correct(const Tensor& output, const Tensor& labels) {
  const auto pred = argmax(output, 1).to_vector<int64_t>();
  const std::vector<int64_t> y = labels.to_vector<int64_t>();
  int64_t right = 0;
  for (size_t i = 0; i < pred.size() && i < y.size(); ++i) right += pred[i] == y[i];
  return right;
}

Tensor compute_loss(Loss loss, const Tensor& output, const Tensor& labels) {
  if (loss == Loss::kCrossEntropy) return cross_entropy(output, labels);
  // mse_loss averages over B*C elements; the quadratic cost is 0.5*sum_c, averaged over B.
  return mse_loss(output, one_hot_like(output, labels, "quadratic loss")) * (0.5 * static_cast<double>(output.size(1)));
}

std::string ClassificationObjective::name() const { return loss_ == Loss::kCrossEntropy ? "cross_entropy" : "quadratic"; }

Tensor ClassificationObjective::loss(nn::Module& model, const data::Batch& batch, Generator& /*gen*/) const {
  return compute_loss(loss_, model(batch.images), batch.labels);
}

EvalSums ClassificationObjective::evaluate(nn::Module& model, const data::Batch& batch, Generator& /*gen*/) const {
  EvalSums s;
  s.samples = batch.labels.numel();
  Tensor out = model(batch.images);
  s.loss_sum = compute_loss(loss_, out, batch.labels).item() * static_cast<double>(s.samples);
  s.correct = count_correct(out, batch.labels);
  return s;
}

Tensor MeanSquaredErrorObjective::loss(nn::Module& model, const data::Batch& batch, Generator& /*gen*/) const {
  check<ValueError>(batch.targets.defined(), "mse objective: the batch has no targets (the dataset has labels only; "
                                             "a regression dataset gives real-valued targets)");
  const DType dt = model.arena().dtype();
  const Tensor out = model(batch.images.to(dt));
  check<ShapeError>(out.shape() == batch.targets.shape(), "mse objective: the model's output ", fmt(out.shape()),
                    " is not shaped like the targets ", fmt(batch.targets.shape()));
  return mse_loss(out, batch.targets.to(dt));
}

}  // namespace momenta::train
