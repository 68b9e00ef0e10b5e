// Read access to the state of the energy-conserving rules (ECDSep, BBI; OPTIMIZERS.md Sections
// 15-16) for diagnostics, plots and tests. The rules themselves are created through the
// registry ("ecdsep", "ecdsep_f0tuning", "bbi").
#pragma once

#include "momenta/optim/optimizer.h"
#include "momenta/tensor.h"

namespace momenta::optim {

// ECDSep's momentum Pi, flat like the arena. ECDSep keeps Pi as a bounce direction u and two
// norms (NOTE [ECDSep passes] in kernels/optim_rules_energy.h); this forms Pi = (|Pi|*u)/|u|,
// the values the next step starts from. Zero before the first step. ValueError when `opt` is
// not an ECDSep optimizer.
Tensor ecdsep_momentum(const Optimizer& opt);

// BBI's momentum Pi, flat like the arena (a copy). Zero before the first step. ValueError when
// `opt` is not a BBI optimizer.
Tensor bbi_momentum(const Optimizer& opt);

}  // namespace momenta::optim
