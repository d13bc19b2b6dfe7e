"""Random-shift augmentation of training observations (RAD, Laskin et al. 2020; DrQ,
Kostrikov, Yarats & Fergus 2021): each observation of a minibatch is padded by ``pad``
pixels, repeating its border, and cropped back to its size at a random offset, the same
offset for every frame of its stack. Positions relative to each other (the ball to the
paddle) are kept; absolute positions move by at most ``pad`` pixels, so a policy fitted on
few labels cannot memorise them."""
from __future__ import annotations

import numpy as np


def random_shift(obs: np.ndarray, pad: int, rng: np.random.Generator) -> np.ndarray:
    """obs: [B, C, H, W] (any dtype); returns a new [B, C, H, W] array, observation i
    shifted by (dy_i, dx_i), each drawn uniformly from [-pad, pad]. Draws 2 B integers."""
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    B, _, H, W = obs.shape
    offsets = rng.integers(0, 2 * pad + 1, size=(B, 2))
    if pad == 0:
        return obs.copy()
    padded = np.pad(obs, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="edge")
    out = np.empty_like(obs)
    for i, (y, x) in enumerate(offsets):
        out[i] = padded[i, :, y:y + H, x:x + W]
    return out
