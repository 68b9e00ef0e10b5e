// DataLoader and ImageDataset: batch counts, epoch coverage, seeded order, normalisation, and
// the prefetch thread (same batches as without it, errors, abandoned epochs).
#include "momenta/data/loader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <thread>

#include "momenta/data/dataset.h"
#include "momenta/error.h"
#include "momenta/random.h"

namespace momenta::data {
namespace {

// Sample i is a [1, 2, 2] image filled with i and labelled i, so a batch shows which samples it
// holds. Optionally fails at one index or sleeps per batch, to exercise the prefetch thread.
class IndexDataset : public Dataset {
 public:
  explicit IndexDataset(int64_t n, int64_t fail_at = -1, int sleep_ms = 0)
      : n_(n), fail_at_(fail_at), sleep_ms_(sleep_ms) {}
  int64_t size() const override { return n_; }
  Shape sample_shape() const override { return {1, 2, 2}; }
  int64_t num_classes() const override { return n_; }
  void get_batch(const int64_t* indices, int64_t n, float* images_out, int64_t* labels_out) const override {
    if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms_));
    for (int64_t b = 0; b < n; ++b) {
      check<ValueError>(indices[b] != fail_at_, "sample ", indices[b], " is unreadable");
      std::fill(images_out + 4 * b, images_out + 4 * (b + 1), static_cast<float>(indices[b]));
      labels_out[b] = indices[b];
    }
  }

 private:
  int64_t n_, fail_at_;
  int sleep_ms_;
};

std::vector<int64_t> labels_of(const Batch& b) {
  const int64_t* p = b.labels.data<int64_t>();
  return std::vector<int64_t>(p, p + b.labels.numel());
}

// All labels of one epoch, in order.
std::vector<int64_t> epoch_labels(DataLoader& loader, int64_t epoch) {
  std::vector<int64_t> out;
  loader.start_epoch(epoch);
  Batch b;
  while (loader.next(b)) {
    const auto l = labels_of(b);
    out.insert(out.end(), l.begin(), l.end());
  }
  return out;
}

TEST(DataLoader, BatchCountAndShapes) {
  const IndexDataset ds(10);
  for (bool prefetch : {false, true}) {
    DataLoader keep(ds, {.batch_size = 3, .shuffle = false, .drop_last = false, .prefetch = prefetch});
    EXPECT_EQ(keep.num_batches(), 4);
    keep.start_epoch(0);
    Batch b;
    std::vector<int64_t> sizes;
    while (keep.next(b)) {
      EXPECT_EQ(b.images.shape(), (Shape{b.labels.numel(), 1, 2, 2}));
      EXPECT_EQ(b.images.dtype(), kFloat32);
      EXPECT_EQ(b.labels.dtype(), kInt64);
      EXPECT_EQ(b.index, static_cast<int64_t>(sizes.size()));
      sizes.push_back(b.labels.numel());
    }
    EXPECT_EQ(sizes, (std::vector<int64_t>{3, 3, 3, 1}));
    EXPECT_FALSE(keep.next(b));  // stays over

    DataLoader drop(ds, {.batch_size = 3, .drop_last = true, .prefetch = prefetch});
    EXPECT_EQ(drop.num_batches(), 3);
    EXPECT_EQ(epoch_labels(drop, 0).size(), 9u);
  }
  EXPECT_EQ(DataLoader(IndexDataset(9), {.batch_size = 3, .drop_last = false}).num_batches(), 3);
  EXPECT_EQ(DataLoader(IndexDataset(2), {.batch_size = 3, .drop_last = true}).num_batches(), 0);
  EXPECT_THROW(DataLoader(ds, {.batch_size = 0}), ValueError);
}

TEST(DataLoader, EveryIndexOncePerEpoch) {
  const IndexDataset ds(101);
  DataLoader loader(ds, {.batch_size = 8, .shuffle = true, .seed = 5});
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::vector<int64_t> seen = epoch_labels(loader, epoch);
    std::sort(seen.begin(), seen.end());
    std::vector<int64_t> all(101);
    std::iota(all.begin(), all.end(), int64_t{0});
    EXPECT_EQ(seen, all) << "epoch " << epoch;
  }
  // With drop_last, the samples seen are distinct and fill whole batches.
  DataLoader drop(ds, {.batch_size = 8, .drop_last = true, .seed = 5});
  std::vector<int64_t> seen = epoch_labels(drop, 0);
  EXPECT_EQ(seen.size(), 96u);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
}

