// CUDA 2-D convolution on cuDNN's legacy API (cudnn_cnn: cudnnConvolutionForward,
// cudnnConvolutionBackwardData, cudnnConvolutionBackwardFilter; descriptors from cudnn_ops).
// Plain NCHW only; the channel-blocked layouts are the CPU's (oneDNN). The bias is added and
// reduced by our own kernels (conv_bias_cuda.cu): deterministic, and rounded as on the CPU.
//
// Math: every convolution descriptor is set to CUDNN_FMA_MATH, which restricts cuDNN to kernels
// built from FMA instructions: no TF32 tensor cores (which CUDNN_DEFAULT_MATH permits on Ampere
// and later), so float32 results match the CPU up to summation order (~1e-5 relative).
//
// Algorithms: chosen once per (device, geometry, dtype, direction) from cuDNN's heuristics
// (cudnnGet*Algorithm_v7, which run nothing and return the same ranking on every call, unlike
// the timing-based cudnnFind*) and cached: the first result whose status is success, which is
// deterministic (CUDNN_DETERMINISTIC, so a run repeats bit for bit), which is not a tensor-op
// variant, and whose workspace fits kMaxWorkspace. Workspaces come from the caching allocator.
// All calls run on the legacy default stream (NOTE [CUDA stream order] in cuda_util.h).
#include <cudnn.h>

#include <algorithm>
#include <array>
#include <climits>
#include <map>
#include <mutex>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/conv_bias_cuda.h"
#include "backend/cuda/cuda_util.h"
#include "momenta/allocator.h"

