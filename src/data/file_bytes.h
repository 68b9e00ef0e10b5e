// Whole-file reads for the dataset readers, with errors that name the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace momenta::data {

// The bytes of the regular file `path`. Throws IOError "<path>: <problem>" when it does not
// exist, is a directory, or cannot be opened or read; `what` names the expected content in the
// directory case ("expected a CIFAR-10 file").
std::vector<uint8_t> read_file_bytes(const std::string& path, const std::string& what);

}  // namespace momenta::data
