// Batch-norm statistics for weights the model was not trained at (the averages of EMA, SWA and
// BELAY): the running mean and variance in every BatchNorm2d are those of the live weights, so
// an averaged model is evaluated with statistics of other weights unless they are re-estimated
// (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima", Sec. 3.2; PyTorch's
// torch.optim.swa_utils.update_bn).
//
// NOTE [batch-norm re-estimation] recompute_batch_norm_stats resets each BatchNorm2d's running
// statistics and runs the model forward, without a graph, over training batches with each
// layer's momentum set to 1/k at the k-th batch. The buffers then hold the equal-weight mean over
// batches of the per-batch means, and of the per-batch unbiased variances, like PyTorch's
// momentum=None. Only the batch-norm layers are in training mode: every other module (dropout)
// runs as at evaluation, so the statistics are those of the inputs evaluation will see and no
// random numbers are drawn (the default generator's stream, part of a checkpoint, is untouched).
#pragma once

#include <cstdint>

#include "momenta/data/loader.h"
#include "momenta/nn/module.h"

namespace momenta::train {

// Whether any module of `model` is a BatchNorm2d.
bool has_batch_norm(nn::Module& model);

// Re-estimates the running statistics of every BatchNorm2d in `model` over the first
// `max_batches` batches (all when negative) of `loader`'s epoch `epoch` (NOTE above). Restores
// the layers' momenta and the model's training mode; returns the number of batches used. A
// model without batch norm is left alone (returns 0, runs nothing). ValueError for max_batches
// == 0.
int64_t recompute_batch_norm_stats(nn::Module& model, data::DataLoader& loader, int64_t epoch = 0,
                                   int64_t max_batches = -1);

}  // namespace momenta::train
