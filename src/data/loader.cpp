#include "momenta/data/loader.h"

#include <algorithm>
#include <numeric>

#include "momenta/error.h"
#include "momenta/random.h"

namespace momenta::data {
namespace {

// Batches prepared ahead of the consumer: one being gathered while the consumer trains on the
// previous one, and one ready, which hides a slow batch without holding much memory.
constexpr int kPrefetchDepth = 2;

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
    for (int k = 0; k < kPrefetchDepth; ++k) schedule_next();
    worker_ = std::thread(&DataLoader::worker_loop, this);
  }
}

bool DataLoader::next(Batch& out) {
  check<Error>(epoch_ >= 0, "DataLoader::next: call start_epoch() first");
  if (next_batch_ >= num_batches()) return false;
  if (!options_.prefetch) {
    Batch b = make_batch(next_batch_);
    fill(next_batch_, b.images.data<float>(), b.labels.data<int64_t>());
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
  schedule_next();
  to_device(out);
  return true;
}

void DataLoader::to_device(Batch& b) const {
  if (options_.device.is_cpu()) return;
  b.images = b.images.to(options_.device);
  b.labels = b.labels.to(options_.device);
}

Batch DataLoader::make_batch(int64_t index) const {
  const int64_t start = index * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, dataset_.size() - start);
  Shape image_shape{count};
  for (int64_t d : sample_shape_) image_shape.push_back(d);
  Batch b;
  b.images = Tensor::empty(image_shape, kFloat32);
  b.labels = Tensor::empty(Shape{count}, kInt64);
  b.index = index;
  return b;
}

void DataLoader::fill(int64_t index, float* images, int64_t* labels) {
  const int64_t start = index * options_.batch_size;
  const int64_t count = std::min(options_.batch_size, dataset_.size() - start);
  gather_augmented(dataset_, augmentation_, options_.seed, epoch_, order_.data() + start, count, scratch_, images,
                   labels);
}

void DataLoader::schedule_next() {
  if (next_schedule_ >= num_batches()) return;
  Batch b = make_batch(next_schedule_);
  const Job job{next_schedule_, b.images.data<float>(), b.labels.data<int64_t>()};
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
      fill(job.index, job.images, job.labels);
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
