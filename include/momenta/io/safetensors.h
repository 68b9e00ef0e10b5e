// Safetensors files (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON header, then the raw little-endian data buffer. Supported dtypes:
// F32, F64, I64. Checkpoints are written atomically (DESIGN principle 7).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "momenta/tensor.h"

namespace momenta::io {

// Writes `contents` to `path` atomically: a temporary file beside it (`path.tmp.<pid>`) is
// written, flushed, fsync'ed and renamed over `path`, so readers see the old file or the new
// one, never a torn one. Throws IOError naming the path on any failure, leaving `path` untouched.
void write_file_atomic(const std::string& path, const std::string& contents);

// Saves tensors (any device, any strides) in the given order, plus string metadata, atomically.
// Names must be unique and must not be "__metadata__" (ValueError). Throws IOError on failure.
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafetensorsFile {
  // In the order of their data in the file (the save order for files written by momenta).
  std::vector<std::pair<std::string, Tensor>> tensors;
  std::map<std::string, std::string> metadata;
  // The tensor called `name`, or null.
  const Tensor* find(const std::string& name) const;
};

struct LoadOptions {
  // Tensors whose name starts with one of these may hold +-infinity (a sentinel such as "no
  // loss seen yet"); NaN is refused everywhere.
  std::vector<std::string> infinity_allowed;
};

// Loads every tensor onto the CPU. Throws IOError when the file cannot be opened or read, and
// FormatError naming the file and the offending field when its contents are not valid: a header
// longer than the file or nested deeper than 64 levels, a key twice in one object, a dtype/shape
// whose byte length differs from its data_offsets, offsets outside the data buffer, overlapping
// or leaving gaps, metadata that is not strings, or a float tensor holding NaN or infinity
// (named with the first bad element; see `options`). Sizes are checked before allocating.
SafetensorsFile load_safetensors(const std::string& path, const LoadOptions& options = {});

// The same on a file held in memory; `name` stands for the file in messages. The entry point
// for fuzzing.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name, const LoadOptions& options = {});

}  // namespace momenta::io
