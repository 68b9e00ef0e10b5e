// oneDNN convolution primitives, created once per geometry and cached. Memory formats are left
// to oneDNN (format_tag::any, so it picks its blocked nChw8c/nChw16c layouts and the fastest
// kernel); an operand in another layout is reordered into the chosen one in a scratch buffer
// from the caching allocator, and the result is reordered back. Operands that are already
// channel-blocked the way oneDNN wants (a model that keeps its activations blocked) pass
// through untouched. Fed plain NCHW directly, oneDNN's kernels
// ran ~6x slower (34 vs 199 GFLOP/s, BENCHMARKING.md), so the reorders pay for themselves.
// Per convolution and training step that is: x in and y out (forward), gy in and gx out (data
// gradient); the weight gradient reuses the forward's reordered x (the op's workspace) and the
// reordered gy.
#include "backend/cpu/conv_onednn.h"

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include <dnnl.hpp>

namespace momenta::backend::cpu {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}
dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

// The oneDNN tag of a data layout: plain NCHW or channel-blocked (conv_params.h).
Tag data_tag(int64_t block) {
  switch (block) {
    case 0: return Tag::nchw;
    case 4: return Tag::nChw4c;
    case 8: return Tag::nChw8c;
    case 16: return Tag::nChw16c;
    default: return Tag::undef;
  }
}

int64_t right_pad(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dil, int64_t pad_l) {
  return (out - 1) * stride + (kernel - 1) * dil + 1 - in - pad_l;
}

struct Geometry {
  memory::desc src, weights, bias, dst;           // plain user layouts
  memory::desc src_any, weights_any, bias_any, dst_any;
  memory::dims strides, dilates, pad_l, pad_r;
};

Geometry make_geometry(const Conv2dParams& p) {
  const auto f32 = memory::data_type::f32;
  Geometry g;
  const memory::dims src{p.n, p.c, p.h, p.w}, dst{p.n, p.k, p.p, p.q}, bias{p.k};
  const memory::dims weights = p.groups == 1 ? memory::dims{p.k, p.c, p.r, p.s}
                                             : memory::dims{p.groups, p.k / p.groups, p.c / p.groups, p.r, p.s};
  g.src = memory::desc(src, f32, data_tag(p.in_block));
  g.dst = memory::desc(dst, f32, data_tag(p.out_block));
  g.weights = memory::desc(weights, f32, p.groups == 1 ? Tag::oihw : Tag::goihw);
  g.bias = memory::desc(bias, f32, Tag::x);
  g.src_any = memory::desc(src, f32, Tag::any);
  g.dst_any = memory::desc(dst, f32, Tag::any);
  g.weights_any = memory::desc(weights, f32, Tag::any);
  g.bias_any = memory::desc(bias, f32, Tag::any);
  g.strides = {p.stride_h, p.stride_w};
  g.dilates = {p.dil_h - 1, p.dil_w - 1};  // oneDNN counts the gaps, PyTorch the spacing
  g.pad_l = {p.pad_h, p.pad_w};
  g.pad_r = {right_pad(p.h, p.p, p.r, p.stride_h, p.dil_h, p.pad_h),
             right_pad(p.w, p.q, p.s, p.stride_w, p.dil_w, p.pad_w)};
  return g;
}

// The primitives of one geometry; backward ones are made on first use.
struct Entry {
  Geometry g;
  dnnl::convolution_forward::primitive_desc fwd_pd;
  dnnl::convolution_forward fwd;
  std::optional<dnnl::convolution_backward_data::primitive_desc> bwd_data_pd;
  dnnl::convolution_backward_data bwd_data;
  std::optional<dnnl::convolution_backward_weights::primitive_desc> bwd_weights_pd;
  dnnl::convolution_backward_weights bwd_weights;
};

using Key = std::array<int64_t, 19>;
Key key_of(const Conv2dParams& p) {
  return {p.n,     p.c,     p.h,        p.w,        p.k,           p.r,         p.s,
          p.p,     p.q,     p.stride_h, p.stride_w, p.pad_h,       p.pad_w,     p.dil_h,
          p.dil_w, p.groups, p.has_bias ? 1 : 0, p.in_block, p.out_block};
}

