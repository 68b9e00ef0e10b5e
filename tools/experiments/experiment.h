// The experiments of `momenta reproduce`: each reproduces one figure or claim of a paper and
// writes DIR/report.md (claim, protocol as run, measured result, verdict), CSV files and SVG
// plots. An experiment has three sizes: --quick (seconds; what the test suite runs, so reports
// cannot rot), the default (minutes on 2 cores) and --full (the paper's protocol).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "momenta/device.h"

namespace momenta::cli::experiments {

enum class Size { kQuick, kDefault, kFull };

struct Options {
  std::string out_dir;
  Size size = Size::kDefault;
  std::string data_dir;  // MNIST (superacc-mnist, belay-diffusion)
  uint64_t seed = 0;
  // Where the networks of the trainer-based experiments run (belay-diffusion and the ResNet
  // tables of adai-table and ecd-table); the rest run on the CPU.
  Device device = kCPU;
  // Picks the value for the run's size.
  template <class T>
  T pick(T quick, T normal, T full) const {
    return size == Size::kQuick ? quick : size == Size::kFull ? full : normal;
  }
  const char* size_name() const { return size == Size::kQuick ? "quick" : size == Size::kFull ? "full" : "default"; }
};

enum class Verdict { kHeld, kPartly, kNotHeld, kNotRun, kNotImplemented };
const char* verdict_text(Verdict v);

struct Outcome {
  Verdict verdict = Verdict::kNotImplemented;
  std::string headline;  // one line: the number that decides the verdict
};

struct Experiment {
  std::string name;
  std::string paper;    // short citation
  std::string section;  // e.g. "Sec. 2, Fig. 1-2"
  std::string claim;    // the paper's claim, in one or two sentences
  // Empty when the experiment is registered but not written yet.
  std::function<Outcome(const Experiment&, const Options&)> run;
};

// All experiments in a fixed order (the registration functions below run once).
const std::vector<Experiment>& experiments();
// The experiment `name`; ValueError lists the known names.
const Experiment& find_experiment(const std::string& name);

// The network experiments of the super-acceleration paper (superacc_nets.cpp).
Outcome run_superacc_regression(const Experiment& e, const Options& o);
Outcome run_superacc_mnist(const Experiment& e, const Options& o);
// BELAY against EMA on a score-based diffusion model (belay_diffusion.cpp).
Outcome run_belay_diffusion(const Experiment& e, const Options& o);

// One registration function per paper (one file each).
void add_superacc_experiments(std::vector<Experiment>& out);
void add_belay_experiments(std::vector<Experiment>& out);
void add_ecd_experiments(std::vector<Experiment>& out);
void add_adai_experiments(std::vector<Experiment>& out);
void add_momentum_experiments(std::vector<Experiment>& out);
// The papers' tables scaled to 2 cores (tables.cpp).
void add_table_experiments(std::vector<Experiment>& out);

}  // namespace momenta::cli::experiments
