// An IDX file's bytes (see momenta/data/idx.h), for the IDX harness and the seed corpus.
#pragma once

#include <cstdint>
#include <vector>

namespace momenta::fuzz {

inline std::vector<uint8_t> idx_bytes(uint32_t magic, const std::vector<int64_t>& dims, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> out;
  const auto put32 = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
  };
  put32(magic);
  for (int64_t d : dims) put32(static_cast<uint32_t>(d));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

}  // namespace momenta::fuzz
