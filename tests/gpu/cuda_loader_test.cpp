// The DataLoader's staged delivery to a CUDA device (NOTE [batch staging] in
// src/data/loader.cpp): every batch equals the CPU loader's, with and without the prefetch
// thread, over whole epochs, a resumed epoch and an epoch abandoned half way. The device is kept
// busy while the batches are drawn and nothing is read back until the end, so the asynchronous
// copies are still queued when their pinned buffers come round again: a buffer refilled before
// its copy ran (a missing or wrong PinnedStage::wait) shows up as a batch with another's values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gpu_test_util.h"
#include "momenta/data/loader.h"
#include "momenta/ops.h"

namespace momenta::data {
namespace {

// Sample i: a [1, 3, 5] image whose element j is i * 100 + j, labelled i, with the two real-valued
// targets -i and 0.5 - i (staged after the labels in the same pinned buffer).
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  Shape sample_shape() const override { return {1, 3, 5}; }
  int64_t num_classes() const override { return n_; }
  void get_batch(const int64_t* indices, int64_t n, float* images_out, int64_t* labels_out) const override {
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t j = 0; j < 15; ++j) images_out[b * 15 + j] = static_cast<float>(indices[b] * 100 + j);
      labels_out[b] = indices[b];
    }
  }
  int64_t target_numel() const override { return 2; }
  void get_targets(const int64_t* indices, int64_t n, float* targets_out) const override {
    for (int64_t b = 0; b < n; ++b) {
      targets_out[2 * b] = static_cast<float>(-indices[b]);
      targets_out[2 * b + 1] = 0.5f - static_cast<float>(indices[b]);
    }
  }

 private:
  int64_t n_;
};

// Queues some 100 ms of GPU work (chained 4096^2 products) and reads nothing back, so every copy
// queued after it waits in the stream.
void occupy_device() {
  const Tensor a = Tensor::full({4096, 4096}, 1e-4, kFloat32, gpu_test::kGpu);
  Tensor acc = a;
  for (int k = 0; k < 40; ++k) acc = matmul(acc, a);
}

struct Drawn {
  std::string what;  // epoch and batch, for the failure message
  Batch cpu, gpu;
};

// Draws up to `count` batches (-1: the rest of the epoch) from both loaders, side by side.
void draw(DataLoader& cpu, DataLoader& gpu, int64_t count, std::vector<Drawn>& out) {
  for (int64_t k = 0; count < 0 || k < count; ++k) {
    Drawn d;
    const bool more = cpu.next(d.cpu);
    ASSERT_EQ(gpu.next(d.gpu), more) << "the loaders disagree on the epoch's length";
    if (!more) return;
    d.what = "epoch " + std::to_string(cpu.epoch()) + ", batch " + std::to_string(d.cpu.index);
    out.push_back(std::move(d));
  }
}

void expect_same(const std::vector<Drawn>& drawn) {
  for (const Drawn& d : drawn) {
    SCOPED_TRACE(d.what);
    EXPECT_EQ(d.gpu.index, d.cpu.index);
    ASSERT_EQ(d.gpu.images.device(), gpu_test::kGpu);
    ASSERT_EQ(d.gpu.labels.device(), gpu_test::kGpu);
    ASSERT_EQ(d.gpu.images.shape(), d.cpu.images.shape());
    const Tensor images = gpu_test::to_host(d.gpu.images), labels = gpu_test::to_host(d.gpu.labels);
    EXPECT_EQ(std::vector<float>(images.data<float>(), images.data<float>() + images.numel()),
              std::vector<float>(d.cpu.images.data<float>(), d.cpu.images.data<float>() + d.cpu.images.numel()));
    EXPECT_EQ(std::vector<int64_t>(labels.data<int64_t>(), labels.data<int64_t>() + labels.numel()),
              std::vector<int64_t>(d.cpu.labels.data<int64_t>(), d.cpu.labels.data<int64_t>() + d.cpu.labels.numel()));
    ASSERT_TRUE(d.gpu.targets.defined());
    ASSERT_EQ(d.gpu.targets.device(), gpu_test::kGpu);
    ASSERT_EQ(d.gpu.targets.shape(), d.cpu.targets.shape());
    const Tensor targets = gpu_test::to_host(d.gpu.targets);
    EXPECT_EQ(std::vector<float>(targets.data<float>(), targets.data<float>() + targets.numel()),
              std::vector<float>(d.cpu.targets.data<float>(), d.cpu.targets.data<float>() + d.cpu.targets.numel()));
  }
}

TEST(CudaLoader, StagedBatchesEqualTheCpuLoadersWhileCopiesAreQueued) {
  MOMENTA_REQUIRE_GPU();
  const CountingDataset ds(103);  // 13 batches of 8, the last one short
  for (bool prefetch : {true, false}) {
    SCOPED_TRACE(prefetch ? "prefetch" : "no prefetch");
    const LoaderOptions options{.batch_size = 8, .shuffle = true, .seed = 7, .prefetch = prefetch};
    LoaderOptions on_gpu = options;
    on_gpu.device = gpu_test::kGpu;
    DataLoader cpu(ds, options), gpu(ds, on_gpu);
    std::vector<Drawn> drawn;  // holds every batch, so no device block is reused either
    occupy_device();
    for (int64_t epoch : {0, 1}) {
      cpu.start_epoch(epoch);
      gpu.start_epoch(epoch);
      draw(cpu, gpu, -1, drawn);
    }
    cpu.start_epoch(2);  // abandoned after four batches
    gpu.start_epoch(2);
    draw(cpu, gpu, 4, drawn);
    cpu.start_epoch(3, 5);  // resumed at batch 5
    gpu.start_epoch(3, 5);
    draw(cpu, gpu, -1, drawn);
    ASSERT_EQ(drawn.size(), 13u + 13u + 4u + 8u);
    expect_same(drawn);
  }
}

}  // namespace
}  // namespace momenta::data
