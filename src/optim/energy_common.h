// Shared pieces of the energy-conserving rules (ecdsep.cpp, bbi.cpp): the Philox seed of their
// random bounces and its checkpointed form.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>

#include "momenta/error.h"
#include "momenta/random.h"

namespace momenta::optim {

// The `seed` hyperparameter: a non-negative integer is the Philox key itself; -1 (the default)
// derives the key from the default generator's seed (`momenta train --seed S`) and a per-rule
// stream constant, so one seed fixes a whole run without reusing the initialisation's numbers.
inline uint64_t bounce_seed(const char* rule, double seed_hp, uint64_t stream) {
  check<ValueError>(seed_hp == -1.0 || (seed_hp >= 0.0 && std::floor(seed_hp) == seed_hp), rule,
                    ": hyperparameter seed=", seed_hp, " must be a non-negative integer or -1 (derive from --seed)");
  if (seed_hp >= 0.0) return static_cast<uint64_t>(seed_hp);
  uint64_t z = default_generator().seed() + stream * 0x9E3779B97F4A7C15ull;  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A Generator in scalar state: the 64-bit seed as two exact 32-bit halves, and the offset.
inline void save_generator(std::map<std::string, double>& out, const Generator& gen) {
  out["rng_seed_lo"] = static_cast<double>(gen.seed() & 0xFFFFFFFFull);
  out["rng_seed_hi"] = static_cast<double>(gen.seed() >> 32);
  out["rng_offset"] = static_cast<double>(gen.offset());
}

inline void load_generator(const std::map<std::string, double>& in, Generator& gen) {
  auto get = [&](const char* key, double fallback) {
    auto it = in.find(key);
    return it == in.end() ? fallback : it->second;
  };
  const uint64_t lo = static_cast<uint64_t>(get("rng_seed_lo", static_cast<double>(gen.seed() & 0xFFFFFFFFull)));
  const uint64_t hi = static_cast<uint64_t>(get("rng_seed_hi", static_cast<double>(gen.seed() >> 32)));
  gen.set_state((hi << 32) | lo, static_cast<uint64_t>(get("rng_offset", static_cast<double>(gen.offset()))));
}

}  // namespace momenta::optim
