// The super-acceleration paper's 2-D landscape (eq. 15, Fig. 3) and RMSProp (Sec. 5, Fig. 7-8)
// experiments; registered in superacc.cpp.
#pragma once

#include "tools/experiments/experiment.h"

namespace momenta::cli::experiments {

Outcome run_superacc_2d(const Experiment& e, const Options& o);
Outcome run_superacc_rmsprop(const Experiment& e, const Options& o);

}  // namespace momenta::cli::experiments
