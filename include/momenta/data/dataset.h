// Datasets: indexable collections of (input, label) samples that gather a batch into caller
// memory as float32 [n, ...sample_shape] inputs (images [n, C, H, W] for image datasets) and
// int64 [n] labels; a regression dataset also gathers float32 [n, T] real-valued targets.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "momenta/shape.h"

namespace momenta::data {

// Maps a stored byte x to (x / 255 - mean[c]) / stddev[c] for channel c.
// Empty vectors mean mean 0 and stddev 1 (only the scaling to [0, 1]); one value applies to
// every channel; otherwise there is one value per channel.
struct Normalization {
  std::vector<double> mean;
  std::vector<double> stddev;
};

// Statistics of the training sets, on the [0, 1] scale.
Normalization mnist_normalization();          // mean 0.1307, std 0.3081
Normalization fashion_mnist_normalization();  // mean 0.2860, std 0.3530
Normalization cifar10_normalization();   // mean 0.4914, 0.4822, 0.4465; std 0.2470, 0.2435, 0.2616
Normalization cifar100_normalization();  // mean 0.5071, 0.4865, 0.4409; std 0.2673, 0.2564, 0.2762
// "mnist", "fashion-mnist", "cifar10" or "cifar100"; throws ValueError naming the known datasets
// otherwise.
Normalization normalization_for(const std::string& dataset_name);

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual int64_t size() const = 0;
  // The shape of one sample: [C, H, W] for images, [F] for a row of features.
  virtual Shape sample_shape() const = 0;
  // 0 for a dataset without classes (regression: its labels are all 0).
  virtual int64_t num_classes() const = 0;
  // Real-valued targets per sample (regression); 0 when the dataset has only labels.
  virtual int64_t target_numel() const { return 0; }
  // Writes the targets of samples indices[0..n) to targets_out (n * target_numel() floats,
  // row-major); the same thread-safety and index checks as get_batch. The default throws
  // ValueError: only a dataset with target_numel() > 0 has targets.
  virtual void get_targets(const int64_t* indices, int64_t n, float* targets_out) const;
  // Writes samples indices[0..n) to images_out (n * sample_numel() floats, row-major) and
  // labels_out (n values). Must be safe to call from several threads at once: the DataLoader
  // calls it from its prefetch thread. Throws ValueError for an index outside [0, size()).
  virtual void get_batch(const int64_t* indices, int64_t n, float* images_out, int64_t* labels_out) const = 0;
  // The value get_batch writes for a black pixel (a stored 0) of `channel`: what augmentation
  // pads with (data/augment.h). 0 for datasets without stored pixels.
  virtual float black_value(int64_t channel) const {
    (void)channel;
    return 0.0f;
  }

  int64_t sample_numel() const { return shape_numel(sample_shape()); }
};

// A dataset held in memory as uint8 images [N, C, H, W] and int64 labels [N].
class ImageDataset : public Dataset {
 public:
  ImageDataset() = default;
  // Throws ShapeError when images.size() != N * C * H * W or the sample shape is not [C, H, W],
  // and ValueError for a label outside [0, num_classes) or a bad normalisation.
  ImageDataset(std::vector<uint8_t> images, const Shape& sample_shape, std::vector<int64_t> labels,
               int64_t num_classes, Normalization norm = {});

  int64_t size() const override { return static_cast<int64_t>(labels_.size()); }
  Shape sample_shape() const override { return sample_shape_; }
  int64_t num_classes() const override { return num_classes_; }
  void get_batch(const int64_t* indices, int64_t n, float* images_out, int64_t* labels_out) const override;
  float black_value(int64_t channel) const override;

  const Normalization& normalization() const { return norm_; }
  void set_normalization(Normalization norm);
  const std::vector<uint8_t>& images() const { return images_; }
  const std::vector<int64_t>& labels() const { return labels_; }

 private:
  std::vector<uint8_t> images_;
  Shape sample_shape_;
  std::vector<int64_t> labels_;
  int64_t num_classes_ = 0;
  Normalization norm_;
  // One 256-entry table per channel: byte -> normalised float, so gathering is a lookup.
  std::vector<std::array<float, 256>> lut_;
};

// A regression dataset held in memory: float32 inputs [N, ...sample_shape] (e.g. [N, F] rows of
// features) and float32 targets [N, T]. Labels are all 0 and there are no classes; the targets
// reach the trainer in Batch::targets.
class RegressionDataset : public Dataset {
 public:
  // Throws ShapeError when inputs.size() != N * numel(sample_shape) with N = targets.size() /
  // target_numel, when targets.size() is not a multiple of target_numel, or for an empty
  // dimension; ValueError for target_numel < 1 or a non-finite input or target (naming its index).
  RegressionDataset(std::vector<float> inputs, const Shape& sample_shape, std::vector<float> targets,
                    int64_t target_numel);

  int64_t size() const override { return size_; }
  Shape sample_shape() const override { return sample_shape_; }
  int64_t num_classes() const override { return 0; }
  int64_t target_numel() const override { return target_numel_; }
  void get_batch(const int64_t* indices, int64_t n, float* inputs_out, int64_t* labels_out) const override;
  void get_targets(const int64_t* indices, int64_t n, float* targets_out) const override;

 private:
  std::vector<float> inputs_, targets_;
  Shape sample_shape_;
  int64_t target_numel_ = 0, size_ = 0;
};

// Loads the train or test split of an MNIST-like dataset from `dir`, which holds
// {train,t10k}-{images-idx3,labels-idx1}-ubyte, each plain or with a .gz suffix (plain wins
// when both exist). `name` picks the normalisation (see normalization_for); 10 classes.
// Throws IOError naming the directory and the files looked for when one is missing.
ImageDataset load_mnist_like(const std::string& dir, const std::string& name, bool train);

}  // namespace momenta::data
