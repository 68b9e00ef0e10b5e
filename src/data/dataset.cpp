#include "momenta/data/dataset.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "momenta/data/idx.h"
#include "momenta/error.h"

namespace momenta::data {

Normalization mnist_normalization() { return Normalization{{0.1307}, {0.3081}}; }
Normalization fashion_mnist_normalization() { return Normalization{{0.2860}, {0.3530}}; }

Normalization cifar10_normalization() { return Normalization{{0.4914, 0.4822, 0.4465}, {0.2470, 0.2435, 0.2616}}; }
Normalization cifar100_normalization() { return Normalization{{0.5071, 0.4865, 0.4409}, {0.2673, 0.2564, 0.2762}}; }

Normalization normalization_for(const std::string& dataset_name) {
  if (dataset_name == "mnist") return mnist_normalization();
  if (dataset_name == "fashion-mnist") return fashion_mnist_normalization();
  if (dataset_name == "cifar10") return cifar10_normalization();
  if (dataset_name == "cifar100") return cifar100_normalization();
  throw ValueError(str_cat("unknown dataset '", dataset_name,
                           "', expected one of: mnist, fashion-mnist, cifar10, cifar100"));
}

ImageDataset::ImageDataset(std::vector<uint8_t> images, const Shape& sample_shape, std::vector<int64_t> labels,
                           int64_t num_classes, Normalization norm)
    : images_(std::move(images)), sample_shape_(sample_shape), labels_(std::move(labels)), num_classes_(num_classes) {
  check<ShapeError>(sample_shape_.size() == 3, "ImageDataset: sample shape must be [C, H, W], got ",
                    fmt(sample_shape_));
  for (int64_t d : sample_shape_) {
    check<ShapeError>(d >= 1, "ImageDataset: sample shape ", fmt(sample_shape_), " has an empty dimension");
  }
  const int64_t per_sample = shape_numel(sample_shape_);
  const int64_t n = static_cast<int64_t>(labels_.size());
  check<ShapeError>(static_cast<int64_t>(images_.size()) == n * per_sample, "ImageDataset: ", images_.size(),
                    " image bytes do not make ", n, " samples of shape ", fmt(sample_shape_), " (expected ",
                    n * per_sample, ")");
  check<ValueError>(num_classes_ >= 1, "ImageDataset: num_classes must be at least 1, got ", num_classes_);
  for (size_t i = 0; i < labels_.size(); ++i) {
    check<ValueError>(labels_[i] >= 0 && labels_[i] < num_classes_, "ImageDataset: label ", labels_[i],
                      " at index ", i, " is outside [0, ", num_classes_, ")");
  }
  set_normalization(std::move(norm));
}

void ImageDataset::set_normalization(Normalization norm) {
  const int64_t channels = sample_shape_.empty() ? 0 : sample_shape_[0];
  const auto valid_count = [&](size_t k) { return k == 0 || k == 1 || static_cast<int64_t>(k) == channels; };
  check<ValueError>(valid_count(norm.mean.size()) && valid_count(norm.stddev.size()), "normalisation: ",
                    norm.mean.size(), " means and ", norm.stddev.size(), " standard deviations for ", channels,
                    " channels; expected 0, 1 or ", channels, " of each");
  for (double s : norm.stddev) {
    check<ValueError>(std::isfinite(s) && s > 0, "normalisation: standard deviation must be positive, got ", s);
  }
  for (double m : norm.mean) check<ValueError>(std::isfinite(m), "normalisation: mean must be finite, got ", m);

  const auto pick = [](const std::vector<double>& v, int64_t c, double fallback) {
    return v.empty() ? fallback : v[v.size() == 1 ? 0 : static_cast<size_t>(c)];
  };
  lut_.assign(static_cast<size_t>(channels), {});
  for (int64_t c = 0; c < channels; ++c) {
    const double mean = pick(norm.mean, c, 0.0), stddev = pick(norm.stddev, c, 1.0);
    for (int x = 0; x < 256; ++x) {
      lut_[static_cast<size_t>(c)][static_cast<size_t>(x)] = static_cast<float>((x / 255.0 - mean) / stddev);
    }
  }
  norm_ = std::move(norm);
}

void ImageDataset::get_batch(const int64_t* indices, int64_t n, float* images_out, int64_t* labels_out) const {
  const int64_t count = size();
  const int64_t channels = sample_shape_[0];
  const int64_t plane = sample_shape_[1] * sample_shape_[2];
  const int64_t per_sample = channels * plane;
  for (int64_t b = 0; b < n; ++b) {
    const int64_t i = indices[b];
    check<ValueError>(i >= 0 && i < count, "ImageDataset::get_batch: index ", i, " is outside [0, ", count, ")");
    const uint8_t* src = images_.data() + i * per_sample;
    float* dst = images_out + b * per_sample;
    for (int64_t c = 0; c < channels; ++c) {
      const float* table = lut_[static_cast<size_t>(c)].data();
      for (int64_t p = 0; p < plane; ++p) dst[c * plane + p] = table[src[c * plane + p]];
    }
    labels_out[b] = labels_[static_cast<size_t>(i)];
  }
}

float ImageDataset::black_value(int64_t channel) const {
  const int64_t channels = static_cast<int64_t>(lut_.size());
  check<ValueError>(channel >= 0 && channel < channels, "ImageDataset::black_value: channel ", channel,
                    " is outside [0, ", channels, ")");
  return lut_[static_cast<size_t>(channel)][0];
}

void Dataset::get_targets(const int64_t* /*indices*/, int64_t /*n*/, float* /*targets_out*/) const {
  throw ValueError("Dataset::get_targets: this dataset has no real-valued targets (target_numel() is 0)");
}

RegressionDataset::RegressionDataset(std::vector<float> inputs, const Shape& sample_shape, std::vector<float> targets,
                                     int64_t target_numel)
    : inputs_(std::move(inputs)), targets_(std::move(targets)), sample_shape_(sample_shape), target_numel_(target_numel) {
  check<ValueError>(target_numel_ >= 1, "RegressionDataset: target_numel must be at least 1, got ", target_numel_);
  check<ShapeError>(!sample_shape_.empty(), "RegressionDataset: the sample shape must have at least one dimension");
  for (int64_t d : sample_shape_)
    check<ShapeError>(d >= 1, "RegressionDataset: sample shape ", fmt(sample_shape_), " has an empty dimension");
  const auto n_targets = static_cast<int64_t>(targets_.size());
  check<ShapeError>(n_targets % target_numel_ == 0, "RegressionDataset: ", n_targets, " targets do not make rows of ",
                    target_numel_);
  size_ = n_targets / target_numel_;
  const int64_t per_sample = shape_numel(sample_shape_);
  check<ShapeError>(static_cast<int64_t>(inputs_.size()) == size_ * per_sample, "RegressionDataset: ", inputs_.size(),
                    " input values do not make ", size_, " samples of shape ", fmt(sample_shape_), " (expected ",
                    size_ * per_sample, ")");
  for (size_t i = 0; i < inputs_.size(); ++i)
    check<ValueError>(std::isfinite(inputs_[i]), "RegressionDataset: input value ", i, " (sample ",
                      static_cast<int64_t>(i) / per_sample, ") is not finite: ", inputs_[i]);
  for (size_t i = 0; i < targets_.size(); ++i)
    check<ValueError>(std::isfinite(targets_[i]), "RegressionDataset: target ", i, " (sample ",
                      static_cast<int64_t>(i) / target_numel_, ") is not finite: ", targets_[i]);
}

void RegressionDataset::get_batch(const int64_t* indices, int64_t n, float* inputs_out, int64_t* labels_out) const {
  const int64_t per_sample = shape_numel(sample_shape_);
  for (int64_t b = 0; b < n; ++b) {
    const int64_t i = indices[b];
    check<ValueError>(i >= 0 && i < size_, "RegressionDataset::get_batch: index ", i, " is outside [0, ", size_, ")");
    std::copy_n(inputs_.data() + i * per_sample, per_sample, inputs_out + b * per_sample);
    labels_out[b] = 0;
  }
}

void RegressionDataset::get_targets(const int64_t* indices, int64_t n, float* targets_out) const {
  for (int64_t b = 0; b < n; ++b) {
    const int64_t i = indices[b];
    check<ValueError>(i >= 0 && i < size_, "RegressionDataset::get_targets: index ", i, " is outside [0, ", size_, ")");
    std::copy_n(targets_.data() + i * target_numel_, target_numel_, targets_out + b * target_numel_);
  }
}

ImageDataset load_mnist_like(const std::string& dir, const std::string& name, bool train) {
  namespace fs = std::filesystem;
  Normalization norm = normalization_for(name);
  std::error_code ec;
  check<IOError>(fs::is_directory(dir, ec), "dataset directory '", dir, "' for ", name, " does not exist");
  const std::string split = train ? "train" : "t10k";
  // Plain files win over .gz so that a user who unpacked the archives gets the faster read.
  const auto find = [&](const std::string& stem) {
    for (const std::string& candidate : {stem, stem + ".gz"}) {
      const fs::path p = fs::path(dir) / candidate;
      if (fs::is_regular_file(p, ec)) return p.string();
    }
    throw IOError(str_cat("dataset directory '", dir, "' has no ", train ? "training" : "test", " ", name,
                          " file: looked for ", stem, " and ", stem, ".gz"));
  };
  const std::string images = find(split + "-images-idx3-ubyte");
  const std::string labels = find(split + "-labels-idx1-ubyte");
  return load_idx_dataset(images, labels, int64_t{10}, std::move(norm));
}

}  // namespace momenta::data
