// Whole-file reads for the dataset readers, with errors that name the file. The one rule of
// every reader: sizes are checked against the file before anything is allocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace momenta::data {

// The size of the regular file `path`. Throws IOError "<path>: <problem>" when it does not exist,
// is a directory or not a regular file; `what` names the expected content ("expected a CIFAR-10
// file").
uint64_t regular_file_size(const std::string& path, const std::string& what);

// The bytes of the regular file `path`. Its size is checked against `max_bytes` before reading
// (FormatError "<path>: N bytes, more than the M a <what> may hold"); IOError as above, or when
// it cannot be opened or read, or changes size while being read.
std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what, uint64_t max_bytes);

}  // namespace momenta::data
