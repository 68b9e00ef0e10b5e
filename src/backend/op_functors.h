// Maps an op code to its functor from kernels/elementwise.h, once, outside any loop. Every
// backend (CPU loops, CUDA kernels) calls these, so the table exists once.
#pragma once

#include "backend/ops_enum.h"
#include "momenta/error.h"
#include "momenta/kernels/elementwise.h"

namespace momenta::backend {

template <class Fn>
void with_unary(UnaryOp op, Fn&& fn) {
  using namespace momenta::kernels;
  switch (op) {
    case UnaryOp::kNeg: return fn(NegOp{});
    case UnaryOp::kExp: return fn(ExpOp{});
    case UnaryOp::kLog: return fn(LogOp{});
    case UnaryOp::kSqrt: return fn(SqrtOp{});
    case UnaryOp::kAbs: return fn(AbsOp{});
    case UnaryOp::kSquare: return fn(SquareOp{});
    case UnaryOp::kSign: return fn(SignOp{});
    case UnaryOp::kRelu: return fn(ReluOp{});
    case UnaryOp::kSigmoid: return fn(SigmoidOp{});
    case UnaryOp::kTanh: return fn(TanhOp{});
    case UnaryOp::kSilu: return fn(SiluOp{});
    case UnaryOp::kGelu: return fn(GeluOp{});
    case UnaryOp::kSin: return fn(SinOp{});
    case UnaryOp::kCos: return fn(CosOp{});
  }
  throw ValueError(str_cat("unknown unary op code ", static_cast<int>(op)));
}

template <class Fn>
void with_binary(BinaryOp op, Fn&& fn) {
  using namespace momenta::kernels;
  switch (op) {
    case BinaryOp::kAdd: return fn(AddOp{});
    case BinaryOp::kSub: return fn(SubOp{});
    case BinaryOp::kMul: return fn(MulOp{});
    case BinaryOp::kDiv: return fn(DivOp{});
    case BinaryOp::kMax: return fn(MaxOp{});
    case BinaryOp::kMin: return fn(MinOp{});
    case BinaryOp::kPow: return fn(PowOp{});
    case BinaryOp::kEq: return fn(EqOp{});
    case BinaryOp::kNe: return fn(NeOp{});
    case BinaryOp::kLt: return fn(LtOp{});
    case BinaryOp::kLe: return fn(LeOp{});
    case BinaryOp::kGt: return fn(GtOp{});
    case BinaryOp::kGe: return fn(GeOp{});
    case BinaryOp::kReluBackward: return fn(ReluBackwardOp{});
    case BinaryOp::kSigmoidBackward: return fn(SigmoidBackwardOp{});
    case BinaryOp::kTanhBackward: return fn(TanhBackwardOp{});
    case BinaryOp::kSiluBackward: return fn(SiluBackwardOp{});
    case BinaryOp::kGeluBackward: return fn(GeluBackwardOp{});
  }
  throw ValueError(str_cat("unknown binary op code ", static_cast<int>(op)));
}

}  // namespace momenta::backend
