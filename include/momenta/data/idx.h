// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), plain or
// gzip-compressed (detected by the gzip magic bytes 0x1f 0x8b, not by the file name).
//
// Layout: a big-endian magic number 0x00 0x00 <type> <ndims>, then ndims big-endian uint32
// dimensions, then the elements in row-major order. Images are 0x00000803 (uint8 [N, rows, cols]),
// labels 0x00000801 (uint8 [N]). Only the unsigned-byte type (0x08) is read; the others are
// recognised so that the error can name them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "momenta/data/dataset.h"

namespace momenta::data {

inline constexpr uint8_t kIdxTypeUByte = 0x08;
inline constexpr uint32_t kIdxImagesMagic = 0x00000803;  // uint8 [N, rows, cols]
inline constexpr uint32_t kIdxLabelsMagic = 0x00000801;  // uint8 [N]

struct IdxArray {
  uint32_t magic = 0;
  std::vector<int64_t> dims;
  std::vector<uint8_t> bytes;  // row-major, bytes.size() == numel()

  int64_t numel() const;
};

// Reads a whole IDX file. With `expected_magic`, any other magic number is a FormatError that
// names both. Throws IOError when the file cannot be opened or read, FormatError for a wrong
// magic number, an unsupported type code, a truncated header or body, bytes past the end of the
// array, or a corrupt gzip stream. Every message starts with the file's path.
IdxArray read_idx(const std::string& path, std::optional<uint32_t> expected_magic = std::nullopt);

// Images [N, rows, cols] and labels [N] as a dataset of [N, 1, rows, cols] samples.
// `num_classes`: labels must lie in [0, num_classes); without it, max label + 1.
ImageDataset load_idx_dataset(const std::string& images_path, const std::string& labels_path,
                              std::optional<int64_t> num_classes = std::nullopt, Normalization norm = {});

}  // namespace momenta::data
