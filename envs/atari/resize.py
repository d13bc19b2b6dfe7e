"""Max-pool two grey screens and shrink them by area averaging, in one Numba kernel.

Each output pixel is the average of the input pixels it covers, weighted by the
overlapping area (what OpenCV calls INTER_AREA when shrinking). The weights are
separable: ``out = R @ max(a, b) @ C.T`` with R: [h, H] and C: [w, W] whose rows hold
the fractional overlaps (each row sums to 1). Each row of R and C has at most
``ceil(H / h) + 1`` non-zeros, so the kernel stores them as (index, weight) lists and
does ~60k multiply-adds for 210x160 -> 84x84 instead of a dense product's ~4M.
"""
from __future__ import annotations

import numpy as np
from numba import njit


def overlap_weights(n_in: int, n_out: int) -> np.ndarray:
    """[n_out, n_in] float64: the share of input cell j in output cell i (rows sum to 1)."""
    scale = n_in / n_out
    w = np.zeros((n_out, n_in), dtype=np.float64)
    for i in range(n_out):
        lo, hi = i * scale, (i + 1) * scale
        for j in range(int(np.floor(lo)), min(int(np.ceil(hi)), n_in)):
            w[i, j] = min(hi, j + 1) - max(lo, j)
    return w / w.sum(axis=1, keepdims=True)


def sparse_rows(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense [n_out, n_in] weights -> (index [n_out, k] int64, weight [n_out, k] float64),
    padded with weight 0."""
    k = int((w > 0).sum(axis=1).max())
    idx = np.zeros((w.shape[0], k), dtype=np.int64)
    val = np.zeros((w.shape[0], k), dtype=np.float64)
    for i, row in enumerate(w):
        nz = np.flatnonzero(row > 0)
        idx[i, :len(nz)] = nz
        val[i, :len(nz)] = row[nz]
    return idx, val


@njit(cache=True)
def pool_and_resize(a, b, r_idx, r_w, c_idx, c_w, out):
    """out[i, j] = round(sum_{y, x} R[i, y] C[j, x] max(a, b)[y, x]).

    a, b: [H, W] uint8 screens (pass the same array twice for no pooling);
    r_idx, r_w: [h, kr]; c_idx, c_w: [w, kc]; out: [h, w] uint8, written in place.
    """
    h, kr = r_idx.shape
    w, kc = c_idx.shape
    W = a.shape[1]
    row = np.empty(W, dtype=np.float64)
    for i in range(h):
        row[:] = 0.0
        for k in range(kr):          # vertical pass: contiguous over x, so it vectorises
            y = r_idx[i, k]
            wk = r_w[i, k]
            for x in range(W):
                row[x] += wk * max(a[y, x], b[y, x])
        for j in range(w):           # horizontal pass
            s = 0.0
            for k in range(kc):
                s += c_w[j, k] * row[c_idx[j, k]]
            out[i, j] = np.uint8(s + 0.5)
    return out


class AreaResize:
    """Callable: (screen a, screen b) [H, W] uint8 -> max-pooled, resized [h, w] uint8."""

    def __init__(self, in_shape: tuple[int, int], out_shape: tuple[int, int]):
        self.r_idx, self.r_w = sparse_rows(overlap_weights(in_shape[0], out_shape[0]))
        self.c_idx, self.c_w = sparse_rows(overlap_weights(in_shape[1], out_shape[1]))

    def __call__(self, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
        return pool_and_resize(a, b, self.r_idx, self.r_w, self.c_idx, self.c_w, out)
