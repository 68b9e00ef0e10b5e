// Pinned host staging for asynchronous host-to-device copies (see backend/staging.h).
#include <algorithm>

#include "backend/cuda/cuda_util.h"
#include "backend/staging.h"

namespace momenta::backend {

PinnedStage::PinnedStage(Device device, size_t nbytes) : device_(device), nbytes_(nbytes) {
  check<ValueError>(device.is_cuda(), "PinnedStage: stages copies to a CUDA device, not to ", device.str());
  cuda::DeviceGuard guard(device.index);
  // Portable: the memory is pinned for every device's context, not only the current one.
  cuda::check_cuda(cudaHostAlloc(&host_, std::max<size_t>(nbytes, 1), cudaHostAllocPortable),
                   "cudaHostAlloc (pinned staging buffer)");
  cudaEvent_t event = nullptr;
  const cudaError_t err = cudaEventCreateWithFlags(&event, cudaEventDisableTiming | cudaEventBlockingSync);
  if (err != cudaSuccess) {
    (void)cudaFreeHost(host_);
    cuda::check_cuda(err, "cudaEventCreateWithFlags");
  }
  event_ = event;
}

PinnedStage::~PinnedStage() {
  // Errors are ignored here: at exit the runtime may already be gone, and a destructor must not
  // throw. A copy in flight is waited for, so the memory is never freed under it.
  auto* event = static_cast<cudaEvent_t>(event_);
  if (busy_) (void)cudaEventSynchronize(event);
  (void)cudaEventDestroy(event);
  (void)cudaFreeHost(host_);
  (void)cudaGetLastError();  // an ignored error must not be reported later as a kernel's
}

void PinnedStage::copy_to(const Tensor& dst, size_t offset) {
  check<ValueError>(dst.device() == device_, "PinnedStage::copy_to: the stage copies to ", device_.str(),
                    ", the tensor is on ", dst.device().str());
  check<ValueError>(dst.is_contiguous(), "PinnedStage::copy_to: the destination must be contiguous");
  const size_t n = static_cast<size_t>(dst.numel()) * dtype_size(dst.dtype());
  check<ValueError>(offset <= nbytes_ && n <= nbytes_ - offset, "PinnedStage::copy_to: ", n, " bytes at offset ",
                    offset, " overrun the ", nbytes_, "-byte stage");
  if (n == 0) return;
  cuda::DeviceGuard guard(device_.index);
  cuda::check_cuda(cudaMemcpyAsync(dst.raw_data(), static_cast<const char*>(host_) + offset, n,
                                   cudaMemcpyHostToDevice, nullptr),
                   "cudaMemcpyAsync (pinned host to device)");
  busy_ = true;
  const cudaError_t err = cudaEventRecord(static_cast<cudaEvent_t>(event_), nullptr);
  if (err != cudaSuccess) {
    // Without the event, wait() could not tell when the copy has read the buffer: wait now.
    (void)cudaStreamSynchronize(nullptr);
    busy_ = false;
    cuda::check_cuda(err, "cudaEventRecord");
  }
}

void PinnedStage::wait() {
  if (!busy_) return;
  cuda::check_cuda(cudaEventSynchronize(static_cast<cudaEvent_t>(event_)), "cudaEventSynchronize");
  busy_ = false;
}

}  // namespace momenta::backend
