// Differentiable operations. Each is written once (forward, backward, shape rules, checks) in
// src/ops/ and calls a backend kernel for the tensor's device.
#pragma once

#include <cstdint>
#include <vector>

#include "momenta/random.h"
#include "momenta/tensor.h"

namespace momenta {

// ---- elementwise, broadcasting (numpy rules) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double s);
Tensor mul(const Tensor& a, double s);
Tensor pow(const Tensor& a, double exponent);
Tensor rsub(double s, const Tensor& a);  // s - a
Tensor rdiv(double s, const Tensor& a);  // s / a

// ---- comparisons (not differentiable; 1 where true, 0 elsewhere, in a's dtype) ----
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

// ---- unary ----
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact (erf) form

// ---- reductions ----
// Over `axes` (all axes when empty); keepdim keeps reduced axes with size 1.
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
// Maximum over one axis; its gradient flows to the first maximal element.
Tensor max(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor max(const Tensor& x);  // over all elements
// Index of the first maximal element along `axis` (int64, not differentiable).
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false);
// Reduces a broadcast gradient back to `shape` (summing broadcast axes).
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- linear algebra ----
// [M,K] @ [K,N] -> [M,N]; [B,M,K] @ [B,K,N] -> [B,M,N] (a batch of 1 broadcasts).
Tensor matmul(const Tensor& a, const Tensor& b);
// y = x W^T + b with x [..., in], W [out, in], b [out] (may be undefined).
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);

// ---- neural-network functions ----
Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);
// Mean cross-entropy of logits [N, C] against int64 class indices [N].
Tensor cross_entropy(const Tensor& logits, const Tensor& target);
// Mean squared error over all elements.
Tensor mse_loss(const Tensor& input, const Tensor& target);
// Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p); identity when
// !training or p == 0. The mask comes from `gen` (Philox), so it is reproducible.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);
// Concatenation along `axis`.
Tensor cat(const std::vector<Tensor>& xs, int64_t axis);

// ---- operator sugar ----
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, s); }
inline Tensor operator+(double s, const Tensor& a) { return add(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return add(a, -s); }
inline Tensor operator-(double s, const Tensor& a) { return rsub(s, a); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
inline Tensor operator/(const Tensor& a, double s) { return mul(a, 1.0 / s); }
inline Tensor operator/(double s, const Tensor& a) { return rdiv(s, a); }

}  // namespace momenta