std::mutex cache_mutex;
std::map<Key, std::unique_ptr<Entry>>& cache() {
  static std::map<Key, std::unique_ptr<Entry>> c;
  return c;
}

Entry& entry_for(const Conv2dParams& p) {
  const bool bias = p.has_bias;
  std::lock_guard<std::mutex> lock(cache_mutex);
  auto& slot = cache()[key_of(p)];
  if (!slot) {
    auto e = std::make_unique<Entry>();
    e->g = make_geometry(p);
    const Geometry& g = e->g;
    const auto algo = dnnl::algorithm::convolution_direct;
    const auto desc = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, g.src_any,
                                                             g.weights_any, g.bias_any, g.dst_any, g.strides,
                                                             g.dilates, g.pad_l, g.pad_r)
                           : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, algo, g.src_any,
                                                             g.weights_any, g.dst_any, g.strides, g.dilates, g.pad_l,
                                                             g.pad_r);
    e->fwd_pd = dnnl::convolution_forward::primitive_desc(desc, engine());
    e->fwd = dnnl::convolution_forward(e->fwd_pd);
    slot = std::move(e);
  }
  return *slot;
}

// A plain user buffer viewed in the layout a primitive wants: either the buffer itself or a
// scratch copy in that layout (kept alive by `scratch`).
struct Operand {
  memory user, mem;
  Tensor scratch;
  bool reordered() const { return user.get() != mem.get(); }
};

Operand operand(const memory::desc& user_desc, const memory::desc& want, void* data) {
  Operand o;
  o.user = memory(user_desc, engine(), data);
  if (want == user_desc) {
    o.mem = o.user;
    return o;
  }
  o.scratch = Tensor::empty({static_cast<int64_t>((want.get_size() + 3) / 4)}, kFloat32);
  o.mem = memory(want, engine(), o.scratch.raw_data());
  return o;
}

// An input: reordered from the user buffer into the wanted layout (into `into` when given).
Operand input(const memory::desc& user_desc, const memory::desc& want, const Tensor& t, const Tensor& into = Tensor()) {
  Operand o;
  if (into.defined() && !(want == user_desc)) {
    o.user = memory(user_desc, engine(), t.raw_data());
    o.mem = memory(want, engine(), into.raw_data());
    o.scratch = into;
  } else {
    o = operand(user_desc, want, t.raw_data());
  }
  if (o.reordered()) dnnl::reorder(o.user, o.mem).execute(stream(), o.user, o.mem);
  return o;
}
// An output: written in the primitive's layout, then reordered into the user buffer by finish().
Operand output(const memory::desc& user_desc, const memory::desc& want, const Tensor& t) {
  return operand(user_desc, want, t.raw_data());
}
void finish(const Operand& o) {
  if (!o.reordered()) return;
  memory from = o.mem, to = o.user;
  dnnl::reorder(from, to).execute(stream(), from, to);
}

void make_backward_data(Entry& e) {
  const Geometry& g = e.g;
  dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, g.src_any, g.weights_any, g.dst_any,
                                             g.strides, g.dilates, g.pad_l, g.pad_r);
  e.bwd_data_pd.emplace(desc, engine(), e.fwd_pd);
  e.bwd_data = dnnl::convolution_backward_data(*e.bwd_data_pd);
}

void make_backward_weights(Entry& e, bool bias) {
  const Geometry& g = e.g;
  const auto algo = dnnl::algorithm::convolution_direct;
  const auto desc = bias ? dnnl::convolution_backward_weights::desc(algo, g.src_any, g.weights_any, g.bias_any,
                                                                    g.dst_any, g.strides, g.dilates, g.pad_l, g.pad_r)
                         : dnnl::convolution_backward_weights::desc(algo, g.src_any, g.weights_any, g.dst_any,
                                                                    g.strides, g.dilates, g.pad_l, g.pad_r);
  e.bwd_weights_pd.emplace(desc, engine(), e.fwd_pd);
  e.bwd_weights = dnnl::convolution_backward_weights(*e.bwd_weights_pd);
}

}  // namespace

// The right padding is negative when the last stride leaves input unread (a 1x1 stride-2
// convolution of an even size); oneDNN accepts that.
bool onednn_supports(const Conv2dParams& p) {
  return p.n > 0 && p.c > 0 && p.k > 0 && p.p > 0 && p.q > 0 && data_tag(p.in_block) != Tag::undef &&
         data_tag(p.out_block) != Tag::undef;
}

