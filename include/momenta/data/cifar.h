// The binary versions of CIFAR-10 and CIFAR-100 (https://www.cs.toronto.edu/~kriz/cifar.html).
//
// A file is a sequence of fixed-size records with no header:
//   CIFAR-10:  <label byte> <3072 pixel bytes>                       (3073 bytes)
//   CIFAR-100: <coarse label byte> <fine label byte> <3072 pixel bytes> (3074 bytes)
// The pixels are the 32x32 red plane, then green, then blue, each row-major: already [3, 32, 32].
// CIFAR-10 has data_batch_1.bin .. data_batch_5.bin (training, 10000 records each) and
// test_batch.bin; CIFAR-100 has train.bin (50000) and test.bin (10000), with 20 coarse and 100
// fine classes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "momenta/data/dataset.h"

namespace momenta::data {

inline constexpr int64_t kCifarImageBytes = 3 * 32 * 32;
// No CIFAR file comes near (CIFAR-100's train.bin is 154 MB); a larger one is refused by its
// size, before it is read.
inline constexpr uint64_t kMaxCifarFileBytes = uint64_t{1} << 30;

enum class CifarLabels { kFine, kCoarse };  // which CIFAR-100 label to use; CIFAR-10 has one

// "fine" or "coarse"; ValueError otherwise.
CifarLabels parse_cifar_labels(const std::string& text);

// The number of classes of "cifar10" (10) or "cifar100" (100 fine, 20 coarse).
int64_t cifar_num_classes(const std::string& name, CifarLabels labels = CifarLabels::kFine);

// Appends the records of one file to images (3072 bytes each) and labels. Throws IOError when the
// file cannot be opened or read, FormatError when it is empty, its size is not a whole number of
// records (a truncated file, or the other CIFAR's format) or a label is out of range. Every
// message starts with the file's path. A file cut exactly at a record boundary cannot be told
// from a smaller one.
// The file's size is checked (whole records, at most kMaxCifarFileBytes) before it is read.
void read_cifar_file(const std::string& path, const std::string& name, CifarLabels label_mode,
                     std::vector<uint8_t>& images, std::vector<int64_t>& labels);

// The same checks on `size` bytes in memory (`path` names them in messages): the entry point for
// fuzzing. Nothing is appended when any label is out of range.
void append_cifar_records(const uint8_t* bytes, uint64_t size, const std::string& path, const std::string& name,
                          CifarLabels label_mode, std::vector<uint8_t>& images, std::vector<int64_t>& labels);

// Loads the train or test split of "cifar10" or "cifar100" from `dir`, which holds the .bin files
// or the folder the official archive unpacks to (cifar-10-batches-bin/, cifar-100-binary/).
// Samples are [3, 32, 32] with the dataset's normalisation (normalization_for). Throws IOError
// naming the directory and the files looked for when one is missing, ValueError for an unknown
// name.
ImageDataset load_cifar(const std::string& dir, const std::string& name, bool train,
                        CifarLabels label_mode = CifarLabels::kFine);

}  // namespace momenta::data
