"""The policy's batch-1 decision on the CPU without torch: im2col in Numba, GEMMs in BLAS.

A real-time agent decides one frame stack at a time. At batch 1, torch's convolutions
spend most of their time outside the arithmetic (the DQN-2013 network's 2.9 M
multiply-adds take 0.4 to 0.8 ms through ``nn.Conv2d``, README "Benchmarks"), so
:class:`FastForward` runs the same network as plain matrix products:

* every convolution is an im2col gather (a Numba kernel writing each receptive field as
  one contiguous row) followed by one GEMM against the flattened kernel;
* the input scaling and centring of :class:`imitation.networks.AtariConvNet`
  (``obs / 255 - input_mean``) are folded into the first layer: its weights are divided
  by 255 and the centring becomes a bias per output position, so the uint8 frames are
  read once, without a float copy of the input;
* hidden activations stay position-major ([positions, channels]), so a later layer's
  receptive field is a run of contiguous channel vectors; the kernels and the first
  fully connected layer are permuted once to that order, and each layer's bias and ReLU
  are applied while the next layer gathers;
* a first layer of 4x4 tiles (``compact``) has a gather of its own, and one kernel does
  the output layer and the argmax: at 0.2 M multiply-adds, calls cost as much as sums.

It is a snapshot of the network's weights when it is built. The outputs equal the torch
forward pass up to float32 rounding (``tests/imitation/test_fast_forward.py``).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from numba import njit


@njit(cache=True, boundscheck=False)
def _patches_chw(x, k, stride, out):
    """x [C, H, W] (uint8 or float32) -> out [Ho * Wo, C * k * k] float32, each row one
    receptive field in torch's (channel, row, column) order."""
    C, H, W = x.shape
    Ho, Wo = (H - k) // stride + 1, (W - k) // stride + 1
    for c in range(C):
        for i in range(k):
            for oy in range(Ho):
                row = x[c, oy * stride + i]
                for ox in range(Wo):
                    p = oy * Wo + ox
                    col = (c * k + i) * k
                    x0 = ox * stride
                    for j in range(k):
                        out[p, col + j] = row[x0 + j]


@njit(cache=True, boundscheck=False)
def _tiles4(x, out):
    """:func:`_patches_chw` for k = stride = 4 (the ``compact`` network's first layer):
    the input is read row by row, and each row's 4-pixel runs are written as whole runs, a
    loop Numba unrolls (twice as fast as the general gather on Pong's frames)."""
    C, H, W = x.shape
    Wo = W // 4
    for c in range(C):
        for y in range(H):
            col = (c * 4 + (y & 3)) * 4
            row = x[c, y]
            base = (y >> 2) * Wo
            for ox in range(Wo):
                o = out[base + ox]
                x0 = ox * 4
                o[col] = row[x0]
                o[col + 1] = row[x0 + 1]
                o[col + 2] = row[x0 + 2]
                o[col + 3] = row[x0 + 3]


@njit(cache=True, boundscheck=False)
def _patches_hwc(raw, bias, side, k, stride, out):
    """The previous layer's pre-activations raw [side * side, C] (position-major) and its
    bias [P, C] (P = side * side, or 1 when shared) -> out [Ho * Wo, k * k * C], each row
    one receptive field of relu(raw + bias) in (row, column, channel) order."""
    C = raw.shape[1]
    shared = bias.shape[0] == 1
    Ho = (side - k) // stride + 1
    for oy in range(Ho):
        for ox in range(Ho):
            p = oy * Ho + ox
            col = 0
            for i in range(k):
                src = (oy * stride + i) * side + ox * stride
                for j in range(k):
                    b = 0 if shared else src + j
                    for c in range(C):
                        v = raw[src + j, c] + bias[b, c]
                        out[p, col] = v if v > 0.0 else 0.0
                        col += 1


@njit(cache=True, boundscheck=False)
def _relu_flat(raw, bias, out):
    """relu(raw + bias) for raw [P, C] and bias [P, C] or [1, C], into out [P * C]."""
    P, C = raw.shape
    shared = bias.shape[0] == 1
    for p in range(P):
        b = 0 if shared else p
        for c in range(C):
            v = raw[p, c] + bias[b, c]
            out[p * C + c] = v if v > 0.0 else 0.0


@njit(cache=True, boundscheck=False)
def _head(hidden, bias, w, b, logits):
    """relu(hidden + bias) [H] through the output layer w [H, A], b [A] into logits [A];
    returns the argmax (the first on a tie, as numpy's)."""
    H, A = w.shape
    for a in range(A):
        logits[a] = b[a]
    for h in range(H):
        v = hidden[h] + bias[h]
        if v > 0.0:
            for a in range(A):
                logits[a] += v * w[h, a]
    best = 0
    for a in range(1, A):
        if logits[a] > logits[best]:
            best = a
    return best