TEST(DataLoader, SeededOrderIsReproducibleAndChangesPerEpoch) {
  const IndexDataset ds(50);
  DataLoader a(ds, {.batch_size = 7, .seed = 42});
  DataLoader b(ds, {.batch_size = 7, .seed = 42, .prefetch = false});
  const auto a0 = epoch_labels(a, 0), a1 = epoch_labels(a, 1);
  EXPECT_EQ(a0, epoch_labels(b, 0));
  EXPECT_EQ(a1, epoch_labels(b, 1));
  EXPECT_EQ(a0, epoch_labels(a, 0));  // revisiting an epoch repeats it
  EXPECT_NE(a0, a1);
  EXPECT_EQ(a0, random_permutation(50, 42, 0));
  EXPECT_EQ(a1, random_permutation(50, 42, 1));

  DataLoader other_seed(ds, {.batch_size = 7, .seed = 43});
  EXPECT_NE(epoch_labels(other_seed, 0), a0);

  DataLoader in_order(ds, {.batch_size = 7, .shuffle = false});
  std::vector<int64_t> all(50);
  std::iota(all.begin(), all.end(), int64_t{0});
  EXPECT_EQ(epoch_labels(in_order, 3), all);
}

TEST(DataLoader, ResumesMidEpoch) {
  const IndexDataset ds(40);
  DataLoader loader(ds, {.batch_size = 6, .seed = 9});
  const auto full = epoch_labels(loader, 2);
  loader.start_epoch(2, /*first_batch=*/3);
  Batch b;
  std::vector<int64_t> rest;
  ASSERT_TRUE(loader.next(b));
  EXPECT_EQ(b.index, 3);
  do {
    const auto l = labels_of(b);
    rest.insert(rest.end(), l.begin(), l.end());
  } while (loader.next(b));
  EXPECT_EQ(rest, std::vector<int64_t>(full.begin() + 18, full.end()));
  EXPECT_THROW(loader.start_epoch(2, 99), ValueError);
}

TEST(DataLoader, NextBeforeStartEpochThrows) {
  const IndexDataset ds(4);
  DataLoader loader(ds, {.batch_size = 2});
  Batch b;
  EXPECT_THROW(loader.next(b), Error);
}

TEST(ImageDataset, NormalisesWithDatasetStatistics) {
  const std::vector<uint8_t> pixels = {0, 255, 128, 7};
  const ImageDataset ds(pixels, Shape{1, 2, 2}, {3}, 10, fashion_mnist_normalization());
  DataLoader loader(ds, {.batch_size = 1, .shuffle = false});
  loader.start_epoch(0);
  Batch b;
  ASSERT_TRUE(loader.next(b));
  const float* x = b.images.data<float>();
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(x[i], (pixels[static_cast<size_t>(i)] / 255.0 - 0.2860) / 0.3530, 1e-6);
  }
  EXPECT_EQ(b.labels.data<int64_t>()[0], 3);

  // Per channel, and plain scaling to [0, 1] without statistics.
  const std::vector<uint8_t> rgb = {255, 255, 0, 0, 51, 51};
  const ImageDataset color(rgb, Shape{3, 1, 2}, {0}, 1, Normalization{{0.5, 0.0, 0.2}, {0.5, 2.0, 0.1}});
  float out[6];
  int64_t label = -1;
  const int64_t index = 0;
  color.get_batch(&index, 1, out, &label);
  const float expected[6] = {1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(out[i], expected[i], 1e-6) << i;
  const ImageDataset plain(rgb, Shape{3, 1, 2}, {0}, 1);
  plain.get_batch(&index, 1, out, &label);
  EXPECT_NEAR(out[4], 0.2f, 1e-6);
  EXPECT_NEAR(mnist_normalization().mean[0], 0.1307, 1e-12);
  EXPECT_NEAR(mnist_normalization().stddev[0], 0.3081, 1e-12);
}

