// What the Trainer minimises and what its evaluation measures (NOTE [objectives]).
//
// NOTE [objectives]
// The Trainer knows nothing about the task. An Objective turns a batch into the loss a step
// minimises, and a batch of held-out data into the sums an evaluation averages: the loss always,
// an accuracy when the task has one. Classification (softmax cross-entropy, or Nielsen's quadratic
// cost of the output against the one-hot label) is one objective; denoising score matching is
// another. Objectives that draw random numbers (noise levels, noise) get a Generator from the
// Trainer: in training one per global step, keyed by the run's seed, so a resumed run draws the
// same numbers as an uninterrupted one without storing any generator state; in evaluation one with
// a fixed key, so the test loss of every epoch is measured on the same noise and curves compare.
#pragma once

#include <memory>
#include <string>

#include "momenta/data/loader.h"
#include "momenta/nn/module.h"
#include "momenta/random.h"
#include "momenta/tensor.h"

namespace momenta::train {

// The sums one evaluation batch adds: loss_sum is the batch's mean loss times its sample count.
struct EvalSums {
  double loss_sum = 0.0;
  int64_t correct = 0;  // classification only
  int64_t samples = 0;
};

class Objective {
 public:
  virtual ~Objective() = default;
  // The stable name saved in run settings and model files ("cross_entropy", "quadratic", ...).
  virtual std::string name() const = 0;
  // The mean loss of a training batch; records a graph when grad mode is on.
  virtual Tensor loss(nn::Module& model, const data::Batch& batch, Generator& gen) const = 0;
  // One evaluation batch (called without a graph, the model in eval mode).
  virtual EvalSums evaluate(nn::Module& model, const data::Batch& batch, Generator& gen) const;
  // Whether evaluate() counts correct predictions (the Trainer then reports an accuracy).
  virtual bool has_accuracy() const { return false; }
};

// Classification of [B, C] outputs against int64 labels [B].
enum class Loss {
  kCrossEntropy,  // softmax cross-entropy of the logits
  kQuadratic,     // 0.5 * sum_c (output_c - onehot_c)^2, averaged over the batch (Nielsen's quadratic cost)
};
// "cross_entropy" or "quadratic"; ValueError lists the choices.
Loss parse_loss(const std::string& name);
// The batch loss of `output` [B, C] against int64 labels [B].
Tensor compute_loss(Loss loss, const Tensor& output, const Tensor& labels);
// The one-hot rows [B, C] of int64 labels [B] (on any device), in `output`'s dtype and on its
// device, `output` being [B, C]; ShapeError / ValueError (naming `what`) for a bad shape or a label
// outside [0, C).
Tensor one_hot_like(const Tensor& output, const Tensor& labels, const char* what);
// How many rows of `output` [B, C] have their largest entry at the label.
int64_t count_correct(const Tensor& output, const Tensor& labels);

class ClassificationObjective final : public Objective {
 public:
  explicit ClassificationObjective(Loss loss = Loss::kCrossEntropy) : loss_(loss) {}
  std::string name() const override;
  Tensor loss(nn::Module& model, const data::Batch& batch, Generator& gen) const override;
  EvalSums evaluate(nn::Module& model, const data::Batch& batch, Generator& gen) const override;
  bool has_accuracy() const override { return true; }
  Loss kind() const { return loss_; }

 private:
  Loss loss_;
};

// Regression: the mean squared error of the model's output against the batch's real-valued
// targets (Batch::targets, [B, T]), (1/(B T)) sum (output - target)^2. Inputs and targets are
// cast to the dtype of the model's parameters first, so a float64 model trains on the float32
// batches every dataset gives. ValueError for a batch without targets (a dataset whose
// target_numel() is 0); ShapeError when the output is not shaped like the targets.
class MeanSquaredErrorObjective final : public Objective {
 public:
  std::string name() const override { return "mse"; }
  Tensor loss(nn::Module& model, const data::Batch& batch, Generator& gen) const override;
};

}  // namespace momenta::train
