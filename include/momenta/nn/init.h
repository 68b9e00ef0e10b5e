// Parameter initialisers (in place, outside autograd). fan_in/fan_out of a weight [out, in, ...]
// are in*receptive and out*receptive.
#pragma once

#include "momenta/nn/module.h"
#include "momenta/random.h"

namespace momenta::nn::init {

// He et al. 2015: std = gain/sqrt(fan_in), gain = sqrt(2) for ReLU.
void kaiming_normal_(const Tensor& w, Generator& gen = default_generator(), double gain = 1.4142135623730951);
void kaiming_uniform_(const Tensor& w, Generator& gen = default_generator(), double gain = 1.4142135623730951);
// Glorot & Bengio 2010: std = gain*sqrt(2/(fan_in+fan_out)).
void xavier_normal_(const Tensor& w, Generator& gen = default_generator(), double gain = 1.0);
void xavier_uniform_(const Tensor& w, Generator& gen = default_generator(), double gain = 1.0);
// The super-acceleration paper's init (Nakerst et al., Sec. 3): every bias ~ N(0, 1), every
// weight ~ N(0, 1/fan_in). Applied to all parameters named "*weight" / "*bias" of a module.
void superacc_init(Module& m, Generator& gen = default_generator());
// Kaiming-normal weights and zero biases for every parameter named "*weight" / "*bias".
void kaiming_init(Module& m, Generator& gen = default_generator());
void xavier_init(Module& m, Generator& gen = default_generator());

int64_t fan_in(const Tensor& w);
int64_t fan_out(const Tensor& w);

}  // namespace momenta::nn::init