TEST(ImageDataset, RejectsInconsistentInputs) {
  EXPECT_THROW(ImageDataset({1, 2, 3}, Shape{1, 2, 2}, {0}, 2), ShapeError);
  EXPECT_THROW(ImageDataset({1, 2, 3, 4}, Shape{1, 2, 2}, {5}, 2), ValueError);
  EXPECT_THROW(ImageDataset({1, 2, 3, 4}, Shape{1, 2, 2}, {0}, 2, Normalization{{0.1, 0.2}, {}}), ValueError);
  EXPECT_THROW(ImageDataset({1, 2, 3, 4}, Shape{1, 2, 2}, {0}, 2, Normalization{{}, {0.0}}), ValueError);
  EXPECT_THROW(normalization_for("imagenet"), ValueError);
  const ImageDataset ds({1, 2, 3, 4}, Shape{1, 2, 2}, {0}, 2);
  float out[4];
  int64_t label;
  const int64_t bad = 1;
  EXPECT_THROW(ds.get_batch(&bad, 1, out, &label), ValueError);
}

// Sample i of a regression set: features (i, 10 i, 100 i), targets (-i, 0.5 i).
RegressionDataset regression_set(int64_t n) {
  std::vector<float> x, y;
  for (int64_t i = 0; i < n; ++i) {
    for (float f : {1.0f, 10.0f, 100.0f}) x.push_back(f * static_cast<float>(i));
    y.push_back(-static_cast<float>(i));
    y.push_back(0.5f * static_cast<float>(i));
  }
  return RegressionDataset(std::move(x), Shape{3}, std::move(y), 2);
}

TEST(RegressionDataset, BatchesCarryEachSamplesTargetsInTheSampleOrder) {
  const RegressionDataset ds = regression_set(11);
  EXPECT_EQ(ds.size(), 11);
  EXPECT_EQ(ds.num_classes(), 0);
  EXPECT_EQ(ds.target_numel(), 2);
  for (bool prefetch : {true, false}) {
    SCOPED_TRACE(prefetch ? "prefetch" : "no prefetch");
    DataLoader loader(ds, {.batch_size = 4, .shuffle = true, .seed = 5, .prefetch = prefetch});
    for (int64_t epoch : {0, 1}) {
      loader.start_epoch(epoch);
      Batch b;
      int64_t seen = 0;
      while (loader.next(b)) {
        const int64_t rows = b.images.size(0);
        ASSERT_EQ(b.images.shape(), (Shape{rows, 3}));
        ASSERT_TRUE(b.targets.defined());
        ASSERT_EQ(b.targets.shape(), (Shape{rows, 2}));
        EXPECT_EQ(b.targets.dtype(), kFloat32);
        for (int64_t r = 0; r < rows; ++r) {
          const float i = b.images.data<float>()[r * 3];  // which sample this row is
          EXPECT_EQ(b.images.data<float>()[r * 3 + 2], 100.0f * i);
          EXPECT_EQ(b.targets.data<float>()[r * 2], -i);
          EXPECT_EQ(b.targets.data<float>()[r * 2 + 1], 0.5f * i);
          EXPECT_EQ(b.labels.data<int64_t>()[r], 0);
          EXPECT_EQ(static_cast<int64_t>(i), loader.order()[static_cast<size_t>(b.index * 4 + r)]);
        }
        seen += rows;
      }
      EXPECT_EQ(seen, 11);
    }
  }
  // A dataset of labels only gives no targets, and refuses to be asked for them.
  const IndexDataset labelled(6);
  DataLoader plain(labelled, {.batch_size = 4});
  plain.start_epoch(0);
  Batch b;
  ASSERT_TRUE(plain.next(b));
  EXPECT_FALSE(b.targets.defined());
  const int64_t idx = 0;
  float t;
  EXPECT_THROW(labelled.get_targets(&idx, 1, &t), ValueError);
}