class _Conv(NamedTuple):
    """One convolution as a GEMM: receptive fields [P, F] @ W [F, O] + bias."""

    k: int
    stride: int
    side: int              # the input's side (square inputs)
    W: np.ndarray          # [F, O] float32, F = C * k * k in the gather's order
    bias: np.ndarray       # [P, O] (the first layer's centring varies by position) or [1, O]
    patches: np.ndarray    # [P, F] float32, the gather's buffer
    out: np.ndarray        # [P, O] float32, the pre-activations


class FastForward:
    """The outputs and greedy action of an :class:`imitation.networks.AtariConvNet` for
    one observation uint8 [frames, size, size], computed in NumPy from a snapshot of its
    weights (float32). Not thread-safe: each layer writes into buffers it keeps."""

    def __init__(self, net):
        convs = [m for m in net.features if isinstance(m, torch.nn.Conv2d)]
        fc, _, out = net.head
        mean = net.input_mean.detach().cpu().numpy().astype(np.float32)   # [F, S, S], in [0, 1]
        self.frames = net.config.frames
        side = net.config.size
        self._convs: list[_Conv] = []
        for n, conv in enumerate(convs):
            w = conv.weight.detach().cpu().numpy().astype(np.float32)      # [O, C, k, k]
            b = conv.bias.detach().cpu().numpy().astype(np.float32)        # [O]
            k, stride = conv.kernel_size[0], conv.stride[0]
            out_side = (side - k) // stride + 1
            patches = np.empty((out_side * out_side, w.shape[1] * k * k), np.float32)
            if n == 0:   # uint8 input: conv(obs / 255 - mean) = (W / 255) obs + (b - W mean)
                W = w.reshape(w.shape[0], -1).T                             # [C k k, O]
                _patches_chw(mean, k, stride, patches)
                bias = b[None, :] - patches @ W                             # [positions, O]
                W = W / np.float32(255.0)
            else:        # position-major input: receptive fields in (row, column, channel) order
                W = w.transpose(0, 2, 3, 1).reshape(w.shape[0], -1).T
                bias = b[None, :]
            self._convs.append(_Conv(k, stride, side, np.ascontiguousarray(W, np.float32),
                                     np.ascontiguousarray(bias, np.float32), patches,
                                     np.empty((out_side * out_side, w.shape[0]), np.float32)))
            side = out_side
        channels = convs[-1].out_channels
        w_fc = fc.weight.detach().cpu().numpy().astype(np.float32)         # [hidden, C * side * side]
        # torch flattens [C, side, side]; the activations here are [side * side, C]
        w_fc = w_fc.reshape(-1, channels, side * side).transpose(0, 2, 1).reshape(w_fc.shape[0], -1)
        self._flat = np.empty(w_fc.shape[1], np.float32)
        self._fc = (np.ascontiguousarray(w_fc.T), fc.bias.detach().cpu().numpy().astype(np.float32),
                    np.empty(w_fc.shape[0], np.float32))
        self._out = (np.ascontiguousarray(out.weight.detach().cpu().numpy().T.astype(np.float32)),
                     out.bias.detach().cpu().numpy().astype(np.float32))
        self._logits = np.empty(out.out_features, np.float32)

    def _forward(self, obs: np.ndarray) -> int:
        """Fill ``self._logits`` [A] for obs uint8 [>= frames, size, size]; returns the argmax."""
        raw = bias = None
        for n, conv in enumerate(self._convs):
            if n == 0:
                newest = obs[obs.shape[0] - self.frames:]
                if conv.k == conv.stride == 4 and newest.shape[1] % 4 == 0 and newest.shape[2] % 4 == 0:
                    _tiles4(newest, conv.patches)
                else:
                    _patches_chw(newest, conv.k, conv.stride, conv.patches)
            else:   # the previous layer's bias and ReLU are applied while gathering
                _patches_hwc(raw, bias, conv.side, conv.k, conv.stride, conv.patches)
            raw, bias = np.matmul(conv.patches, conv.W, out=conv.out), conv.bias
        _relu_flat(raw, bias, self._flat)
        w, b, hidden = self._fc
        np.matmul(self._flat, w, out=hidden)
        w_out, b_out = self._out
        return _head(hidden, b, w_out, b_out, self._logits)

    def outputs(self, obs: np.ndarray) -> np.ndarray:
        """obs uint8 [>= frames, size, size] -> [A] float32 logits or Q-values (from the
        newest ``frames`` frames)."""
        self._forward(obs)
        return self._logits.copy()

    def greedy(self, obs: np.ndarray) -> int:
        """The argmax action for one observation uint8 [>= frames, size, size]."""
        return self._forward(obs)
