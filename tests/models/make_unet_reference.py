#!/usr/bin/python3
"""Writes tests/golden/unet_reference.json, the reference that tests/models/unet_test.cpp checks
momenta's U-Net (models/unet.h) against. Run offline with PyTorch 1.13 (Debian python3-torch):
    /usr/bin/python3 tests/models/make_unet_reference.py
The tests do not need PyTorch.

What it holds:
  * twin: the parameter count and forward multiply-adds (the twin's own fwd_macs) of the twin's
    UNet() as bench/pytorch/diffusion_unet.py builds it (1x28x28).
  * small: the twin's UNet class with ch=(8, 16, 32) (GroupNorm(8) still applies), every
    parameter filled by fill() below (no weight file: the C++ test evaluates the same formula in
    the same parameter order), a fixed input x [2, 1, 28, 28] and t [2], and
      - out_raw_f64: the network output before the division by the marginal std, in float64;
      - out_twin_f64: the twin's forward as written (divided by the VE marginal std, sigma 25);
      - out_raw_f32: the output before the division, the model run in float32 exactly as the
        twin runs (its sinusoid frequencies computed in float32);
      - grads: for each parameter, the first 4 elements and the 2-norm of the gradient of
        sum(out_raw^2), in float64.
    The float64 runs compute the sinusoid frequencies in float64: the twin computes them in
    float32 even in a float64 model, which would put float32 rounding into a float64 reference.
"""
import json, math, os, sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'bench', 'pytorch'))
import diffusion_unet as twin  # noqa: E402

SMALL_CH = (8, 16, 32)
T_VALUES = [0.05, 0.6]
X_SHAPE = (2, 1, 28, 28)


def fill(k, name, shape):
    """Parameter k (0-based, in named_parameters order): element i (row-major) is u = sin(0.731 i +
    1.37 k + 0.5) scaled as a weight (u sqrt(3 / fan_in)), a norm's scale (1 + u / 4) or a bias (u / 4)."""
    n = math.prod(shape)
    u = [math.sin(0.731 * i + 1.37 * k + 0.5) for i in range(n)]
    if len(shape) >= 2:
        s = math.sqrt(3.0 / (n // shape[0]))
        v = [s * a for a in u]
    elif name.endswith('weight'):
        v = [1.0 + 0.25 * a for a in u]
    else:
        v = [0.25 * a for a in u]
    return torch.tensor(v, dtype=torch.float64).reshape(shape)


def input_x():
    n = math.prod(X_SHAPE)
    return torch.tensor([1.5 * math.sin(0.37 * i + 0.2) for i in range(n)], dtype=torch.float64).reshape(X_SHAPE)


def temb_forward_f64(self, t):
    half = self.dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half)
    a = (t * 1000.0)[:, None] * freqs[None]
    return self.mlp(torch.cat([a.sin(), a.cos()], dim=1))


def main():
    torch.set_num_threads(1)
    full = twin.UNet()
    twin_info = dict(params=sum(p.numel() for p in full.parameters()), fwd_macs=twin.fwd_macs(full))

    model = twin.UNet(SMALL_CH).double()  # filled in float64, so the float64 runs see the exact formula
    names = [(n, tuple(p.shape)) for n, p in model.named_parameters()]
    with torch.no_grad():
        for k, (n, p) in enumerate(model.named_parameters()):
            p.copy_(fill(k, n, tuple(p.shape)))
    x64 = input_x()
    t64 = torch.tensor(T_VALUES, dtype=torch.float64)

    # float32, exactly as the twin runs, before the division by the marginal std.
    m32 = twin.UNet(SMALL_CH)
    m32.load_state_dict(model.state_dict())  # rounds each value to float32
    std_fn = twin.marginal_std
    twin.marginal_std = lambda t: torch.ones_like(t)
    with torch.no_grad():
        out_raw_f32 = m32(x64.float(), t64.float())
    twin.marginal_std = std_fn

    # float64 with float64 frequencies.
    twin.TimeEmb.forward = temb_forward_f64
    with torch.no_grad():
        out_twin_f64 = model(x64, t64)
    twin.marginal_std = lambda t: torch.ones_like(t)
    out_raw = model(x64, t64)
    twin.marginal_std = std_fn
    (out_raw ** 2).sum().backward()
    grads = [dict(name=n, first=p.grad.flatten()[:4].tolist(), norm=p.grad.norm().item())
             for n, p in model.named_parameters()]

    flat = lambda t: [float(v) for v in t.flatten().tolist()]
    ref = dict(
        generator='tests/models/make_unet_reference.py', torch=torch.__version__,
        twin=twin_info,
        small=dict(ch=list(SMALL_CH), groups=8, time_features=128, time_dim=256, time_scale=1000.0,
                   x_shape=list(X_SHAPE), t=T_VALUES, sigma=twin.SIGMA,
                   params=[dict(name=n, shape=list(s)) for n, s in names],
                   out_raw_f64=flat(out_raw.detach()), out_twin_f64=flat(out_twin_f64),
                   out_raw_f32=flat(out_raw_f32), grads=grads))
    path = os.path.join(HERE, '..', 'golden', 'unet_reference.json')
    with open(path, 'w') as f:
        json.dump(ref, f, separators=(',', ':'))
        f.write('\n')
    print('wrote', os.path.normpath(path), os.path.getsize(path), 'bytes; twin', twin_info,
          'small params', sum(p.numel() for p in model.parameters()))


if __name__ == '__main__':
    main()