namespace momenta::backend::cuda {
namespace {

// Throws momenta::Error naming the cuDNN call and cuDNN's message.
void check_cudnn(cudnnStatus_t st, const char* api) {
  if (st == CUDNN_STATUS_SUCCESS) return;
  throw Error(str_cat(api, " failed: ", cudnnGetErrorString(st), " (status ", static_cast<int>(st), ")"));
}

constexpr size_t kMaxWorkspace = size_t{1} << 30;  // 1 GiB

// One handle per device, made on first use and never destroyed (cudnnDestroy after the CUDA
// runtime shut down at exit would fail). Handles run on the legacy default stream.
cudnnHandle_t cudnn_handle(int index) {
  static std::mutex mu;
  static auto* handles = new std::vector<cudnnHandle_t>();
  std::lock_guard<std::mutex> lock(mu);
  if (handles->size() <= static_cast<size_t>(index)) handles->resize(static_cast<size_t>(index) + 1, nullptr);
  cudnnHandle_t& h = (*handles)[static_cast<size_t>(index)];
  if (h == nullptr) {
    // Cached only once fully set up: a failed call must not leave a half-made handle behind
    // for the next caller.
    DeviceGuard guard(index);
    cudnnHandle_t made = nullptr;
    check_cudnn(cudnnCreate(&made), "cudnnCreate");
    const cudnnStatus_t st = cudnnSetStream(made, nullptr);
    if (st != CUDNN_STATUS_SUCCESS) (void)cudnnDestroy(made);
    check_cudnn(st, "cudnnSetStream");
    h = made;
  }
  return h;
}

cudnnDataType_t cudnn_dtype(DType t) {
  check<NotSupportedError>(t == DType::kFloat32 || t == DType::kFloat64, "conv2d on CUDA: expected float32 or ",
                           "float64, got ", dtype_name(t));
  return t == DType::kFloat32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

int to_int(int64_t v, const char* what) {
  check<NotSupportedError>(v >= 0 && v <= INT_MAX, "conv2d on CUDA: ", what, " = ", v, " does not fit cuDNN's int");
  return static_cast<int>(v);
}

// cuDNN's scaling factors: host pointers to double for CUDNN_DATA_DOUBLE, to float otherwise.
struct Scale {
  float f;
  double d;
  const void* ptr(DType t) const { return t == DType::kFloat64 ? static_cast<const void*>(&d) : &f; }
};
constexpr Scale kOne{1.0f, 1.0};
constexpr Scale kZero{0.0f, 0.0};

// The descriptors of one convolution: x [N, C, H, W], w [K, C / G, R, S], y [N, K, P, Q].
class ConvDescriptors {
 public:
  ConvDescriptors(const Conv2dParams& p, DType dtype) {
    // A constructor that throws runs no destructor: release what was made before rethrowing.
    try {
      set(p, dtype);
    } catch (...) {
      destroy();
      throw;
    }
  }
  ~ConvDescriptors() { destroy(); }
  ConvDescriptors(const ConvDescriptors&) = delete;
  ConvDescriptors& operator=(const ConvDescriptors&) = delete;

  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

 private:
  void set(const Conv2dParams& p, DType dtype) {
    const cudnnDataType_t dt = cudnn_dtype(dtype);
    check_cudnn(cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
    check_cudnn(cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
    check_cudnn(cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
    check_cudnn(cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
    // (desc, format, dataType, n, c, h, w)
    check_cudnn(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, dt, to_int(p.n, "N"), to_int(p.c, "C"),
                                           to_int(p.h, "H"), to_int(p.w, "W")),
                "cudnnSetTensor4dDescriptor (input)");
    check_cudnn(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, dt, to_int(p.n, "N"), to_int(p.k, "K"),
                                           to_int(p.p, "P"), to_int(p.q, "Q")),
                "cudnnSetTensor4dDescriptor (output)");
    // (desc, dataType, format, k, c, h, w): c is the channels of one group.
    check_cudnn(cudnnSetFilter4dDescriptor(w, dt, CUDNN_TENSOR_NCHW, to_int(p.k, "K"), to_int(p.c / p.groups, "C/G"),
                                           to_int(p.r, "R"), to_int(p.s, "S")),
                "cudnnSetFilter4dDescriptor");
    // (desc, pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w, mode, computeType).
    // Cross-correlation (no kernel flip), as the CPU kernels and PyTorch compute.
    check_cudnn(cudnnSetConvolution2dDescriptor(conv, to_int(p.pad_h, "pad_h"), to_int(p.pad_w, "pad_w"),
                                                to_int(p.stride_h, "stride_h"), to_int(p.stride_w, "stride_w"),
                                                to_int(p.dil_h, "dil_h"), to_int(p.dil_w, "dil_w"),
                                                CUDNN_CROSS_CORRELATION, dt),
                "cudnnSetConvolution2dDescriptor");
    check_cudnn(cudnnSetConvolutionGroupCount(conv, to_int(p.groups, "groups")), "cudnnSetConvolutionGroupCount");
    // FMA only: no TF32 (see the top of this file).
    check_cudnn(cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH), "cudnnSetConvolutionMathType");
  }
  void destroy() {
    // Destroying a descriptor cannot fail in a way we could act on here.
    if (conv != nullptr) cudnnDestroyConvolutionDescriptor(conv);
    if (w != nullptr) cudnnDestroyFilterDescriptor(w);
    if (y != nullptr) cudnnDestroyTensorDescriptor(y);
    if (x != nullptr) cudnnDestroyTensorDescriptor(x);
    conv = nullptr, w = nullptr, y = nullptr, x = nullptr;
  }
};

// A workspace from the device's caching allocator, returned when it goes out of scope (safe at
// once: the kernel that uses it is queued on the default stream before any later user).
class Workspace {
 public:
  Workspace(Device device, size_t bytes) : device_(device), bytes_(bytes) {
    if (bytes_ > 0) ptr_ = allocator_for(device_).allocate(bytes_);
  }
  ~Workspace() {
    if (ptr_ != nullptr) allocator_for(device_).deallocate(ptr_, bytes_);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  Device device_;
  size_t bytes_;
  void* ptr_ = nullptr;
};

enum class Direction : int64_t { kForward, kBackwardData, kBackwardFilter };

struct Choice {
  int algo;
  size_t workspace;
};

using CacheKey = std::array<int64_t, 18>;

CacheKey cache_key(const Conv2dParams& p, DType dtype, Direction dir, int device) {
  return {p.n,         p.c,          p.h,     p.w,     p.k,     p.r,     p.s,      p.stride_h,
          p.stride_w,  p.pad_h,      p.pad_w, p.dil_h, p.dil_w, p.groups, static_cast<int64_t>(dtype),
          static_cast<int64_t>(dir), device,  0};
}

bool acceptable_math(cudnnMathType_t m) { return m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH; }

// The first acceptable result of a heuristic query; `workspace_of` asks cuDNN the workspace of an
// algorithm under our (FMA) descriptor, or returns false when it cannot run it.
template <class Perf, class WorkspaceOf>
bool pick(const std::vector<Perf>& perf, int returned, WorkspaceOf&& workspace_of, Choice& out) {
  for (int i = 0; i < returned; ++i) {
    const Perf& r = perf[static_cast<size_t>(i)];
    if (r.status != CUDNN_STATUS_SUCCESS || r.determinism != CUDNN_DETERMINISTIC || !acceptable_math(r.mathType))
      continue;
    size_t bytes = 0;
    if (!workspace_of(static_cast<int>(r.algo), bytes) || bytes > kMaxWorkspace) continue;
    out = Choice{static_cast<int>(r.algo), bytes};
    return true;
  }
  return false;
}

// The three directions' cuDNN queries, for find_algo: the result type, the heuristic query and
// its size, the workspace of one algorithm, and the fallback when no heuristic result fits.
struct ForwardAlgo {
  using Perf = cudnnConvolutionFwdAlgoPerf_t;
  static constexpr const char* kMaxCountCall = "cudnnGetConvolutionForwardAlgorithmMaxCount";
  static constexpr const char* kQueryCall = "cudnnGetConvolutionForwardAlgorithm_v7";
  static constexpr int kFallback = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;  // no workspace, every geometry
  static cudnnStatus_t max_count(cudnnHandle_t h, int* n) { return cudnnGetConvolutionForwardAlgorithmMaxCount(h, n); }
  static cudnnStatus_t query(cudnnHandle_t h, const ConvDescriptors& d, int n, int* returned, Perf* perf) {
    return cudnnGetConvolutionForwardAlgorithm_v7(h, d.x, d.w, d.conv, d.y, n, returned, perf);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, int algo, size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(h, d.x, d.w, d.conv, d.y,
                                                   static_cast<cudnnConvolutionFwdAlgo_t>(algo), bytes);
  }
};

struct BackwardDataAlgo {
  using Perf = cudnnConvolutionBwdDataAlgoPerf_t;
  static constexpr const char* kMaxCountCall = "cudnnGetConvolutionBackwardDataAlgorithmMaxCount";
  static constexpr const char* kQueryCall = "cudnnGetConvolutionBackwardDataAlgorithm_v7";
  static constexpr int kFallback = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;  // deterministic
  static cudnnStatus_t max_count(cudnnHandle_t h, int* n) {
    return cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, n);
  }
  static cudnnStatus_t query(cudnnHandle_t h, const ConvDescriptors& d, int n, int* returned, Perf* perf) {
    return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, d.w, d.y, d.conv, d.x, n, returned, perf);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, int algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, d.w, d.y, d.conv, d.x,
                                                        static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), bytes);
  }
};

struct BackwardFilterAlgo {
  using Perf = cudnnConvolutionBwdFilterAlgoPerf_t;
  static constexpr const char* kMaxCountCall = "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount";
  static constexpr const char* kQueryCall = "cudnnGetConvolutionBackwardFilterAlgorithm_v7";
  static constexpr int kFallback = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;  // deterministic
  static cudnnStatus_t max_count(cudnnHandle_t h, int* n) {
    return cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, n);
  }
  static cudnnStatus_t query(cudnnHandle_t h, const ConvDescriptors& d, int n, int* returned, Perf* perf) {
    return cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, d.x, d.y, d.conv, d.w, n, returned, perf);
  }
  static cudnnStatus_t workspace(cudnnHandle_t h, const ConvDescriptors& d, int algo, size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, d.x, d.y, d.conv, d.w,
                                                          static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), bytes);
  }
};

