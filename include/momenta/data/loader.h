// DataLoader: batches of a Dataset in a seeded per-epoch order, prepared ahead of the consumer
// by a background thread.
//
// NOTE [data order]: epoch e visits random_permutation(N, seed, e) when shuffling and 0..N-1
// otherwise, so (seed, epoch, batch index) fixes every batch: a resumed run calls
// start_epoch(e, first_batch) and sees the same batches as the run that wrote the checkpoint.
// Prefetching changes when a batch is gathered, never what it holds. An augmentation draws its
// random choices for a sample from (seed, epoch, dataset index) alone (NOTE [augmentation stream]
// in data/augment.h), so augmented batches are fixed by the same triple.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "momenta/data/augment.h"
#include "momenta/data/dataset.h"
#include "momenta/tensor.h"

namespace momenta::backend {
class PinnedStage;
}

namespace momenta::data {

struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;  // drop a last batch smaller than batch_size
  uint64_t seed = 0;
  bool prefetch = true;  // gather batches on a background thread
  // Where next() delivers the batch. For a CUDA device, batches are gathered on the CPU into
  // pinned (page-locked) staging buffers and sent with asynchronous copies as next() hands them
  // out: NOTE [batch staging] in loader.cpp.
  Device device = kCPU;
};

struct Batch {
  Tensor images;       // float32 [B, ...sample shape] ([B, C, H, W] for images) on LoaderOptions::device
  Tensor labels;       // int64 [B]
  int64_t index = 0;   // position of the batch in its epoch
  Tensor targets = {};  // float32 [B, T] when the dataset has targets (Dataset::target_numel() = T > 0)
};

class DataLoader {
 public:
  // The dataset must outlive the loader. Throws ValueError for batch_size < 1, and the errors of
  // augmented_shape for an augmentation that does not fit the dataset's samples. The augmentation
  // (none by default) is seeded with options.seed and applied where batches are gathered.
  DataLoader(const Dataset& dataset, LoaderOptions options, Augmentation augmentation = {});
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Begins epoch `epoch` at batch `first_batch` (0 unless resuming), abandoning any epoch in
  // progress.
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // The next batch of the epoch into `out`; false when the epoch is over. An exception thrown by
  // the dataset is rethrown here, at the batch that failed. Throws Error before any start_epoch.
  bool next(Batch& out);

  int64_t num_batches() const;
  int64_t epoch() const { return epoch_; }
  const LoaderOptions& options() const { return options_; }
  const Augmentation& augmentation() const { return augmentation_; }
  // The shape of one sample in a batch: the dataset's, after augmentation.
  const Shape& sample_shape() const { return sample_shape_; }
  // The sample order of the current epoch.
  const std::vector<int64_t>& order() const { return order_; }

 private:
  // A batch handed to the worker: the tensors stay in pending_ and the worker only writes
  // through these pointers, so every Tensor is created and destroyed on the consumer's thread
  // (the allocator need not be thread-safe).
  struct Job {
    int64_t index;
    float* images;
    int64_t* labels;
    float* targets;  // null without targets
  };

  bool staged() const { return options_.device.is_cuda(); }
  Batch make_batch(int64_t index) const;
  // Where batch `index` is gathered: its own CPU tensors, or (staged) its pinned buffer.
  Job job_for(const Batch& b);
  void to_device(Batch& b);
  void fill(const Job& job);
  void schedule_next();
  void stop_worker();
  void worker_loop();

  const Dataset& dataset_;
  LoaderOptions options_;
  Augmentation augmentation_;
  Shape sample_shape_;
  // The gathered batch before augmentation; used only by fill(), which runs on one thread at a
  // time (the worker, or the consumer when not prefetching).
  std::vector<float> scratch_;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;
  int64_t next_batch_ = 0;      // the next batch next() returns
  int64_t next_schedule_ = 0;   // the next batch to hand to the worker
  std::deque<Batch> pending_;   // scheduled batches, in order; consumer thread only
  // Staged delivery: kPrefetchDepth + 1 pinned buffers, batch i in buffer i % size; each holds
  // a full batch of images, then its labels at labels_offset_ and its targets (if any) at
  // targets_offset_. Consumer thread only.
  std::vector<std::unique_ptr<backend::PinnedStage>> stages_;
  size_t labels_offset_ = 0, targets_offset_ = 0;

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;        // guarded by mutex_
  int64_t filled_until_ = 0;    // batches before this index are filled; guarded by mutex_
  std::exception_ptr error_;    // guarded by mutex_
  bool stop_ = false;           // guarded by mutex_
};

}  // namespace momenta::data
