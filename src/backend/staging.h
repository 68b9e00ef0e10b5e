// Page-locked (pinned) host memory from which copies to a CUDA device run asynchronously: the
// DataLoader gathers a batch into one of these and sends it with cudaMemcpyAsync, so the host
// goes on queueing the training step instead of waiting for a pageable copy (which blocks until
// the device has drained). Implemented in backend/cuda/staging_cuda.cpp; a build without CUDA
// has only a constructor that throws NotSupportedError (src/core/device.cpp).
//
// Copies are queued on the device's legacy default stream (NOTE [CUDA stream order]), so the
// kernels queued after a copy read the batch it delivers without any further synchronisation.
// The host memory itself may be written again only after wait(): the copy reads it later, when
// the stream reaches it.
#pragma once

#include <cstddef>

#include "momenta/tensor.h"

namespace momenta::backend {

class PinnedStage {
 public:
  // nbytes of pinned host memory for copies to `device` (a CUDA device).
  PinnedStage(Device device, size_t nbytes);
  ~PinnedStage();  // waits for a copy still reading the memory, then frees it
  PinnedStage(const PinnedStage&) = delete;
  PinnedStage& operator=(const PinnedStage&) = delete;

  void* data() { return host_; }
  size_t size() const { return nbytes_; }
  // Queues a copy of dst's bytes from this buffer, starting at byte `offset`, into dst (a
  // contiguous tensor on the stage's device), and marks the buffer busy until it has run.
  void copy_to(const Tensor& dst, size_t offset);
  // Blocks until every copy queued from this buffer has read it; then it may be written again.
  void wait();

 private:
  Device device_;
  size_t nbytes_;
  void* host_ = nullptr;
  void* event_ = nullptr;  // cudaEvent_t, recorded after the last copy
  bool busy_ = false;      // a copy was queued since the last wait()
};

}  // namespace momenta::backend