// cuDNN's heuristic ranking for one direction, the first acceptable entry (pick), else the
// fallback if cuDNN can run it here; algo -1 when neither.
template <class Algo>
Choice find_algo(cudnnHandle_t h, const ConvDescriptors& d) {
  int max_count = 0;
  check_cudnn(Algo::max_count(h, &max_count), Algo::kMaxCountCall);
  std::vector<typename Algo::Perf> perf(static_cast<size_t>(std::max(max_count, 1)));
  int returned = 0;
  check_cudnn(Algo::query(h, d, max_count, &returned, perf.data()), Algo::kQueryCall);
  auto ws = [&](int algo, size_t& bytes) { return Algo::workspace(h, d, algo, &bytes) == CUDNN_STATUS_SUCCESS; };
  Choice c{-1, 0};
  if (!pick(perf, returned, ws, c) && ws(Algo::kFallback, c.workspace)) c.algo = Algo::kFallback;
  return c;
}

// The cached choice for this convolution, made on first use.
Choice choose(const Conv2dParams& p, DType dtype, Direction dir, int device, cudnnHandle_t h,
              const ConvDescriptors& d) {
  static std::mutex mu;
  static auto* cache = new std::map<CacheKey, Choice>();
  const CacheKey key = cache_key(p, dtype, dir, device);
  {
    std::lock_guard<std::mutex> lock(mu);
    const auto it = cache->find(key);
    if (it != cache->end()) return it->second;
  }
  const Choice c = dir == Direction::kForward        ? find_algo<ForwardAlgo>(h, d)
                   : dir == Direction::kBackwardData ? find_algo<BackwardDataAlgo>(h, d)
                                                     : find_algo<BackwardFilterAlgo>(h, d);
  static const char* const kNames[] = {"forward", "backward data", "backward filter"};
  check<NotSupportedError>(c.algo >= 0, "conv2d on CUDA: cuDNN offers no deterministic FMA ",
                           kNames[static_cast<int>(dir)], " algorithm for input [", p.n, ", ", p.c, ", ", p.h, ", ",
                           p.w, "], weight [", p.k, ", ", p.c / p.groups, ", ", p.r, ", ", p.s, "], groups ",
                           p.groups);
  std::lock_guard<std::mutex> lock(mu);
  cache->emplace(key, c);
  return c;
}

