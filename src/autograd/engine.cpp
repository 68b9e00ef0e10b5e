// The backward engine: topological order by an iterative depth-first search from the root's
// node, then one pass in reverse order accumulating gradients per node and into leaves.
#include <unordered_map>
#include <unordered_set>

#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {
thread_local bool g_grad_mode = true;

// Adds g into the leaf's .grad: in place when a gradient buffer exists (parameters keep theirs
// in the gradient arena), else a private copy so later in-place adds never alias g.
void accumulate_leaf(TensorImpl& leaf, const Tensor& g) {
  check<ShapeError>(g.shape() == leaf.shape, "backward: gradient of shape ", fmt(g.shape()),
                    " for a leaf of shape ", fmt(leaf.shape));
  if (leaf.grad.defined()) {
    leaf.grad.add_(g);
  } else {
    Tensor copy = Tensor::empty(leaf.shape, leaf.dtype, leaf.storage->device);
    copy.copy_(g);
    leaf.grad = copy;
  }
}
}  // namespace

bool grad_mode_enabled() { return g_grad_mode; }
NoGradGuard::NoGradGuard() : prev_(g_grad_mode) { g_grad_mode = false; }
NoGradGuard::~NoGradGuard() { g_grad_mode = prev_; }

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_mode) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}
bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_mode) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void attach_grad_fn(Tensor& out, const char* name, const std::vector<Tensor>& inputs, BackwardFn fn) {
  auto node = std::make_shared<Node>();
  node->name = name;
  node->next.reserve(inputs.size());
  for (const Tensor& in : inputs) {
    Edge e;
    if (in.defined() && in.requires_grad()) {
      if (in.grad_fn()) {
        e.node = in.grad_fn();
      } else {
        e.leaf = in.impl_ptr();
      }
    }
    node->next.push_back(std::move(e));
  }
  node->backward = std::move(fn);
  out.impl()->requires_grad = true;
  out.impl()->grad_fn = std::move(node);
}

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph) {
  check<ValueError>(root.requires_grad(), "backward: the tensor does not require grad (no parameter or input with "
                                          "requires_grad contributed to it)");
  Tensor seed = grad;
  if (!seed.defined()) {
    check<ShapeError>(root.numel() == 1, "backward: a gradient must be given for a tensor of shape ",
                      fmt(root.shape()), " (only single-element outputs get an implicit 1)");
    seed = Tensor::ones(root.shape(), root.dtype(), root.device());
  }
  check<ShapeError>(seed.shape() == root.shape(), "backward: gradient shape ", fmt(seed.shape()),
                    " does not match tensor shape ", fmt(root.shape()));
  NoGradGuard no_grad;
  if (!root.grad_fn()) {
    accumulate_leaf(*root.impl(), seed);
    return;
  }
  // Reverse post-order of the graph reachable from the root.
  std::vector<Node*> order;
  std::unordered_set<Node*> seen;
  std::vector<std::pair<Node*, size_t>> stack{{root.grad_fn().get(), 0}};
  seen.insert(root.grad_fn().get());
  while (!stack.empty()) {
    auto& [node, next_i] = stack.back();
    if (next_i < node->next.size()) {
      Node* child = node->next[next_i++].node.get();
      if (child && seen.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  std::unordered_map<Node*, Tensor> grads;
  grads[root.grad_fn().get()] = seed;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    auto g_it = grads.find(node);
    if (g_it == grads.end()) continue;  // no gradient reached this node
    Tensor g = std::move(g_it->second);
    grads.erase(g_it);
    check<Error>(static_cast<bool>(node->backward),
                 "backward through '", node->name, "' a second time: the graph was freed (pass retain_graph=true)");
    std::vector<Tensor> in_grads = node->backward(g);
    for (size_t i = 0; i < node->next.size() && i < in_grads.size(); ++i) {
      const Edge& e = node->next[i];
      if (!e.valid() || !in_grads[i].defined()) continue;
      if (e.node) {
        auto [slot, inserted] = grads.try_emplace(e.node.get(), in_grads[i]);
        if (!inserted) slot->second = add(slot->second, in_grads[i]);
      } else {
        accumulate_leaf(*e.leaf, in_grads[i]);
      }
    }
    if (!retain_graph) node->backward = nullptr;  // frees saved tensors
  }
}

}  // namespace momenta
