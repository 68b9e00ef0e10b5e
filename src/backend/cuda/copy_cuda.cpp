// Copies that touch a CUDA device: host to device, device to host, within a device and between
// devices. Same dtype and contiguous on both sides is one cudaMemcpy; anything else (strides,
// broadcast sources, dtype conversion) is packed first where that is cheap, on the host by the
// CPU backend or on the device by copy_on_device, so every transfer moves one dense block.
#include "backend/backend.h"
#include "backend/cuda/cuda_util.h"

namespace momenta::backend::cuda {
namespace {

size_t nbytes_of(const Tensor& t) { return static_cast<size_t>(t.numel()) * dtype_size(t.dtype()); }

bool plain_pair(const Tensor& src, const Tensor& dst) {
  return src.dtype() == dst.dtype() && src.is_contiguous() && dst.is_contiguous();
}

void host_to_device(const Tensor& src, const Tensor& dst) {
  const int index = cuda_index(dst, "copy to CUDA");
  if (plain_pair(src, dst)) {
    DeviceGuard guard(index);
    check_cuda(cudaMemcpy(dst.raw_data(), src.raw_data(), nbytes_of(dst), cudaMemcpyHostToDevice),
               "cudaMemcpy (host to device)");
    return;
  }
  // Convert and pack on the host, send one block, scatter on the device if dst is strided.
  Tensor packed = Tensor::empty(dst.shape(), dst.dtype(), kCPU);
  cpu::copy(src, packed);
  if (dst.is_contiguous()) return host_to_device(packed, dst);
  Tensor dense = Tensor::empty(dst.shape(), dst.dtype(), dst.device());
  host_to_device(packed, dense);
  copy_on_device(dense, dst);
}

void device_to_host(const Tensor& src, const Tensor& dst) {
  const int index = cuda_index(src, "copy from CUDA");
  if (plain_pair(src, dst)) {
    DeviceGuard guard(index);
    check_cuda(cudaMemcpy(dst.raw_data(), src.raw_data(), nbytes_of(dst), cudaMemcpyDeviceToHost),
               "cudaMemcpy (device to host)");
    return;
  }
  // Convert and pack on the device, fetch one block, scatter on the host if dst is strided.
  Tensor dense = Tensor::empty(src.shape(), dst.dtype(), src.device());
  copy_on_device(src, dense);
  if (dst.is_contiguous()) return device_to_host(dense, dst);
  Tensor host = Tensor::empty(src.shape(), dst.dtype(), kCPU);
  device_to_host(dense, host);
  cpu::copy(host, dst);
}

void device_to_device(const Tensor& src, const Tensor& dst) {
  const int from = cuda_index(src, "copy between CUDA devices"), to = cuda_index(dst, "copy between CUDA devices");
  if (from == to) {
    if (!plain_pair(src, dst)) return copy_on_device(src, dst);
    DeviceGuard guard(to);
    check_cuda(cudaMemcpyAsync(dst.raw_data(), src.raw_data(), nbytes_of(dst), cudaMemcpyDeviceToDevice, nullptr),
               "cudaMemcpyAsync (device to device)");
    return;
  }
  // Across devices: pack on the source device, move one block, scatter on the target device.
  Tensor packed = src;
  if (!(src.is_contiguous() && src.dtype() == dst.dtype())) {
    packed = Tensor::empty(src.shape(), dst.dtype(), src.device());
    copy_on_device(src, packed);
  }
  Tensor landing = dst.is_contiguous() ? dst : Tensor::empty(dst.shape(), dst.dtype(), dst.device());
  check_cuda(cudaMemcpyPeer(landing.raw_data(), to, packed.raw_data(), from, nbytes_of(dst)), "cudaMemcpyPeer");
  if (!dst.is_contiguous()) copy_on_device(landing, dst);
}

}  // namespace

void copy(const Tensor& src, const Tensor& dst) {
  check<ShapeError>(src.shape() == dst.shape(), "copy: source of shape ", fmt(src.shape()),
                    " does not match destination of shape ", fmt(dst.shape()));
  if (dst.numel() == 0) return;
  const bool src_cpu = src.device().is_cpu(), dst_cpu = dst.device().is_cpu();
  if (src_cpu && dst_cpu) return cpu::copy(src, dst);
  if (src_cpu) return host_to_device(src, dst);
  if (dst_cpu) return device_to_host(src, dst);
  device_to_device(src, dst);
}

}  // namespace momenta::backend::cuda
