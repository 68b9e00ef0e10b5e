// What the DataLoader's prefetch thread does per batch: gather 128 random samples of a uint8
// dataset into normalised float32 [128, C, H, W], optionally with crop (padding 4) and flip.
// Args: {augment 0/1, channels, side}: CIFAR (3 x 32 x 32) and Fashion-MNIST (1 x 28 x 28).
// One thread, as in the loader. Counter: samples_per_s.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "momenta/data/augment.h"
#include "momenta/data/dataset.h"
#include "momenta/random.h"

using namespace momenta;
using namespace momenta::data;

namespace {

constexpr int64_t kSamples = 10000;
constexpr int64_t kBatch = 128;

void BM_gather(benchmark::State& state) {
  const bool augment = state.range(0) != 0;
  const int64_t c = state.range(1), side = state.range(2);
  const Shape shape{c, side, side};
  std::mt19937 gen(1);
  std::vector<uint8_t> bytes(static_cast<size_t>(kSamples * shape_numel(shape)));
  for (auto& b : bytes) b = static_cast<uint8_t>(gen());
  std::vector<int64_t> labels(static_cast<size_t>(kSamples));
  for (int64_t i = 0; i < kSamples; ++i) labels[static_cast<size_t>(i)] = i % 10;
  const ImageDataset ds(std::move(bytes), shape, std::move(labels), 10,
                        c == 3 ? cifar10_normalization() : fashion_mnist_normalization());
  const Augmentation aug = augment ? crop_and_flip(side, 4) : Augmentation{};
  const std::vector<int64_t> order = random_permutation(kSamples, 3, 0);
  std::vector<float> images(static_cast<size_t>(kBatch * shape_numel(shape)));
  std::vector<int64_t> out_labels(static_cast<size_t>(kBatch));
  std::vector<float> scratch;
  int64_t batch = 0;
  for (auto _ : state) {
    const int64_t start = (batch * kBatch) % (kSamples - kBatch);
    gather_augmented(ds, aug, 7, batch / 70, order.data() + start, kBatch, scratch, images.data(), out_labels.data());
    benchmark::DoNotOptimize(images.data());
    benchmark::ClobberMemory();
    ++batch;
  }
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(kBatch * state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_gather)
    ->ArgNames({"augment", "C", "side"})
    ->Args({0, 3, 32})
    ->Args({1, 3, 32})
    ->Args({0, 1, 28})
    ->Args({1, 1, 28})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
