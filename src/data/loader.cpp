#include "momenta/data/loader.h"

#include <algorithm>
#include <numeric>

#include "backend/staging.h"
#include "momenta/error.h"
#include "momenta/random.h"

namespace momenta::data {
namespace {

// Batches prepared ahead of the consumer: one being gathered while the consumer trains on the
// previous one, and one ready, which hides a slow batch without holding much memory.
constexpr int kPrefetchDepth = 2;

// NOTE [batch staging]: for a CUDA device, batch i is gathered into pinned buffer
// i % (kPrefetchDepth + 1) and its device tensors are allocated when it is scheduled; next()
// queues the asynchronous copies (images, labels, and targets when the dataset has them) and
// returns at once. The stream orders the
// step's kernels after the copies. A buffer is written again only after its last copy ran
// (PinnedStage::wait): when batch i is scheduled, batch i - 2 has just been handed out and
// batch i - 1 is pending, so with three buffers the one batch i reuses is batch i - 3's, whose
// copy was queued a whole step earlier and has normally long finished.
constexpr int kStages = kPrefetchDepth + 1;

}  // namespace

DataLoader::DataLoader(const Dataset& dataset, LoaderOptions options, Augmentation augmentation)
    : dataset_(dataset), options_(options), augmentation_(augmentation) {
  check<ValueError>(options_.batch_size >= 1, "DataLoader: batch_size must be at least 1, got ", options_.batch_size);
  sample_shape_ =
      augmentation_.active() ? augmented_shape(augmentation_, dataset_.sample_shape()) : dataset_.sample_shape();
}

DataLoader::~DataLoader() { stop_worker(); }

int64_t DataLoader::num_batches() const {
  const int64_t n = dataset_.size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

void DataLoader::start_epoch(int64_t epoch, int64_t first_batch) {
  check<ValueError>(epoch >= 0, "DataLoader::start_epoch: epoch must be non-negative, got ", epoch);
  const int64_t batches = num_batches();
  check<ValueError>(first_batch >= 0 && first_batch <= batches, "DataLoader::start_epoch: first_batch ",
                    first_batch, " is outside [0, ", batches, "]");
  stop_worker();
  pending_.clear();

  const int64_t n = dataset_.size();
  if (options_.shuffle && n > 0) {
    order_ = random_permutation(n, options_.seed, static_cast<uint64_t>(epoch));
  } else {
    order_.resize(static_cast<size_t>(n));
    std::iota(order_.begin(), order_.end(), int64_t{0});
  }
  epoch_ = epoch;
  next_batch_ = next_schedule_ = first_batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.clear();
    filled_until_ = first_batch;
    error_ = nullptr;
    stop_ = false;
  }
  if (options_.prefetch && first_batch < batches) {
    try {  // scheduling allocates (device tensors, pinned buffers): a failure leaves no epoch
      for (int k = 0; k < kPrefetchDepth; ++k) schedule_next();
    } catch (...) {
      pending_.clear();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        jobs_.clear();
      }
      epoch_ = -1;
      throw;
    }
    worker_ = std::thread(&DataLoader::worker_loop, this);
  }
}

bool DataLoader::next(Batch& out) {
  check<Error>(epoch_ >= 0, "DataLoader::next: call start_epoch() first");
  if (next_batch_ >= num_batches()) return false;
  if (!options_.prefetch) {
    Batch b = make_batch(next_batch_);
    fill(job_for(b));
    out = std::move(b);
    ++next_batch_;
    to_device(out);
    return true;
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return filled_until_ > next_batch_ || error_ != nullptr; });
    // Batches filled before the failure are still delivered; the error comes at its own batch.
    if (filled_until_ <= next_batch_) std::rethrow_exception(error_);
  }
  out = std::move(pending_.front());
  pending_.pop_front();
  ++next_batch_;
  to_device(out);  // before schedule_next, which may wait for an earlier copy (NOTE [batch staging])
  schedule_next();
  return true;
}

void DataLoader::to_device(Batch& b) {
  if (!staged()) return;
  backend::PinnedStage& stage = *stages_[static_cast<size_t>(b.index % kStages)];
  stage.copy_to(b.images, 0);
  stage.copy_to(b.labels, labels_offset_);
  if (b.targets.defined()) stage.copy_to(b.targets, targets_offset_);
}

DataLoader::Job DataLoader::job_for(const Batch& b) {
  if (!staged())
    return Job{b.index, b.images.data<float>(), b.labels.data<int64_t>(),
               b.targets.defined() ? b.targets.data<float>() : nullptr};
  if (stages_.empty()) {
    int64_t sample = 1;
    for (int64_t d : sample_shape_) sample *= d;
    const size_t image_bytes = static_cast<size_t>(options_.batch_size * sample) * sizeof(float);
    labels_offset_ = (image_bytes + alignof(int64_t) - 1) / alignof(int64_t) * alignof(int64_t);
    targets_offset_ = labels_offset_ + static_cast<size_t>(options_.batch_size) * sizeof(int64_t);
    const size_t bytes =
        targets_offset_ + static_cast<size_t>(options_.batch_size * dataset_.target_numel()) * sizeof(float);
    std::vector<std::unique_ptr<backend::PinnedStage>> made;  // all or none, should one fail
    for (int k = 0; k < kStages; ++k) made.push_back(std::make_unique<backend::PinnedStage>(options_.device, bytes));
    stages_ = std::move(made);
  }
  backend::PinnedStage& stage = *stages_[static_cast<size_t>(b.index % kStages)];
  stage.wait();
  char* base = static_cast<char*>(stage.data());
  return Job{b.index, reinterpret_cast<float*>(base), reinterpret_cast<int64_t*>(base + labels_offset_),
             b.targets.defined() ? reinterpret_cast<float*>(base + targets_offset_) : nullptr};
}

Batch DataLoader::make_batch(int64_t index) const {
  const int64_t start = index * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, dataset_.size() - start);
  Shape image_shape{count};
  for (int64_t d : sample_shape_) image_shape.push_back(d);
  Batch b;
  b.images = Tensor::empty(image_shape, kFloat32, options_.device);  // on a CUDA device: filled by to_device
  b.labels = Tensor::empty(Shape{count}, kInt64, options_.device);
  if (dataset_.target_numel() > 0)
    b.targets = Tensor::empty(Shape{count, dataset_.target_numel()}, kFloat32, options_.device);
  b.index = index;
  return b;
}

void DataLoader::fill(const Job& job) {
  const int64_t start = job.index * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, dataset_.size() - start);
  gather_augmented(dataset_, augmentation_, options_.seed, epoch_, order_.data() + start, count, scratch_, job.images,
                   job.labels);
  if (job.targets != nullptr) dataset_.get_targets(order_.data() + start, count, job.targets);
}

void DataLoader::schedule_next() {
  if (next_schedule_ >= num_batches()) return;
  Batch b = make_batch(next_schedule_);
  const Job job = job_for(b);
  pending_.push_back(std::move(b));
  ++next_schedule_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(job);
  }
  cv_.notify_all();
}

void DataLoader::stop_worker() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void DataLoader::worker_loop() {
  const int64_t last = num_batches() - 1;
  for (;;) {
    Job job{};
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = jobs_.front();
      jobs_.pop_front();
    }
    try {
      fill(job);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = std::current_exception();
      cv_.notify_all();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      filled_until_ = job.index + 1;
    }
    cv_.notify_all();
    if (job.index >= last) return;
  }
}

}  // namespace momenta::data