TEST(RegressionDataset, RejectsInconsistentInputs) {
  EXPECT_THROW(RegressionDataset({1, 2, 3}, Shape{2}, {1, 2}, 1), ShapeError);      // 3 values for 2 samples of 2
  EXPECT_THROW(RegressionDataset({1, 2, 3, 4}, Shape{2}, {1, 2, 3}, 2), ShapeError);  // 3 targets, rows of 2
  EXPECT_THROW(RegressionDataset({1, 2}, Shape{2, 0}, {1}, 1), ShapeError);
  EXPECT_THROW(RegressionDataset({1, 2}, Shape{}, {1, 2}, 1), ShapeError);
  EXPECT_THROW(RegressionDataset({1, 2}, Shape{2}, {1}, 0), ValueError);
  try {
    RegressionDataset({1, 2, 3, NAN}, Shape{2}, {1, 2}, 1);
    FAIL() << "a NaN input was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("input value 3 (sample 1) is not finite"), std::string::npos) << e.what();
  }
  try {
    RegressionDataset({1, 2, 3, 4}, Shape{2}, {1, INFINITY}, 1);
    FAIL() << "an infinite target was accepted";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("target 1 (sample 1) is not finite"), std::string::npos) << e.what();
  }
  const RegressionDataset ds = regression_set(3);
  float x[3], y[2];
  int64_t label;
  for (int64_t bad : {-1, 3}) {
    EXPECT_THROW(ds.get_batch(&bad, 1, x, &label), ValueError);
    EXPECT_THROW(ds.get_targets(&bad, 1, y), ValueError);
  }
}

TEST(DataLoader, PrefetchGivesIdenticalBatches) {
  std::mt19937 gen(3);
  const int64_t n = 103;
  std::vector<uint8_t> pixels(static_cast<size_t>(n) * 3 * 5 * 4);
  for (auto& p : pixels) p = static_cast<uint8_t>(gen());
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (auto& l : labels) l = static_cast<int64_t>(gen() % 10);
  const ImageDataset ds(pixels, Shape{3, 5, 4}, labels, 10, Normalization{{0.4, 0.5, 0.6}, {0.2, 0.25, 0.3}});

  DataLoader fast(ds, {.batch_size = 8, .seed = 11, .prefetch = true});
  DataLoader slow(ds, {.batch_size = 8, .seed = 11, .prefetch = false});
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    fast.start_epoch(epoch);
    slow.start_epoch(epoch);
    Batch a, b;
    int64_t count = 0;
    // Keep every batch alive to the end: the loader must not reuse a buffer the consumer holds.
    std::vector<Batch> held_fast, held_slow;
    while (slow.next(b)) {
      ASSERT_TRUE(fast.next(a));
      held_fast.push_back(a);
      held_slow.push_back(b);
      ++count;
    }
    EXPECT_FALSE(fast.next(a));
    EXPECT_EQ(count, 13);
    for (size_t k = 0; k < held_fast.size(); ++k) {
      const Batch& x = held_fast[k];
      const Batch& y = held_slow[k];
      EXPECT_EQ(x.index, y.index);
      ASSERT_EQ(x.images.shape(), y.images.shape());
      EXPECT_EQ(std::memcmp(x.images.data<float>(), y.images.data<float>(), sizeof(float) * x.images.numel()), 0);
      EXPECT_EQ(labels_of(x), labels_of(y));
    }
  }
}

TEST(DataLoader, WorkerErrorIsRethrownAtTheFailingBatch) {
  const IndexDataset ds(20, /*fail_at=*/13);
  DataLoader loader(ds, {.batch_size = 4, .shuffle = false});
  loader.start_epoch(0);
  Batch b;
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(loader.next(b)) << k;  // samples 0..11 are fine
  try {
    loader.next(b);
    FAIL() << "expected the dataset's error";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("sample 13 is unreadable"), std::string::npos) << e.what();
  }
  EXPECT_THROW(loader.next(b), ValueError);  // the epoch stays failed until restarted
  loader.start_epoch(0);
  EXPECT_TRUE(loader.next(b));
}

TEST(DataLoader, AbandonedEpochsShutDownCleanly) {
  const IndexDataset ds(64, -1, /*sleep_ms=*/2);
  DataLoader loader(ds, {.batch_size = 4, .seed = 1});
  Batch b;
  for (int64_t epoch = 0; epoch < 5; ++epoch) {
    loader.start_epoch(epoch);
    ASSERT_TRUE(loader.next(b));  // then walk away mid-epoch
  }
  EXPECT_EQ(epoch_labels(loader, 5).size(), 64u);
  // Destroyed while its worker is busy, and right after starting.
  {
    DataLoader busy(ds, {.batch_size = 4});
    busy.start_epoch(0);
    ASSERT_TRUE(busy.next(b));
  }
  {
    DataLoader idle(ds, {.batch_size = 4});
    idle.start_epoch(0);
  }
}

}  // namespace
}  // namespace momenta::data
