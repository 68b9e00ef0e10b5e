// The score model that the denoising score-matching loss and the samplers take.
//
// A ScoreFn maps a batch x [N, ...] and its times t [N] (dtype of x, on the CPU or x's device)
// to the score grad_x log p_t(x) [N, ...], same shape as x. An analytic score (a Gaussian's, in
// the tests) and a network both fit. For a network that predicts std(t) * score, the
// convention of NCSNv2 (Technique 3, s(x, sigma) = s(x) / sigma) and of the PyTorch twin
// (bench/pytorch/diffusion_unet.py: `return self.out(h) / marginal_std(t)`), wrap it with
// score_from_network.
#pragma once

#include <functional>

#include "momenta/diffusion/noise_process.h"
#include "momenta/tensor.h"

namespace momenta::diffusion {

using ScoreFn = std::function<Tensor(const Tensor& x, const Tensor& t)>;

// score(x, t) = net(x, t) / std(t), each sample divided by its own std. The process is held by
// reference and must outlive the returned function.
ScoreFn score_from_network(ScoreFn net, const NoiseProcess& process);

// score(x, t) = factor * inner(x, t): for tests that check a sampler notices a wrong score.
ScoreFn scaled_score(ScoreFn inner, double factor);

}  // namespace momenta::diffusion
