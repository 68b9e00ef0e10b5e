#include "momenta/data/cifar.h"

#include <filesystem>

#include "data/file_bytes.h"
#include "momenta/error.h"

namespace momenta::data {
namespace {

namespace fs = std::filesystem;

struct CifarLayout {
  const char* title;     // for messages
  int64_t label_bytes;   // 1 or 2
  int64_t label_offset;  // which label byte of the record is used
  int64_t classes;
  const char* archive_dir;  // the folder the official archive unpacks to
  std::vector<std::string> train_files, test_files;
};

CifarLayout layout_for(const std::string& name, CifarLabels labels) {
  if (name == "cifar10") {
    std::vector<std::string> train;
    for (int b = 1; b <= 5; ++b) train.push_back(str_cat("data_batch_", b, ".bin"));
    return {"CIFAR-10", 1, 0, 10, "cifar-10-batches-bin", train, {"test_batch.bin"}};
  }
  if (name == "cifar100") {
    const bool fine = labels == CifarLabels::kFine;
    return {"CIFAR-100", 2, fine ? 1 : 0, fine ? 100 : 20, "cifar-100-binary", {"train.bin"}, {"test.bin"}};
  }
  throw ValueError(str_cat("unknown CIFAR dataset '", excerpt(name), "', expected cifar10 or cifar100"));
}

// A file's size decides how many records it holds; checked before anything is read or allocated.
void check_size(const CifarLayout& layout, uint64_t size, const std::string& path) {
  const auto record = static_cast<uint64_t>(layout.label_bytes + kCifarImageBytes);
  check<FormatError>(size > 0, path, ": empty file, expected ", layout.title, " records of ", record, " bytes");
  check<FormatError>(size % record == 0, path, ": ", size, " bytes is not a whole number of ", record, "-byte ",
                     layout.title, " records (", size / record, " records and ", size % record,
                     " bytes over); the file is truncated or not in the ", layout.title, " binary format");
  check<FormatError>(size <= kMaxCifarFileBytes, path, ": ", size / record, " records (", size,
                     " bytes), more than a ", layout.title, " file holds (at most ", kMaxCifarFileBytes, " bytes)");
}

}  // namespace

CifarLabels parse_cifar_labels(const std::string& text) {
  if (text == "fine") return CifarLabels::kFine;
  if (text == "coarse") return CifarLabels::kCoarse;
  throw ValueError(str_cat("CIFAR-100 labels '", excerpt(text), "': expected fine or coarse"));
}

int64_t cifar_num_classes(const std::string& name, CifarLabels labels) { return layout_for(name, labels).classes; }

void append_cifar_records(const uint8_t* bytes, uint64_t size, const std::string& path, const std::string& name,
                          CifarLabels label_mode, std::vector<uint8_t>& images, std::vector<int64_t>& labels) {
  const CifarLayout layout = layout_for(name, label_mode);
  check_size(layout, size, path);
  const auto record = static_cast<uint64_t>(layout.label_bytes + kCifarImageBytes);
  const auto count = static_cast<int64_t>(size / record);
  // Labels first: a bad file fails before the images are copied.
  for (int64_t r = 0; r < count; ++r) {
    const uint8_t* rec = bytes + static_cast<uint64_t>(r) * record;
    for (int64_t k = 0; k < layout.label_bytes; ++k) {
      // Both CIFAR-100 labels are checked, so a CIFAR-10 file read as CIFAR-100 fails here too
      // when its size happens to fit.
      const int64_t limit = layout.label_bytes == 1 ? 10 : (k == 0 ? 20 : 100);
      check<FormatError>(
          rec[k] < limit, path, ": record ", r, " has ", layout.label_bytes == 1 ? "" : (k == 0 ? "coarse " : "fine "),
          "label ", static_cast<int>(rec[k]), ", expected one in [0, ", limit, ") (not a ", layout.title, " file?)");
    }
  }
  images.reserve(images.size() + static_cast<size_t>(count * kCifarImageBytes));
  labels.reserve(labels.size() + static_cast<size_t>(count));
  for (int64_t r = 0; r < count; ++r) {
    const uint8_t* rec = bytes + static_cast<uint64_t>(r) * record;
    labels.push_back(rec[layout.label_offset]);
    images.insert(images.end(), rec + layout.label_bytes, rec + record);
  }
}

void read_cifar_file(const std::string& path, const std::string& name, CifarLabels label_mode,
                     std::vector<uint8_t>& images, std::vector<int64_t>& labels) {
  const CifarLayout layout = layout_for(name, label_mode);
  const std::string what = str_cat("expected a ", layout.title, " binary file");
  check_size(layout, regular_file_size(path, what), path);
  const std::vector<uint8_t> bytes = read_file_bytes(path, what, kMaxCifarFileBytes);
  append_cifar_records(bytes.data(), bytes.size(), path, name, label_mode, images, labels);
}

ImageDataset load_cifar(const std::string& dir, const std::string& name, bool train, CifarLabels label_mode) {
  const CifarLayout layout = layout_for(name, label_mode);
  Normalization norm = normalization_for(name);
  std::error_code ec;
  check<IOError>(fs::is_directory(dir, ec), "dataset directory '", dir, "' for ", name, " does not exist");
  const std::vector<std::string>& files = train ? layout.train_files : layout.test_files;
  // The files directly in `dir`, or in the archive's folder inside it.
  fs::path base = dir;
  if (!fs::is_regular_file(base / files.front(), ec) && fs::is_directory(base / layout.archive_dir, ec)) {
    base /= layout.archive_dir;
  }
  std::vector<uint8_t> images;
  std::vector<int64_t> labels;
  for (const std::string& file : files) {
    const fs::path p = base / file;
    if (!fs::is_regular_file(p, ec)) {
      std::string list;
      for (const std::string& f : files) list += (list.empty() ? "" : ", ") + f;
      throw IOError(str_cat("dataset directory '", dir, "' has no ", train ? "training" : "test", " ", name, " file ",
                            file, " (looked in ", base.string(), " for ", list, ")"));
    }
    read_cifar_file(p.string(), name, label_mode, images, labels);
  }
  return ImageDataset(std::move(images), Shape{3, 32, 32}, std::move(labels), layout.classes, std::move(norm));
}

}  // namespace momenta::data
