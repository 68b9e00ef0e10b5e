// Features for the Frechet distance of generated images ("FID, momenta classifier features").
//
// No Inception weights exist here, so the features are the globally pooled activations of a
// ResNet-20 that momenta trains on the same dataset: trained once, saved with its test accuracy,
// and reused. Numbers computed with it compare with each other (same classifier file, same sample
// count), never with Inception FID. A file is reused only when it says it is such a classifier of
// the same dataset and sample shape, trained on the same images (the data fingerprint: two image
// folders, or two subsets of one dataset, are different data under one dataset name); anything
// else is refused with a message naming the field.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "models/resnet.h"
#include "momenta/analysis/frechet.h"
#include "momenta/data/dataset.h"

namespace momenta::models {

struct FidFeatureNet {
  std::shared_ptr<ResNet> net;
  std::string dataset;          // what it was trained on, e.g. "fashion-mnist"
  data::Normalization norm;     // applied to [0, 1] images before the network
  double test_accuracy = 0.0;   // on the dataset's test split, at training time
  int64_t train_images = 0;
  int64_t epochs = 0;
  bool trained_now = false;     // false: loaded from the file
};

struct FidTraining {
  int64_t epochs = 3;
  int64_t batch_size = 128;
  int64_t max_train_images = 20000;  // the first this many of the training split; -1: all
  double lr = 0.1;                   // SGD momentum 0.9, weight decay 5e-4, cosine to 0
  uint64_t seed = 0;
  bool progress = true;
};

// Loads `path` when it exists (FormatError when it is not a classifier of `dataset` with train's
// sample shape, trained on these `train` and `test` images); else trains one on `train`, measures
// it on `test`, and saves it to `path`.
// `train` and `test` may have any normalisation; the classifier uses `norm`.
// 16 hex digits of a 64-bit FNV-1a hash of the images (their bytes, not a normalisation), labels,
// sample shapes and class counts of `train` and `test`: what a classifier file was trained and
// measured on.
std::string fid_data_fingerprint(const data::ImageDataset& train, const data::ImageDataset& test);

// Where the FID classifier of `dataset` with data `fingerprint` (fid_data_fingerprint) is kept
// between runs, so that `momenta sample --fid`, `momenta train --fid-every` and the experiments
// train it once: $XDG_CACHE_HOME/momenta, else ~/.cache/momenta, else `fallback_dir` (the working
// directory when empty); the file is fid-classifier-DATASET-FP.safetensors, FP the fingerprint's
// first 12 digits, so that different data never share a file.
std::string fid_net_cache_path(const std::string& dataset, const std::string& fingerprint,
                               const std::string& fallback_dir = "");

FidFeatureNet load_or_train_fid_net(const std::string& path, const std::string& dataset, const data::ImageDataset& train,
                                    const data::ImageDataset& test, const data::Normalization& norm,
                                    const FidTraining& training = {});

// The first n images of `ds` (all when n < 0) on the [0, 1] scale, [n, C, H, W] float32.
Tensor images01(const data::ImageDataset& ds, int64_t n = -1);

// Features [N, D] of images [N, C, H, W] given on the [0, 1] scale, in batches, without a graph.
Tensor fid_features(FidFeatureNet& f, const Tensor& images, int64_t batch_size = 500);
// The Gaussian fit of those features.
analysis::GaussianFit fid_fit(FidFeatureNet& f, const Tensor& images);

// What a FID is measured against, fitted once and reused (e.g. at every point of a training
// curve): the reference images (the test split), and the two numbers that put a FID in context,
// both at the sample count n of the sets to be measured, since FID is biased upwards for small n:
//   floor: n training images against the reference (what a perfect generator would score);
//   noise: n images of uniform random pixels against the reference.
struct FidReference {
  FidFeatureNet* net = nullptr;
  analysis::GaussianFit reference;
  int64_t reference_images = 0;
  int64_t n = 0;
  double floor = 0.0, noise = 0.0;
  // FID of `images01` ([n, C, H, W] on the [0, 1] scale; values outside are clamped) against the reference.
  double fid(const Tensor& images01) const;
  // "FID, momenta classifier features (ResNet-20 on fashion-mnist, test accuracy 91.20%; n samples
  // vs 10000 test images)": the label every printed FID carries.
  std::string label() const;
};
// `reference_images` < 0: all of `test`. The floor uses the first n training images; the noise set
// is drawn from `seed`.
FidReference make_fid_reference(FidFeatureNet& f, const data::ImageDataset& train, const data::ImageDataset& test,
                                int64_t n, int64_t reference_images = -1, uint64_t seed = 0);

}  // namespace momenta::models