void check_plain(const Conv2dParams& p, const char* what) {
  check<NotSupportedError>(p.in_block == 0 && p.out_block == 0, what,
                           " on CUDA: channel-blocked layouts (input block ", p.in_block, ", output block ",
                           p.out_block, ") are the CPU's (oneDNN); use NCHW (preferred_channel_block() is 0 on CUDA)");
  check<ValueError>(p.groups > 0 && p.c % p.groups == 0 && p.k % p.groups == 0, what, " on CUDA: ", p.groups,
                    " groups do not divide C=", p.c, " and K=", p.k);
}

void check_operand(const Tensor& t, int device, DType dtype, const char* what, const char* name) {
  check<ValueError>(cuda_index(t, what) == device, what, " on CUDA: ", name, " is on another device");
  check<ValueError>(t.dtype() == dtype, what, " on CUDA: ", name, " is ", dtype_name(t.dtype()), ", expected ",
                    dtype_name(dtype));
  check<ValueError>(t.is_contiguous(), what, " on CUDA: ", name, " must be contiguous");
}

// t = 0 (contiguous, on the current device), queued on the legacy default stream.
void zero_fill(const Tensor& t) {
  if (t.numel() == 0) return;
  check_cuda(cudaMemsetAsync(t.raw_data(), 0, static_cast<size_t>(t.numel()) * dtype_size(t.dtype())),
             "cudaMemsetAsync");
}

}  // namespace

// The CUDA forward keeps no copy of x in another layout: the backward reads x itself.
int64_t conv2d_workspace_bytes(const Conv2dParams&, const Tensor&) { return 0; }

void conv2d_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y,
                    const Tensor&) {
  check_plain(p, "conv2d");
  const int device = cuda_index(x, "conv2d");
  const DType dtype = x.dtype();
  check_operand(x, device, dtype, "conv2d", "input");
  check_operand(w, device, dtype, "conv2d", "weight");
  check_operand(y, device, dtype, "conv2d", "output");
  if (p.has_bias) check_operand(bias, device, dtype, "conv2d", "bias");
  if (y.numel() == 0) return;
  DeviceGuard guard(device);
  if (x.numel() == 0 || w.numel() == 0) {
    // Nothing to sum (C, H, W, R or S is 0; the output is not empty through padding): y = 0
    // (+ bias), as on the CPU. cuDNN is not asked: its descriptors take no zero extent.
    zero_fill(y);
  } else {
    cudnnHandle_t h = cudnn_handle(device);
    const ConvDescriptors d(p, dtype);
    const Choice c = choose(p, dtype, Direction::kForward, device, h, d);
    const Workspace ws(x.device(), c.workspace);
    check_cudnn(cudnnConvolutionForward(h, kOne.ptr(dtype), d.x, x.raw_data(), d.w, w.raw_data(), d.conv,
                                        static_cast<cudnnConvolutionFwdAlgo_t>(c.algo), ws.get(), ws.bytes(),
                                        kZero.ptr(dtype), d.y, y.raw_data()),
                "cudnnConvolutionForward");
  }
  if (p.has_bias) conv_bias_add(dtype, y.raw_data(), bias.raw_data(), p.n, p.k, p.p * p.q);
}