// Asks oneDNN which layout it picks for the output of a typical ResNet convolution (32 -> 32
// channels, 3x3) when free to choose: that is the layout its fastest kernels read and write.
int64_t onednn_channel_block() {
  static const int64_t block = [] {
    Conv2dParams p;
    p.n = 2, p.c = 32, p.h = 8, p.w = 8, p.k = 32, p.r = 3, p.s = 3, p.p = 8, p.q = 8, p.pad_h = 1, p.pad_w = 1;
    const memory::desc chosen = entry_for(p).fwd_pd.dst_desc();
    for (int64_t b : {16, 8, 4}) {
      if (chosen == memory::desc({p.n, p.k, p.p, p.q}, memory::data_type::f32, data_tag(b))) return b;
    }
    return int64_t{0};
  }();
  return block;
}

int64_t onednn_workspace_bytes(const Conv2dParams& p) {
  const Entry& e = entry_for(p);
  const memory::desc src = e.fwd_pd.src_desc();
  return src == e.g.src ? 0 : static_cast<int64_t>(src.get_size());
}

void onednn_conv_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y,
                         const Tensor& workspace) {
  Entry& e = entry_for(p);
  const Operand src = input(e.g.src, e.fwd_pd.src_desc(), x, workspace);
  const Operand wei = input(e.g.weights, e.fwd_pd.weights_desc(), w);
  const Operand dst = output(e.g.dst, e.fwd_pd.dst_desc(), y);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src.mem}, {DNNL_ARG_WEIGHTS, wei.mem}, {DNNL_ARG_DST, dst.mem}};
  Operand b;
  if (p.has_bias) {
    b = input(e.g.bias, e.fwd_pd.bias_desc(), bias);
    args.emplace(DNNL_ARG_BIAS, b.mem);
  }
  e.fwd.execute(stream(), args);
  finish(dst);
  stream().wait();
}

void onednn_conv_backward(const Conv2dParams& p, const Tensor& x, const Tensor& workspace, const Tensor& gy,
                          const Tensor& w, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  Entry& e = entry_for(p);
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (gx.defined() && !e.bwd_data_pd) make_backward_data(e);
    if (gw.defined() && !e.bwd_weights_pd) make_backward_weights(e, p.has_bias);
  }
  Operand dy;  // gy in the layout of the data gradient, shared with the weight gradient when it fits
  if (gx.defined()) {
    const auto& pd = *e.bwd_data_pd;
    dy = input(e.g.dst, pd.diff_dst_desc(), gy);
    const Operand wei = input(e.g.weights, pd.weights_desc(), w);
    const Operand dx = output(e.g.src, pd.diff_src_desc(), gx);
    e.bwd_data.execute(stream(), {{DNNL_ARG_DIFF_DST, dy.mem}, {DNNL_ARG_WEIGHTS, wei.mem}, {DNNL_ARG_DIFF_SRC, dx.mem}});
    finish(dx);
  }
  if (gw.defined()) {
    const auto& pd = *e.bwd_weights_pd;
    if (!gx.defined() || !(dy.mem.get_desc() == pd.diff_dst_desc())) dy = input(e.g.dst, pd.diff_dst_desc(), gy);
    Operand src;
    if (workspace.defined() && pd.src_desc() == e.fwd_pd.src_desc()) {
      src.mem = memory(pd.src_desc(), engine(), workspace.raw_data());  // the forward's reordered x
    } else {
      src = input(e.g.src, pd.src_desc(), x);
    }
    const Operand dw = output(e.g.weights, pd.diff_weights_desc(), gw);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src.mem}, {DNNL_ARG_DIFF_DST, dy.mem},
                                         {DNNL_ARG_DIFF_WEIGHTS, dw.mem}};
    Operand db;
    if (p.has_bias) {
      db = output(e.g.bias, pd.diff_bias_desc(), gb);
      args.emplace(DNNL_ARG_DIFF_BIAS, db.mem);
    }
    e.bwd_weights.execute(stream(), args);
    finish(dw);
    if (p.has_bias) finish(db);
  }
  stream().wait();
}

}  // namespace momenta::backend::cpu