void conv2d_backward(const Conv2dParams& p, const Tensor& x, const Tensor&, const Tensor& gy, const Tensor& w,
                     const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  check_plain(p, "conv2d backward");
  check<ValueError>(!gw.defined() || gb.defined() == p.has_bias,
                    "conv2d backward: the bias gradient must be computed together with the weight gradient");
  const int device = cuda_index(gy, "conv2d backward");
  const DType dtype = gy.dtype();
  check_operand(gy, device, dtype, "conv2d backward", "output gradient");
  if (gx.defined()) {
    check_operand(gx, device, dtype, "conv2d backward", "input gradient");
    check_operand(w, device, dtype, "conv2d backward", "weight");
  }
  if (gw.defined()) {
    check_operand(gw, device, dtype, "conv2d backward", "weight gradient");
    check_operand(x, device, dtype, "conv2d backward", "input");
  }
  if (gb.defined()) check_operand(gb, device, dtype, "conv2d backward", "bias gradient");
  if (!gx.defined() && !gw.defined() && !gb.defined()) return;
  DeviceGuard guard(device);
  // An operand with no elements (N = 0 included) leaves nothing to sum: the gradients that read
  // it are zero (the bias gradient sums over an empty gy to zero), and cuDNN is not asked, since
  // its descriptors take no zero extent.
  const bool x_empty = p.n * p.c * p.h * p.w == 0, w_empty = p.k * (p.c / p.groups) * p.r * p.s == 0;
  const bool y_empty = p.n * p.k * p.p * p.q == 0;
  const bool data_by_cudnn = gx.defined() && gx.numel() > 0 && !w_empty && !y_empty;
  const bool filter_by_cudnn = gw.defined() && gw.numel() > 0 && !x_empty && !y_empty;
  if (gx.defined() && !data_by_cudnn) zero_fill(gx);
  if (gw.defined() && !filter_by_cudnn) zero_fill(gw);
  if (gb.defined()) conv_bias_grad(dtype, gy.raw_data(), gb.raw_data(), p.n, p.k, p.p * p.q);
  if (!data_by_cudnn && !filter_by_cudnn) return;
  cudnnHandle_t h = cudnn_handle(device);
  const ConvDescriptors d(p, dtype);
  if (data_by_cudnn) {
    const Choice c = choose(p, dtype, Direction::kBackwardData, device, h, d);
    const Workspace ws(gy.device(), c.workspace);
    check_cudnn(cudnnConvolutionBackwardData(h, kOne.ptr(dtype), d.w, w.raw_data(), d.y, gy.raw_data(), d.conv,
                                             static_cast<cudnnConvolutionBwdDataAlgo_t>(c.algo), ws.get(),
                                             ws.bytes(), kZero.ptr(dtype), d.x, gx.raw_data()),
                "cudnnConvolutionBackwardData");
  }
  if (filter_by_cudnn) {
    const Choice c = choose(p, dtype, Direction::kBackwardFilter, device, h, d);
    const Workspace ws(gy.device(), c.workspace);
    check_cudnn(cudnnConvolutionBackwardFilter(h, kOne.ptr(dtype), d.x, x.raw_data(), d.y, gy.raw_data(), d.conv,
                                               static_cast<cudnnConvolutionBwdFilterAlgo_t>(c.algo), ws.get(),
                                               ws.bytes(), kZero.ptr(dtype), d.w, gw.raw_data()),
                "cudnnConvolutionBackwardFilter");
  }
}

}  // namespace momenta::backend::cuda
